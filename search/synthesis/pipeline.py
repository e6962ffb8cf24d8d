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
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from index.filters import Filters
from index.folder import IndexFolder
from index.store import ChunkRecord, DocumentRecord
from ingest.chunking import split_sentences
from ingest.countries import REGIONS
from search.characterization.tagging import Tagger, label_regex, phrase_pattern
from search.characterization.taxonomy import FACETS, Label, Taxonomy
from search.retrieval.engine import SearchEngine, validate_query
from search.retrieval.lexical import query_terms
from search.synthesis.keyphrases import cluster_key_phrases
from search.synthesis.model import (
    Citation,
    CitedSentence,
    Gap,
    Initiative,
    SubTheme,
    Synthesis,
)

Key = tuple[int, int]  # (passage index, sentence index)
_LIST_MARKER = re.compile(r"(?:[-•*]|\d{1,2}[.)])\s+")  # used with .match(text, pos)
_MIN_WORDS, _MAX_WORDS = 6, 70
_FULL_SENTENCE = re.compile(r"^[\"'“(]?[A-Z0-9].*[.!?][\"'”)]?$", re.DOTALL)


@dataclass(frozen=True)
class SynthesisOptions:
    passages: int = 40  # passages retrieved per query
    per_source: int = 4  # … at most this many from one source
    max_passages: int = 60  # passages kept (the most relevant)
    max_sentences: int = 60  # sentences clustered into sub-themes (the most relevant)
    subthemes: int | None = None  # None: chosen by silhouette between 2 and 5
    summary_sentences: int = 3
    min_relevance: float = 0.30  # cosine to the topic below which a passage without topic words is dropped
    sentence_floor: float = 0.35  # a sentence is about the topic from this relevance …
    sentence_window: float = 0.45  # … and within this distance of the most relevant sentence
    gap_max: int = 1  # a label or region with at most this many documents on the topic is a gap
    mmr_lambda: float = 0.7


@dataclass
class _Passage:
    chunk: ChunkRecord
    doc: DocumentRecord
    vector: np.ndarray
    relevance: float
    sentences: list[tuple[int, int]] = field(default_factory=list)  # (start, end) in chunk.text


class Synthesizer:
    def __init__(self, folder: IndexFolder, taxonomy: Taxonomy, engine: SearchEngine | None = None) -> None:
        self.folder = folder
        self.store = folder.store
        self.taxonomy = taxonomy
        self.engine = engine or SearchEngine(folder)
        self.space = folder.spaces[0]

    # --- the pipeline ------------------------------------------------------------------------------
    def synthesize(self, topic: str, filters: Filters | None = None,
                   options: SynthesisOptions | None = None) -> Synthesis:
        topic = validate_query(topic)
        opts = options or SynthesisOptions()
        if opts.subthemes is not None and not 1 <= opts.subthemes <= 10:
            from ingest.errors import QueryError

            raise QueryError("the number of sub-themes must be between 1 and 10")
        label = self.taxonomy.find(topic)
        queries = [label.name, *label.examples] if label else [topic]
        topic_vec = self._topic_vector(topic, label)
        patterns = self._topic_patterns(topic, label)
        with self.store.snapshot():
            passages = self._retrieve(queries, filters, opts, topic_vec, patterns, label)
            synthesis = Synthesis(topic=topic, label=f"{label.facet}={label.id}" if label else None,
                                  label_name=label.name if label else None, queries=queries,
                                  filters=dict((filters or Filters()).fields),
                                  created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            if not passages:
                synthesis.notes.append("No passage in the index is about this topic (with these filters).")
                return synthesis
            self._split(passages)
            sent_vecs, sent_rel = self._embed_sentences(passages, topic_vec, patterns)
            selected = self._select(sent_rel, opts)
            groups = self._cluster(selected, sent_vecs, opts)
            # the sub-themes most about the topic first
            groups.sort(key=lambda g: (-float(np.mean([sent_rel[k] for k in g])), g[0]))
            self._build(synthesis, passages, groups, sent_vecs, sent_rel, opts, topic, label)
            self._gaps(synthesis, passages, groups, label, opts)
        return synthesis

    def _topic_vector(self, topic: str, label: Label | None) -> np.ndarray:
        if label is not None:
            return Tagger(self.folder, self.taxonomy).label_vectors([label], self.space)[0]
        return self.folder.embedder(self.space).encode([topic])[0]

    @staticmethod
    def _topic_patterns(topic: str, label: Label | None) -> list[re.Pattern[str]]:
        """What counts as the topic's words: a label's phrases, or each content word of a free-text topic."""
        if label is not None:
            return [label_regex(label)]
        return [re.compile(phrase_pattern(term), re.IGNORECASE) for term in query_terms(topic)]

    def _retrieve(self, queries: list[str], filters: Filters | None, opts: SynthesisOptions,
                  topic_vec: np.ndarray, patterns: list[re.Pattern[str]], label: Label | None) -> list[_Passage]:
        chunk_ids: dict[int, None] = {}
        for query in queries:
            for hit in self.engine.search(query, k=opts.passages, filters=filters, per_source=opts.per_source):
                chunk_ids.setdefault(hit.chunk_id, None)
        ids = list(chunk_ids)
        if not ids:
            return []
        chunks = self.store.chunks_by_id(ids)
        vectors = self.store.vectors_for(self.space, ids, self.folder.dimension(self.space))
        docs = {d.id: d for d in self.store.documents(_id_filter({c.document_id for c in chunks.values()}))}
        labelled = self._documents_with(label) if label else set()
        passages = []
        for cid, vec in zip(ids, vectors):
            chunk = chunks.get(cid)
            if chunk is None or chunk.document_id not in docs:
                continue
            cosine = float(vec @ topic_vec)
            hits = sum(len(pattern.findall(chunk.text)) for pattern in patterns)
            if cosine < opts.min_relevance and hits == 0:
                continue
            relevance = cosine + 0.1 * min(hits, 3) + (0.05 if chunk.document_id in labelled else 0.0)
            passages.append(_Passage(chunk, docs[chunk.document_id], vec, relevance))
        passages.sort(key=lambda p: (-p.relevance, p.chunk.id))
        return passages[: opts.max_passages]

    def _documents_with(self, label: Label) -> set[str]:
        rows = self.store.conn.execute("SELECT document_id FROM labels WHERE facet = ? AND label = ?",
                                       (label.facet, label.id)).fetchall()
        return {r[0] for r in rows}

    @staticmethod
    def _split(passages: list[_Passage]) -> None:
        """Candidate sentences of each passage: real sentences (list markers trimmed), not headings."""
        for p in passages:
            text = p.chunk.text
            for start, end in split_sentences(text):
                for line_start, line_end in _lines(text, start, end):
                    marker = _LIST_MARKER.match(text, line_start)
                    s = marker.end() if marker else line_start
                    piece = text[s:line_end]
                    words = len(piece.split())
                    if _MIN_WORDS <= words <= _MAX_WORDS and re.search(r"[.;!?:)]$", piece.rstrip()):
                        p.sentences.append((s, s + len(piece.rstrip())))

    def _embed_sentences(self, passages: list[_Passage], topic_vec: np.ndarray,
                         patterns: list[re.Pattern[str]]) -> tuple[dict[Key, np.ndarray], dict[Key, float]]:
        keys = [(i, j) for i, p in enumerate(passages) for j in range(len(p.sentences))]
        texts = [passages[i].chunk.text[slice(*passages[i].sentences[j])] for i, j in keys]
        matrix = self.folder.embedder(self.space).encode(texts) if texts else np.zeros((0, 1), np.float32)
        vecs = {k: matrix[n] for n, k in enumerate(keys)}
        rel = {k: float(matrix[n] @ topic_vec) + 0.15 * _share_matched(patterns, texts[n])
               for n, k in enumerate(keys)}
        return vecs, rel

    @staticmethod
    def _select(rel: dict[Key, float], opts: SynthesisOptions) -> list[Key]:
        """The sentences about the topic: above the floor and near the best one, most relevant first."""
        if not rel:
            return []
        floor = max(opts.sentence_floor, max(rel.values()) - opts.sentence_window)
        keys = sorted((k for k, r in rel.items() if r >= floor), key=lambda k: (-rel[k], k))
        return keys[: opts.max_sentences]

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
        phrases = cluster_key_phrases([[_text(passages, k) for k in g] for g in groups],
                                      self._background_texts(), avoid=avoid)
        citations: dict[int, Citation] = {}
        used: set[str] = set()

        def cite(key: Key) -> CitedSentence:
            p = passages[key[0]]
            if p.chunk.id not in citations:
                citations[p.chunk.id] = Citation.make(len(citations) + 1, p.doc, p.chunk)
            start, end = p.sentences[key[1]]
            used.add(_norm(p.chunk.text[start:end]))
            return CitedSentence(p.chunk.text[start:end], citations[p.chunk.id].number, start, end,
                                 round(sent_rel[key], 4))

        for number, (group, key_phrases) in enumerate(zip(groups, phrases), start=1):
            fresh = [k for k in group if _norm(_text(passages, k)) not in used]
            whole = [k for k in fresh if _FULL_SENTENCE.match(_text(passages, k))]  # not list fragments
            summary = [cite(k) for k in self._mmr(whole or fresh, sent_vecs, sent_rel, opts)]
            initiatives = []
            for members in _by_source(passages, group).values():
                unused = [k for k in members if _norm(_text(passages, k)) not in used]
                if not unused:  # its point is in the summary: another sentence of its passages, if on topic
                    unused = [(i, j) for i in sorted({i for i, _ in members}) for j in range(len(passages[i].sentences))
                              if sent_rel[(i, j)] >= opts.sentence_floor
                              and _norm(_text(passages, (i, j))) not in used]
                pick = max(unused or members, key=lambda k: (sent_rel[k], k))
                doc = passages[pick[0]].doc
                initiatives.append(Initiative(_source_name(doc), doc.country, doc.id, doc.title, cite(pick)))
            initiatives.sort(key=lambda it: it.source.lower())
            synthesis.subthemes.append(SubTheme(
                number=number, key_phrases=key_phrases, summary=summary, initiatives=initiatives,
                passages=sorted({passages[i].chunk.id for i, _ in group}),
                sources=sorted({_source_name(passages[i].doc) for i, _ in group}, key=str.lower)))
        synthesis.citations = sorted(citations.values(), key=lambda c: c.number)
        synthesis.documents = sorted({passages[i].doc.id for g in groups for i, _ in g})
        sources = sorted({_source_name(passages[i].doc) for g in groups for i, _ in g}, key=str.lower)
        synthesis.overview = {s: [sum(1 for i, _ in g if _source_name(passages[i].doc) == s) for g in groups]
                              for s in sources}

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

    def _background_texts(self, limit: int = 2000) -> list[str]:
        rows = self.store.conn.execute("SELECT text FROM chunks ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [r[0] for r in rows]

    # --- gaps --------------------------------------------------------------------------------------
    def _gaps(self, synthesis: Synthesis, passages: list[_Passage], groups: list[list[Key]],
              label: Label | None, opts: SynthesisOptions) -> None:
        docs = {passages[i].doc.id: passages[i].doc for g in groups for i, _ in g}
        if not docs:
            return
        total = len(docs)
        rows = self.store.conn.execute(
            f"SELECT facet, label, COUNT(DISTINCT document_id) FROM labels WHERE document_id IN "
            f"({','.join('?' * total)}) GROUP BY facet, label", list(docs)).fetchall()
        tagged = self.store.conn.execute("SELECT 1 FROM labels LIMIT 1").fetchone() is not None
        synthesis.tagged = tagged
        if tagged:  # (untagged: the renderers say to run `cwg tag`)
            counts = {(f, lb): n for f, lb, n in rows}
            for facet in FACETS:
                for lb in self.taxonomy.facets[facet].labels:
                    if label is not None and (lb.facet, lb.id) == (label.facet, label.id):
                        continue
                    n = counts.get((facet, lb.id), 0)
                    if n <= opts.gap_max:
                        synthesis.label_gaps.append(Gap(facet, lb.id, lb.name, n, total))
        for region in REGIONS:
            n = sum(1 for d in docs.values() if d.region == region)
            synthesis.regions[region] = n
            if n <= opts.gap_max:
                synthesis.region_gaps.append(Gap("region", region, region, n, total))
        synthesis.regions["(no region: international organisations)"] = sum(
            1 for d in docs.values() if not d.region)


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a sentence span at line breaks (list items and table rows are separate lines)."""
    out, pos = [], start
    for m in re.finditer(r"\n+", text[start:end]):
        out.append((pos, start + m.start()))
        pos = start + m.end()
    out.append((pos, end))
    return [(a, b) for a, b in out if b > a]


def _share_matched(patterns: list[re.Pattern[str]], text: str) -> float:
    return sum(1 for p in patterns if p.search(text)) / len(patterns) if patterns else 0.0


def _text(passages: list[_Passage], key: Key) -> str:
    p = passages[key[0]]
    return p.chunk.text[slice(*p.sentences[key[1]])]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _source_name(doc: DocumentRecord) -> str:
    return doc.source or doc.title


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
