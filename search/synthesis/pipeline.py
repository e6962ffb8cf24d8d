"""Grounded thematic synthesis: every sentence is quoted from the passage it cites.

retrieve broadly (several queries, at most a few passages per source) → keep the passages about the
topic → split them into sentences and keep those about the topic (cosine to the topic vector, plus the
topic's phrases) → cluster those passage sentences into sub-themes (Ward, number chosen by silhouette),
labelled by key phrases (class-based TF-IDF) → per sub-theme an extractive summary (central,
non-redundant sentences by MMR) and one line per initiative (source) → overview table (sources ×
sub-themes) → gaps (taxonomy labels and ITU regions with few or no documents on the topic).

A cited sentence is always an exact slice of its passage (`CitedSentence.start/end`), and a passage
is an exact slice of its document, so every citation can be checked mechanically.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from index.filters import Filters
from index.folder import IndexFolder
from index.records import ChunkRecord, DocumentRecord
from ingest.chunking import split_sentences
from ingest.countries import REGIONS
from ingest.records import ACTOR_TYPES
from search.characterization.facets import facet_counts
from search.characterization.tagging import Tagger, label_regex, phrase_pattern
from search.characterization.taxonomy import FACETS, Label, Taxonomy
from search.retrieval.answer import CONTENT_FLOOR, calibrated, text_relevance
from search.retrieval.content import content_share
from search.retrieval.engine import SearchEngine, validate_query
from search.retrieval.lexical import query_terms
from search.retrieval.scope import in_scope
from search.retrieval.versions import contributions, versions
from search.synthesis.facts import compose_lead
from search.synthesis.keyphrases import cluster_key_phrases, noun_phrase_title
from search.synthesis.model import (
    Citation,
    CitedSentence,
    Gap,
    Initiative,
    SubTheme,
    Synthesis,
)
from search.synthesis.sentences import quotable_spans

Key = tuple[int, int]  # (passage index, sentence index)
_LIST_MARKER = re.compile(r"(?:[-•*▪●◦]|\d{1,2}[.)])\s+")  # used with .match(text, pos)
_LABEL_VECTORS: weakref.WeakKeyDictionary[object, dict[tuple[str, ...], np.ndarray]] = weakref.WeakKeyDictionary()
SENTENCE_BATCH = 64  # sentences encoded between two checkpoints
_FULL_SENTENCE = re.compile(r"^[\"'“(]?[A-Z0-9].*[.!?][\"'”)]?$", re.DOTALL)


@dataclass(frozen=True)
class SynthesisOptions:
    passages: int = 40  # passages retrieved per query
    per_source: int = 4  # … at most this many from one source
    max_passages: int = 60  # passages kept (the most relevant)
    per_document: int = 3  # … at most this many from one document
    label_bonus: float = 0.2  # added to a passage's relevance when its document carries the topic's label
    # curated content is preferred a little (its sentences pass the relevance floor more easily)
    curation_bonus: dict[str, float] = field(default_factory=lambda: {"best_practice": 0.05, "promising": 0.02})
    sentences_per_document: int = 3  # sentences clustered, at most this many from one document
    max_sentences: int = 60  # sentences clustered into sub-themes (the most relevant)
    subthemes: int | None = None  # None: chosen by silhouette between 2 and 5
    summary_sentences: int = 3
    language: str = ""  # of a contribution in several languages, quote the version in this one when it has one
    min_relevance: float = 0.30  # cosine to the topic below which a passage without topic words is dropped
    # … and, where relevance is calibrated (search/retrieval/relevance.py), the probability that a quoted
    # sentence answers the topic, under which it is never quoted. Measured on the held-out topics' dev side
    # (bench/relevance_eval.py --parts synthesis), source recall × (1 − off-topic share): 0.15 gave 0.98 × 0.49,
    # 0.25 0.85 × 0.59, 0.35 0.76 × 0.63, 0.45 0.65 × 0.69. 0.25 and 0.35 tie within the noise of 7 topics
    # (0.50, 0.48); 0.35 quotes fewer off-topic sentences, and what is quoted is what the secretariat sends.
    quote_floor: float = 0.35
    sentence_floor: float = 0.35  # a sentence is about the topic from this relevance …
    sentence_window: float = 0.45  # … and within this distance of the most relevant sentence
    gap_max: int = 1  # a label, region or actor type with at most this many documents on the topic is a gap
    topic_documents_depth: int = 300  # passages searched to find the documents on a free-text topic
    # A sub-theme's title is chosen by the sentences under it: a label names it when its phrases are in a third of
    # them and its prototypes are this close to their centroid; else a two-word phrase that two of its documents
    # use; else it says whose points they are.
    title_min_share: float = 0.34
    title_min_cosine: float = 0.45
    mmr_lambda: float = 0.7


@dataclass
class _Passage:
    chunk: ChunkRecord
    doc: DocumentRecord
    vector: np.ndarray
    relevance: float
    on_label: bool = False  # its document carries the topic's label
    sentences: list[tuple[int, int]] = field(default_factory=list)  # (start, end) in chunk.text


class Synthesizer:
    def __init__(self, folder: IndexFolder, taxonomy: Taxonomy, engine: SearchEngine | None = None, *,
                 checkpoint: Callable[[], None] | None = None) -> None:
        """`checkpoint` is called between units of work (a search, a batch of sentences, a clustering) and may
        raise to stop the synthesis (a server's deadline, a client that left)."""
        self.folder = folder
        self.store = folder.store
        self.taxonomy = taxonomy
        self.engine = engine or SearchEngine(folder)
        self.space = folder.spaces[0]
        self.checkpoint = checkpoint or _go_on

    # --- the pipeline ------------------------------------------------------------------------------
    def synthesize(self, topic: str, filters: Filters | None = None,
                   options: SynthesisOptions | None = None) -> Synthesis:
        topic = validate_query(topic, self.engine.query_chars)
        opts = options or SynthesisOptions()
        if opts.subthemes is not None and not 1 <= opts.subthemes <= 10:
            from ingest.errors import QueryError

            raise QueryError("the number of sub-themes must be between 1 and 10")
        label = self.taxonomy.find(topic)
        # a label: its name and examples; free text: the topic, then the names of the labels it names
        queries = [label.name, *label.examples] if label else [
            topic, *(lb.name for lb in self._topic_labels(topic, None))]
        topic_vec = self._topic_vector(topic, label)
        patterns = self._topic_patterns(topic, label)
        with self.store.snapshot():
            filters = in_scope(filters, self.store)  # the group's contributions unless a collection is named
            passages = self._retrieve(queries, filters, opts, topic_vec, patterns, label)
            synthesis = Synthesis(topic=topic, label=f"{label.facet}={label.id}" if label else None,
                                  label_name=label.name if label else None, queries=queries,
                                  filters=dict((filters or Filters()).fields),
                                  created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            if not passages:
                synthesis.notes.append("No passage in the index is about this topic (with these filters).")
                return synthesis
            self._split(passages)
            sent_vecs, sent_rel = self._embed_sentences(passages, queries, topic_vec, patterns, opts)
            selected = self._select(passages, sent_rel, opts)
            # one version of a contribution in several languages is quoted: the requested language's when it has
            # sentences on the topic, else the version of the most relevant sentence
            ranked = sorted(selected, key=lambda key: (-sent_rel[key], key))
            one = set(versions(self.store).first_of_each(ranked, lambda key: passages[key[0]].doc.id, opts.language))
            selected = [key for key in selected if key in one]
            groups = _with_two_sources(self._cluster(selected, sent_vecs, opts), passages, sent_vecs)
            if not selected:
                synthesis.notes.append("No sentence in the passages found is about this topic (with these filters).")
            elif len({passages[i].doc.source_key for i, _ in selected}) < 2:
                synthesis.notes.append("Only one source addresses this topic: its points are given without "
                                       "sub-themes.")
            # the sub-themes most about the topic first
            groups.sort(key=lambda g: (-float(np.mean([sent_rel[k] for k in g])), g[0]))
            self.checkpoint()
            self._build(synthesis, passages, groups, sent_vecs, sent_rel, opts, topic, label)
            self.checkpoint()
            topic_docs = self._topic_documents(topic, filters, topic_vec, patterns, label, opts,
                                               set(synthesis.documents))
            self.checkpoint()
            self._gaps(synthesis, topic_docs, filters, label, opts)
        return synthesis

    def _topic_vector(self, topic: str, label: Label | None) -> np.ndarray:
        if label is not None:
            return self._label_vectors([label])[0]
        vector = self.folder.embedder(self.space).encode([topic])[0]
        named = self._topic_labels(topic, None)
        if named:  # "helplines": the words, and what the taxonomy says the labels they name are about
            vector = vector + self._label_vectors(named).mean(axis=0)
            vector /= max(float(np.linalg.norm(vector)), 1e-9)
        return vector

    @staticmethod
    def _topic_patterns(topic: str, label: Label | None) -> list[re.Pattern[str]]:
        """What counts as the topic's words: a label's phrases, or each content word of a free-text topic."""
        if label is not None:
            return [label_regex(label)]
        return [re.compile(phrase_pattern(_singular(term)), re.IGNORECASE) for term in query_terms(topic)]

    def _retrieve(self, queries: list[str], filters: Filters | None, opts: SynthesisOptions,
                  topic_vec: np.ndarray, patterns: list[re.Pattern[str]], label: Label | None) -> list[_Passage]:
        chunk_ids: dict[int, None] = {}
        for query in queries:  # the best passages, a few per source, and the best passage of more sources
            for per_source in (opts.per_source, 1):
                self.checkpoint()
                for hit in self.engine.search(query, k=opts.passages, filters=filters, per_source=per_source):
                    chunk_ids.setdefault(hit.chunk_id, None)
        ids = list(chunk_ids)
        if not ids:
            return []
        chunks = self.store.chunks_by_id(ids)
        vectors = self.store.vectors_for(self.space, ids, self.folder.dimension(self.space))
        shared = contributions(self.store)  # a version's curation status is its contribution's
        docs = {d.id: shared.record(d)
                for d in self.store.documents(_id_filter({c.document_id for c in chunks.values()}))}
        labelled: set[str] = set()
        for topic_label in self._topic_labels(queries[0] if label is None else label.name, label):
            labelled |= self._documents_with(topic_label, filters)
        passages = []
        for cid, vec in zip(ids, vectors):
            chunk = chunks.get(cid)
            if chunk is None or chunk.document_id not in docs:
                continue
            cosine = float(vec @ topic_vec)
            hits = sum(len(pattern.findall(chunk.text)) for pattern in patterns)
            if cosine < opts.min_relevance and hits == 0:
                continue
            relevance = cosine + 0.1 * min(hits, 3) + (opts.label_bonus if chunk.document_id in labelled else 0.0)
            passages.append(_Passage(chunk, docs[chunk.document_id], vec, relevance,
                                     on_label=chunk.document_id in labelled))
        passages.sort(key=lambda p: (-p.relevance, p.chunk.id))
        kept: list[_Passage] = []
        per_document: dict[str, int] = {}
        for p in passages:  # the most relevant passages, a few per document: one long report must not fill it
            if per_document.get(p.doc.id, 0) < opts.per_document:
                per_document[p.doc.id] = per_document.get(p.doc.id, 0) + 1
                kept.append(p)
        return kept[: opts.max_passages]

    def _topic_labels(self, topic: str, label: Label | None) -> list[Label]:
        """The taxonomy labels a topic is about: its own label, or the labels (audiences aside) whose phrases
        the free-text topic uses ("legal frameworks against online child sexual exploitation": legal
        frameworks, child sexual abuse material)."""
        if label is not None:
            return [label]
        return [lb for lb in self.taxonomy.labels() if lb.facet != "audience" and label_regex(lb).search(topic)]

    def _documents_with(self, label: Label, filters: Filters | None) -> set[str]:
        """The documents (passing the filters) that carry the label."""
        with_label = {d.id for d in self.store.documents(Filters(fields={label.facet: [label.id]}))}
        if filters is None or filters.is_empty():
            return with_label
        return with_label & {d.id for d in self.store.documents(filters)}

    @staticmethod
    def _split(passages: list[_Passage]) -> None:
        """Candidate sentences of each passage: sentences that can be quoted on their own (see
        `quotable_spans`: no fragments, no openings that lean on an unquoted sentence), list markers trimmed."""
        for p in passages:
            text = p.chunk.text
            pieces = []
            for start, end in split_sentences(text):
                for line_start, line_end in _lines(text, start, end):
                    marker = _LIST_MARKER.match(text, line_start)
                    s = marker.end() if marker else line_start
                    piece = text[s:line_end].rstrip()
                    if piece:
                        pieces.append((s, s + len(piece)))
            p.sentences = quotable_spans(text, pieces)

    def _embed_sentences(self, passages: list[_Passage], queries: list[str], topic_vec: np.ndarray,
                         patterns: list[re.Pattern[str]], opts: SynthesisOptions
                         ) -> tuple[dict[Key, np.ndarray], dict[Key, float]]:
        """Each candidate sentence's vector and its relevance to the topic (cosine, topic words, label and
        curation); where relevance is calibrated, a sentence unlikely to answer the topic (`quote_floor`: for
        each of the topic's queries, a label's name and examples, the best) or that is not prose is ruled out."""
        keys = [(i, j) for i, p in enumerate(passages) for j in range(len(p.sentences))]
        texts = [passages[i].chunk.text[slice(*passages[i].sentences[j])] for i, j in keys]
        known = calibrated(self.engine)
        vectors = {space: self._encode(space, texts) for space in (self.folder.spaces if known else [self.space])}
        matrix = vectors[self.space]
        vecs = {k: matrix[n] for n, k in enumerate(keys)}
        rel = {k: float(matrix[n] @ topic_vec) + 0.15 * _share_matched(patterns, texts[n])
               + (opts.label_bonus if passages[k[0]].on_label else 0.0)
               + opts.curation_bonus.get(passages[k[0]].doc.curation, 0.0) for n, k in enumerate(keys)}
        if known and texts:
            languages = [passages[i].doc.language for i, _ in keys]
            answers = np.max([text_relevance(self.engine, query, texts, languages, vectors) for query in queries],
                             axis=0)
            for n, key in enumerate(keys):
                if answers[n] < opts.quote_floor or content_share(texts[n]) < CONTENT_FLOOR:
                    rel[key] = -1.0
        return vecs, rel

    def _encode(self, space: str, texts: list[str]) -> np.ndarray:
        """`texts` encoded in `space`, a batch at a time (the request may be stopped between batches)."""
        embedder = self.folder.embedder(space)
        parts = []
        for start in range(0, len(texts), SENTENCE_BATCH):
            self.checkpoint()
            parts.append(embedder.encode(texts[start:start + SENTENCE_BATCH]))
        return np.concatenate(parts) if parts else np.zeros((0, self.folder.dimension(space)), np.float32)

    @staticmethod
    def _select(passages: list[_Passage], rel: dict[Key, float], opts: SynthesisOptions) -> list[Key]:
        """The sentences about the topic: above the floor and near the best one, most relevant first, at
        most `sentences_per_document` from one document (so that many contributions are heard)."""
        if not rel:
            return []
        floor = max(opts.sentence_floor, max(rel.values()) - opts.sentence_window)
        keys = sorted((k for k, r in rel.items() if r >= floor), key=lambda k: (-rel[k], k))
        chosen: list[Key] = []
        per_document: dict[str, int] = {}
        for key in keys:
            doc = passages[key[0]].doc.id
            if per_document.get(doc, 0) < opts.sentences_per_document:
                per_document[doc] = per_document.get(doc, 0) + 1
                chosen.append(key)
        return chosen[: opts.max_sentences]

    def _cluster(self, keys: list[Key], vecs: dict[Key, np.ndarray], opts: SynthesisOptions) -> list[list[Key]]:
        """Sentences per sub-theme (Ward clustering of their vectors), biggest first."""
        n = len(keys)
        if n < 6 or opts.subthemes == 1:
            return [keys] if keys else []
        from sklearn.cluster import AgglomerativeClustering
        from sklearn.metrics import silhouette_score

        matrix = np.stack([vecs[k] for k in keys])
        candidates = [min(opts.subthemes, n)] if opts.subthemes else list(range(2, min(5, n // 3) + 1))
        best: tuple[float, list[int]] | None = None
        for k in candidates:
            self.checkpoint()
            assignment = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(matrix).tolist()
            quality = float(silhouette_score(matrix, assignment, metric="cosine")) if 1 < k < n else 0.0
            if best is None or quality > best[0] + 1e-9:
                best = (quality, assignment)
        assert best is not None
        groups: dict[int, list[Key]] = {}
        for key, c in zip(keys, best[1]):
            groups.setdefault(c, []).append(key)
        return list(groups.values())

    # --- assembling sub-themes ---------------------------------------------------------------------
    def _build(self, synthesis: Synthesis, passages: list[_Passage], groups: list[list[Key]],
               sent_vecs: dict[Key, np.ndarray], sent_rel: dict[Key, float],
               opts: SynthesisOptions, topic: str, label: Label | None) -> None:
        avoid = set(re.findall(r"\w+", topic.lower()))
        if label is not None:
            avoid |= set(re.findall(r"\w+", label.name.lower()))
        texts = [[_text(passages, k) for k in g] for g in groups]
        phrases = cluster_key_phrases(texts, self.store.sample_chunk_texts(2000), top=10, avoid=avoid)
        titles = self._titles(passages, groups, texts, sent_vecs, phrases, self._topic_labels(topic, label), opts,
                             label.name if label else topic)
        citations: dict[int, Citation] = {}
        found = versions(self.store)  # a quoted document's other language versions are named in its reference
        used: dict[int, list[tuple[int, int]]] = {}  # chunk id → spans quoted already

        def fresh(key: Key) -> bool:
            p = passages[key[0]]
            start, end = p.sentences[key[1]]
            return not any(start < e and s < end for s, e in used.get(p.chunk.id, []))

        def cite(key: Key) -> CitedSentence:
            p = passages[key[0]]
            if p.chunk.id not in citations:
                citations[p.chunk.id] = Citation.make(len(citations) + 1, p.doc, p.chunk, tuple(
                    v.to_json() for v in found.others(p.doc.id)))
            start, end = p.sentences[key[1]]
            used.setdefault(p.chunk.id, []).append((start, end))
            return CitedSentence(p.chunk.text[start:end], citations[p.chunk.id].number, start, end,
                                 round(sent_rel[key], 4))

        for number, (group, key_phrases, title) in enumerate(zip(groups, phrases, titles), start=1):
            candidates = [k for k in group if fresh(k)]
            whole = [k for k in candidates if _FULL_SENTENCE.match(_text(passages, k))]  # not list fragments
            summary = [cite(k) for k in self._mmr(whole or candidates, sent_vecs, sent_rel, opts)]
            initiatives = []
            for members in _by_source(passages, group).values():
                unused = [k for k in members if fresh(k)]
                if not unused:  # its point is in the summary: another sentence of its passages, if on topic
                    unused = [(i, j) for i in sorted({i for i, _ in members}) for j in range(len(passages[i].sentences))
                              if sent_rel[(i, j)] >= opts.sentence_floor and fresh((i, j))]
                if not unused:  # every on-topic sentence of this source is quoted in the summary already
                    continue
                pick = max(unused, key=lambda k: (sent_rel[k], k))
                doc = passages[pick[0]].doc
                initiatives.append(Initiative(_source_name(doc), doc.country, doc.id, doc.title, cite(pick),
                                              doc.actor_type))
            initiatives.sort(key=lambda it: it.source.lower())
            lead, facts = self._lead(passages, group, summary, initiatives, citations)
            synthesis.subthemes.append(SubTheme(
                number=number, key_phrases=key_phrases[:3], summary=summary, initiatives=initiatives,
                passages=sorted({passages[i].chunk.id for i, _ in group}),
                sources=sorted({_source_name(passages[i].doc) for i, _ in group}, key=str.lower),
                title=title.text, title_from=title.origin, lead=lead, facts=facts))
        synthesis.citations = sorted(citations.values(), key=lambda c: c.number)
        synthesis.documents = sorted({passages[i].doc.id for g in groups for i, _ in g})
        sources = sorted({_source_name(passages[i].doc) for g in groups for i, _ in g}, key=str.lower)
        synthesis.overview = {s: [sum(1 for i, _ in g if _source_name(passages[i].doc) == s) for g in groups]
                              for s in sources}

    @staticmethod
    def _lead(passages: list[_Passage], group: list[Key], summary: list[CitedSentence],
              initiatives: list[Initiative], citations: dict[int, Citation]):  # type: ignore[no-untyped-def]
        """The lead paragraph: who contributes to the sub-theme (each with the citation of its quote), the
        initiatives they name and the figures they give, taken from the quoted sentences."""
        first_quote: dict[str, int] = {}
        for sentence in [*summary, *(it.sentence for it in initiatives)]:
            cited = next(c for c in citations.values() if c.number == sentence.citation)
            first_quote.setdefault(_source_name_of(cited), sentence.citation)
        actor = {_source_name(passages[i].doc): passages[i].doc.actor_type for i, _ in group}
        sources = sorted(((name, actor.get(name, ""), n) for name, n in first_quote.items()),
                         key=lambda s: s[2])
        quoted = [(x.text, x.citation) for x in [*summary, *(it.sentence for it in initiatives)]]
        return compose_lead(sources, quoted)

    def _titles(self, passages: list[_Passage], groups: list[list[Key]], texts: list[list[str]],
                vecs: dict[Key, np.ndarray],
                phrases: list[list[str]], topic_labels: list[Label], opts: SynthesisOptions,
                topic_name: str = "") -> list[_Title]:
        """A title per sub-theme: the name of the taxonomy label that fits it best (its prototypes close to
        the sub-theme's sentences, its phrases in them), each label used once; else a noun phrase from the
        sub-theme's key phrases."""
        own = {(lb.facet, lb.id) for lb in topic_labels}  # the topic itself is no sub-theme title
        labels = [lb for lb in self.taxonomy.labels()  # audiences say whom for, not what: no titles
                  if lb.facet != "audience" and (lb.facet, lb.id) not in own]
        fits: list[tuple[float, int, int]] = []
        closeness = np.zeros((len(groups), len(labels)), dtype=np.float32)
        if labels and groups:
            label_vecs = self._label_vectors(labels)
            for g, (group, sentences) in enumerate(zip(groups, texts)):
                centroid = np.mean([vecs[k] for k in group], axis=0)
                centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
                cosine = label_vecs @ centroid
                closeness[g] = cosine
                for j, lb in enumerate(labels):
                    regex = label_regex(lb)
                    share = sum(1 for t in sentences if regex.search(t)) / len(sentences)
                    if share >= opts.title_min_share and cosine[j] >= opts.title_min_cosine:
                        fits.append((float(cosine[j]) + 0.5 * share, g, j))
        chosen: dict[int, _Title] = {}
        taken: set[int] = set()
        for _, g, j in sorted(fits, reverse=True):
            if g not in chosen and j not in taken:
                chosen[g] = _Title(labels[j].name, f"{labels[j].facet}={labels[j].id}")
                taken.add(j)
        out = []
        names = {t.text.lower() for t in chosen.values()}
        for g in range(len(groups)):
            if g in chosen:
                out.append(chosen[g])
                continue
            if len(groups) == 1 and topic_name:  # every sentence is about the topic (its quote floor): it names them
                out.append(_Title(topic_name[:1].upper() + topic_name[1:], "topic"))
                continue
            # a phrase two of its documents use (never a name: a person or an organisation is not a theme)
            docs_of = [passages[i].doc.id for i, _ in groups[g]]
            shared = [ph for ph in phrases[g]
                      if len({d for d, t in zip(docs_of, texts[g]) if ph in _phrase_text(t)}) >= 2
                      and not _is_name(ph, texts[g])]
            text = noun_phrase_title(shared, exclude=names, single_words=False)
            if text:
                names.add(text.lower())
                out.append(_Title(text, "key phrases"))
                continue
            sources = sorted({_source_name(passages[i].doc) for i, _ in groups[g]}, key=str.lower)
            out.append(_Title("Further points from " + _and_list(sources[:3], len(sources) - 3), "sources"))
        return out

    def _label_vectors(self, labels: list[Label]) -> np.ndarray:
        """The labels' prototype vectors, embedded once per embedder and taxonomy."""
        embedder = self.folder.embedder(self.space)
        key = tuple(t for lb in labels for t in (lb.facet, lb.id, *lb.prototypes))
        cache = _LABEL_VECTORS.setdefault(embedder, {})
        if key not in cache:
            cache[key] = Tagger(self.folder, self.taxonomy).label_vectors(labels, self.space)
        return cache[key]

    def _mmr(self, keys: list[Key], vecs: dict[Key, np.ndarray], rel: dict[Key, float],
             opts: SynthesisOptions) -> list[Key]:
        """Central, relevant and non-redundant sentences: maximal marginal relevance."""
        if not keys:
            return []
        matrix = np.stack([vecs[k] for k in keys])
        centroid = matrix.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        base = 0.5 * (matrix @ centroid) + 0.5 * np.array([rel[k] for k in keys])
        chosen: list[int] = []
        while len(chosen) < min(opts.summary_sentences, len(keys)):
            if chosen:
                redundancy = (matrix @ matrix[chosen].T).max(axis=1)
            else:
                redundancy = np.zeros(len(keys))
            value = opts.mmr_lambda * base - (1 - opts.mmr_lambda) * redundancy
            value[chosen] = -np.inf
            value[redundancy > 0.85] = -np.inf  # near-duplicates (the same point said twice)
            best = int(np.argmax(value))
            if not np.isfinite(value[best]):
                break
            chosen.append(best)
        return [keys[c] for c in chosen]

    # --- gaps --------------------------------------------------------------------------------------
    def _topic_documents(self, topic: str, filters: Filters | None, topic_vec: np.ndarray,
                         patterns: list[re.Pattern[str]], label: Label | None, opts: SynthesisOptions,
                         cited: set[str]) -> set[str]:
        """The documents of the index (passing the filters) that are about the topic: those carrying its
        label, or with a passage close to it among a wide search; always those cited. What the gaps count."""
        docs = set(cited)
        if label is not None:
            return docs | self._documents_with(label, filters)
        for topic_label in self._topic_labels(topic, None):  # "helplines": what carries Helpline or reporting
            docs |= self._documents_with(topic_label, filters)
        hits = self.engine.search(topic, k=opts.topic_documents_depth, filters=filters)
        if not hits:
            return docs
        ids = [h.chunk_id for h in hits]
        vectors = self.store.vectors_for(self.space, ids, self.folder.dimension(self.space))
        chunks = self.store.chunks_by_id(ids)
        for hit, vec in zip(hits, vectors):
            chunk = chunks.get(hit.chunk_id)
            if chunk is None:
                continue
            matched = _share_matched(patterns, chunk.text)
            if float(vec @ topic_vec) >= opts.min_relevance + 0.1 or matched >= 0.5:
                docs.add(hit.document_id)
        return docs

    def _gaps(self, synthesis: Synthesis, topic_docs: set[str], filters: Filters | None,
              label: Label | None, opts: SynthesisOptions) -> None:
        """What the index covers weakly for the topic, counted over the index (not over what was quoted):
        taxonomy labels, ITU regions and actor types that at most `gap_max` documents on the topic carry.
        A region without any document in the index (under the filters) is said once, apart."""
        if not topic_docs:
            return
        topic_docs = versions(self.store).once_ids(topic_docs, opts.language)  # a contribution once
        total = len(topic_docs)
        on_topic = facet_counts(self.store, filters=filters, document_ids=topic_docs)
        in_index = facet_counts(self.store, filters=filters)
        synthesis.topic_documents = total
        synthesis.topic_document_ids = sorted(topic_docs)
        synthesis.tagged = any(facet in in_index for facet in FACETS)

        def count(counts: dict[str, list], facet: str, value: str) -> int:  # type: ignore[type-arg]
            return next((v.count for v in counts.get(facet, []) if v.value == value), 0)

        if synthesis.tagged:  # (untagged: the renderers say to run `cwg tag`)
            for facet in FACETS:
                for lb in self.taxonomy.facets[facet].labels:
                    if label is not None and (lb.facet, lb.id) == (label.facet, label.id):
                        continue
                    n, carried = count(on_topic, facet, lb.id), count(in_index, facet, lb.id)
                    if not carried:  # nothing in the repository addresses it: said once, not as this topic's gap
                        synthesis.unaddressed.append(lb.name)
                    elif n <= opts.gap_max:
                        synthesis.label_gaps.append(Gap(facet, lb.id, lb.name, n, total, carried))
        for region in REGIONS:
            n, indexed = count(on_topic, "region", region), count(in_index, "region", region)
            synthesis.regions[region] = n
            if indexed == 0:
                synthesis.absent_regions.append(region)
            elif n <= opts.gap_max:
                synthesis.region_gaps.append(Gap("region", region, region, n, total, indexed))
        synthesis.regions["(no region: international organisations)"] = total - sum(
            synthesis.regions[r] for r in REGIONS)
        for actor, name in ACTOR_TYPES.items():
            indexed = count(in_index, "actor_type", actor)
            n = count(on_topic, "actor_type", actor)
            if indexed and n <= opts.gap_max and actor not in ("secretariat", "other"):
                synthesis.actor_gaps.append(Gap("actor_type", actor, name, n, total, indexed))


@dataclass(frozen=True)
class _Title:
    text: str
    origin: str  # "facet=label" when a taxonomy label's name, else "key phrases"


def _go_on() -> None:
    """The checkpoint of a synthesis that nobody stops."""


def _is_name(phrase: str, texts: list[str]) -> bool:
    """Whether a key phrase is a name in these texts: each of its words is written with a capital wherever it
    occurs ("Abdelaziz Alzarooni", "Project Beacon")."""
    for word in phrase.split():
        found = re.findall(rf"\b{re.escape(word)}\b", " ".join(texts), re.IGNORECASE)
        if not found or any(w[0].islower() for w in found):
            return False
    return True


def _with_two_sources(groups: list[list[Key]], passages: list[_Passage], vecs: dict[Key, np.ndarray]
                      ) -> list[list[Key]]:
    """Sub-themes that at least two sources speak to: a group of one source's sentences joins the group whose
    centroid is closest to its own (a point one contribution makes is not a theme of the group's work)."""
    def sources(group: list[Key]) -> int:
        return len({passages[i].doc.source_key for i, _ in group})

    groups = [list(g) for g in groups if g]
    while len(groups) > 1:
        single = next((n for n, g in enumerate(groups) if sources(g) < 2), None)
        if single is None:
            break
        lonely = groups.pop(single)
        centroids = [np.mean([vecs[k] for k in g], axis=0) for g in groups]
        own = np.mean([vecs[k] for k in lonely], axis=0)
        nearest = int(np.argmax([float(c @ own) / max(float(np.linalg.norm(c)), 1e-9) for c in centroids]))
        groups[nearest].extend(lonely)
    return groups


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a sentence span at line breaks (list items and table rows are separate lines)."""
    out, pos = [], start
    for m in re.finditer(r"\n+", text[start:end]):
        out.append((pos, start + m.start()))
        pos = start + m.end()
    out.append((pos, end))
    return [(a, b) for a, b in out if b > a]


def _singular(word: str) -> str:
    """"helplines" → "helpline" (the pattern adds the endings back): a plural topic word matches its singular."""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-2] if word.endswith(("ches", "shes", "xes")) else word[:-1]
    return word


def _phrase_text(text: str) -> str:
    """Text as key phrases are matched in it: lower case, words only, possessives dropped."""
    return " ".join(re.sub(r"['’]s\b", "", text.lower()).replace("-", " ").split()).translate(
        str.maketrans("", "", ",.;:!?()[]\"“”"))


def _share_matched(patterns: list[re.Pattern[str]], text: str) -> float:
    return sum(1 for p in patterns if p.search(text)) / len(patterns) if patterns else 0.0


def _text(passages: list[_Passage], key: Key) -> str:
    p = passages[key[0]]
    return p.chunk.text[slice(*p.sentences[key[1]])]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _source_name(doc: DocumentRecord) -> str:
    return doc.source or doc.title


def _and_list(items: list[str], more: int) -> str:
    if more > 0:
        return ", ".join(items) + f" and {more} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _source_name_of(citation: Citation) -> str:
    return citation.source or citation.title


def _by_source(passages: list[_Passage], group: list[Key]) -> dict[str, list[Key]]:
    out: dict[str, list[Key]] = {}
    for key in group:
        out.setdefault(passages[key[0]].doc.source_key, []).append(key)
    return out


def _id_filter(ids: set[str]) -> Filters:
    filters = Filters()
    for doc_id in sorted(ids):
        filters.add("document_id", doc_id)
    return filters
