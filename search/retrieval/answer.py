"""A delegate's answer: the passages that answer, from the group's contributions, best first; the reference
library's passages apart, only when they answer too; and nothing at all when nothing answers.

`answer` ranks the question among the contributions and, by default, among the library (two filtered searches of
one prepared query: it is read, encoded and counted once), estimates for each candidate passage the probability that it answers
(search/retrieval/relevance.py), holds back the passages under the floor and those that are not content
(contents pages, headings, lists: search/retrieval/content.py), and orders what is left by that probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from index.filters import Filters
from index.store_api import Store
from ingest.language import LANGUAGE_NAMES
from search.retrieval.content import content_share
from search.retrieval.engine import MAX_K, Hit, PreparedQuery, SearchEngine, check_bounds
from search.retrieval.lexical import TermStats
from search.retrieval.relevance import (
    PassageView,
    QueryView,
    RelevanceModel,
    features,
    shipped_model,
    term_idf,
)
from search.retrieval.scope import holds_contributions, in_scope
from search.retrieval.versions import contributions, versions

COLLECTIONS = ("contributions", "library")
LIBRARY_HITS = 3  # library passages shown apart at most
CONTENT_FLOOR = 0.5  # a passage reading less like prose than this never answers (furniture: content.py)
MIN_CANDIDATES = 30  # passages whose relevance is estimated, at least, per list
NOTHING = "nothing in the repository answers this"
# A document is about a topic (a feed's entry) when one of its passages answers it with this probability: the
# floor of a passage is "may answer", this one "answers". Chosen on the held-out topics' dev side for precision
# and recall of the documents labelled on the topic (bench/relevance_eval.py --parts feeds: 0.35 gave precision
# 0.56, recall 0.93; at the passage floor, 0.22 and 1.00).
DOCUMENT_FLOOR = 0.35


@dataclass(frozen=True)
class Question:
    """A search as the CLI, the HTTP API or a Python caller asks it. Its bounds are checked when it is made
    (`check_bounds`: before any index is opened), its text and mode when it is read (`SearchEngine.prepare`)."""

    text: str
    k: int = 10
    filters: Filters | None = None
    per_source: int | None = None
    mode: str = "hybrid"
    min_relevance: float | None = None  # the floor (default: the relevance model's)

    def __post_init__(self) -> None:
        check_bounds(self.k, self.per_source, self.min_relevance)


@dataclass
class Answer:
    """What a question gets: `hits` (the passages that answer, most likely first), `library` (reference
    passages that answer too, shown apart), how many candidates were `held_back` under the floor, the floor
    used, and `notices` for the reader (nothing answers; a language the models do not read). `cut`: the
    question was longer than the part read (the HTTP answer's `query_cut`)."""

    query: str
    terms: list[str]
    hits: list[Hit]
    library: list[Hit] = field(default_factory=list)
    held_back: int = 0
    min_relevance: float | None = None  # None: relevance is not calibrated for this index's models
    notices: list[str] = field(default_factory=list)
    cut: bool = False

    @property
    def nothing(self) -> bool:
        return not self.hits and not self.library

    def to_json(self) -> dict[str, object]:
        return {"query": self.query, "terms": self.terms, "hits": [h.to_json() for h in self.hits],
                "library": [h.to_json() for h in self.library], "held_back": self.held_back,
                "min_relevance": self.min_relevance, "notices": self.notices}


def scopes(filters: Filters | None, store: Store) -> tuple[Filters, Filters | None]:
    """(the filters of the answer's list, those of the library shown apart or None). By default a question
    is answered from the group's contributions, with the library apart; `collection=library` or
    `collection=contributions` answers from that one alone, `collection=all` from both in one list. An index
    that holds no contributions at all (reference files only) answers from what it holds."""
    filters = filters or Filters()
    if "collection" in filters.fields or not holds_contributions(store):
        return in_scope(filters, store), None
    shared = contributions(store)  # curation and quality filters read as the contribution's
    return shared.filters(filters.scoped("contributions"), store), shared.filters(filters.scoped("library"), store)


def answer(engine: SearchEngine, query: str, *, k: int = 10, filters: Filters | None = None,
           per_source: int | None = None, mode: str = "hybrid", min_relevance: float | None = None,
           model: RelevanceModel | None = None) -> Answer:
    """The answer to `query` (see the module's doc), in one snapshot of the index (see `answer_in_snapshot`).
    `min_relevance`: the floor (default: the model's)."""
    question = Question(query, k, filters, per_source, mode, min_relevance)
    with engine.store.snapshot():
        return answer_in_snapshot(engine, question, model)


def answer_in_snapshot(engine: SearchEngine, question: Question, model: RelevanceModel | None = None) -> Answer:
    """The answer to `question`, read in the caller's snapshot of the index (`store.snapshot()`): the CLI's, or
    the HTTP route's, which counts the facets of the hits in the same one. The query is read once (its text,
    terms, vectors and language: `PreparedQuery`) and its terms counted once (`TermStats`), for both lists."""
    model = model or shipped_model()
    known = calibrated(engine, model)
    k, per_source = question.k, question.per_source
    floor = (model.floor if question.min_relevance is None else question.min_relevance) if known else None
    main, library = scopes(question.filters, engine.store)
    plan = engine.prepare(question.text, question.mode, vectors=True if known else None)
    stats = TermStats.read(engine.store, plan.terms)
    view = _query_view(engine, plan, stats) if known else None
    found = versions(engine.store)
    # a contribution once: its version in the question's language when that one answers, else the best one
    wanted = 2 * k if len(found) else k
    hits, held = _offered(engine, plan, stats, view, model, main, min(wanted, MAX_K), per_source, floor)
    hits = found.first_of_each(hits, lambda h: h.document_id, question_language(plan.language))[:k]
    shown: list[Hit] = []
    if library is not None and floor is not None:
        shown, held_library = _offered(engine, plan, stats, view, model, library, LIBRARY_HITS, 1, floor)
        held += held_library
    for hit in [*hits, *shown]:
        hit.versions = [v.to_json() for v in found.others(hit.document_id)]
    contributions(engine.store).mark([*hits, *shown])  # a version's status and quality are its contribution's
    result = Answer(plan.text, plan.terms, hits, shown, held, floor, cut=plan.cut)
    unread = _unread_language(engine, plan)
    if unread:
        result.notices.append(unread)
    if result.nothing:
        result.notices.insert(0, NOTHING)
    return result


def answering_documents(engine: SearchEngine, query: str, filters: Filters | None = None, limit: int = 200,
                        min_relevance: float = DOCUMENT_FLOOR) -> list[str]:
    """The documents about `query`: those with a passage likely to answer it (`DOCUMENT_FLOOR`), the most likely
    first, among `filters` — the group's contributions unless a collection is named. What a feed of a search
    follows."""
    with engine.store.snapshot():
        filters = in_scope(filters, engine.store)
        filters = filters.with_values("collection", filters.fields.get("collection", ["all"]))
        found = answer_in_snapshot(engine, Question(query, limit, filters, min_relevance=min_relevance))
    return list(dict.fromkeys(h.document_id for h in found.hits))


def _offered(engine: SearchEngine, plan: PreparedQuery, stats: TermStats, view: QueryView | None,
             model: RelevanceModel, filters: Filters, k: int, per_source: int | None,
             floor: float | None) -> tuple[list[Hit], int]:
    """(the passages offered from one list, how many candidates were held back)."""
    depth = max(3 * k, MIN_CANDIDATES) if floor is not None else k
    ranked = engine.rank(plan, k=depth if per_source is None else max(depth * 20, engine.settings.candidates),
                         filters=filters, stats=stats)
    candidates = engine.hits(ranked, depth, per_source)
    if view is None or floor is None:
        return candidates[:k], 0
    probability = _relevance(engine, view, model, candidates)
    content = np.array([content_share(h.text) for h in candidates])
    for hit, p in zip(candidates, probability):
        hit.relevance = round(float(p), 4)
    order = sorted(range(len(candidates)), key=lambda i: (content[i] < CONTENT_FLOOR, -probability[i], i))
    keep = [i for i in order if probability[i] >= floor and (content[i] >= CONTENT_FLOOR or floor == 0.0)]
    return [candidates[i] for i in keep[:k]], len(candidates) - len(keep)


def passage_relevance(engine: SearchEngine, query: str, hits: list[Hit],
                      model: RelevanceModel | None = None) -> np.ndarray | None:
    """The probability that each passage answers `query` (None: not calibrated for this index's models). For the
    passages another pipeline found (a synthesis's), on the same scale as an answer's floor."""
    model = model or shipped_model()
    if not calibrated(engine, model):
        return None
    plan = engine.prepare(query, "dense", vectors=True)
    return _relevance(engine, _query_view(engine, plan, TermStats.read(engine.store, plan.terms)), model, hits)


def text_relevance(engine: SearchEngine, query: str, texts: list[str], languages: list[str],
                   vectors: dict[str, np.ndarray] | None = None, model: RelevanceModel | None = None
                   ) -> np.ndarray | None:
    """The probability that each text (a sentence of a passage, in `languages`) answers `query`, with their
    vectors per space when the caller has some (the rest are encoded); None when not calibrated."""
    model = model or shipped_model()
    if not calibrated(engine, model):
        return None
    if not texts:
        return np.zeros(0)
    folder = engine.folder
    vectors = {s: (vectors or {}).get(s) if (vectors or {}).get(s) is not None else folder.embedder(s).encode(texts)
               for s in folder.spaces}
    plan = engine.prepare(query, "dense", vectors=True)
    view = _query_view(engine, plan, TermStats.read(engine.store, plan.terms))
    passages = [PassageView(t, lang, {s: vectors[s][n] for s in vectors}) for n, (t, lang) in enumerate(zip(texts, languages))]
    return model.probabilities(features(view, passages))


def calibrated(engine: SearchEngine, model: RelevanceModel | None = None) -> bool:
    """Whether relevance probabilities mean what they say for this index (its encoders are those of the fit)."""
    return (model or shipped_model()).applies_to({s: engine.folder.embedder(s).model_id for s in engine.folder.spaces})


def _query_view(engine: SearchEngine, plan: PreparedQuery, stats: TermStats) -> QueryView:
    folder = engine.folder
    idf = term_idf(stats.rows, stats.chunks, plan.terms) if plan.terms else ()
    vectors = {space: plan.vector(space) for space in folder.spaces}
    shares, trust = plan.language
    reads = {space: folder.embedder(space).languages for space in folder.spaces}
    return QueryView(tuple(plan.terms), idf, vectors, shares, trust, reads)


def _relevance(engine: SearchEngine, view: QueryView, model: RelevanceModel, hits: list[Hit]) -> np.ndarray:
    if not hits:
        return np.zeros(0)
    ids = [h.chunk_id for h in hits]
    folder = engine.folder
    vectors = {s: folder.stored_vectors(s, ids) for s in view.vectors}
    passages = [PassageView(h.text, h.language, {s: vectors[s][n] for s in vectors}) for n, h in enumerate(hits)]
    return model.probabilities(features(view, passages))


def question_language(language: tuple[dict[str, float], float]) -> str:
    """The language a question is written in (`PreparedQuery.language`: shares, trust), when it is clear enough
    to choose a version by ("" if not)."""
    shares, trust = language
    if not shares or trust < 0.5:
        return ""
    language, share = max(shares.items(), key=lambda kv: kv[1])
    return language if share >= 0.6 else ""


def _unread_language(engine: SearchEngine, plan: PreparedQuery) -> str | None:
    """A notice when the question is in a language none of the index's models reads."""
    shares, trust = plan.language
    if not shares or trust < 0.5:
        return None
    language, share = max(shares.items(), key=lambda kv: kv[1])
    read: set[str] = set()
    for space in engine.folder.spaces:
        languages = getattr(engine.folder.embedder(space), "languages", None)
        if languages is None:
            return None  # a model that reads any language
        read |= set(languages)
    if share < 0.6 or language in read:
        return None
    name = LANGUAGE_NAMES.get(language, language)
    known = ", ".join(LANGUAGE_NAMES.get(code, code) for code in sorted(read, key=lambda c: LANGUAGE_NAMES.get(c, c)))
    return (f"{name} is not among the languages the search models read ({known}): only passages that share "
            f"the question's words can match it")
