"""Characterization: score every document against every taxonomy label, without re-embedding documents.

Two signals per chunk and label:
- dense: the cosine between the chunk's stored vector and the label's vector (the mean of its
  description and example phrases, embedded with the index's own encoder);
- lexical: how often the label's phrases occur in the chunk (each word matches its inflections).

A document's score for a label rolls its chunks up: the best dense similarity (for long documents,
the mean of the best k chunks, k growing with length), rescaled to [0, 1] between `dense_floor` and
`dense_ceiling`, mixed with a saturating count of phrase hits over the whole document (for long
documents, per `reference_chunks` chunks). The evidence is the chunk that scores best for that label. A label is given when the score
reaches its facet's threshold (in the taxonomy file; calibrated on the hand-labelled sample corpus,
see bench/calibrate_tags.py). Only the label prototypes are embedded, so a taxonomy edit is applied
in seconds.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from index.filters import Filters
from index.folder import IndexFolder
from index.store_api import Store
from search.characterization.initiative_extraction import (
    SHORT_DOCUMENT,
    LabelSpace,
    calibrated,
    extract_all,
    facet_labels,
)
from search.characterization.initiatives import Initiative, write_initiatives
from search.characterization.phrases import label_regex, phrase_pattern  # noqa: F401 - also imported from here
from search.characterization.taxonomy import FACETS, Label, Taxonomy, load_taxonomy

TAGGING_STATE_KEY = "tagging"
CHILD_FACETS = ("theme", "risk")  # the group's themes and the harms to children (not audience, not kind)
CHILD_CONTEXT = re.compile(
    r"\b(child|children|childhood|minors?|kids?|young people|youth|adolescents?|teen(?:ager)?s?|girls?|boys?|pupils?"
    r"|enfants?|mineurs?|jeunes|niños?|niñas?|menores|adolescentes|crianças?|jovens|детей|дети|ребен\w*|儿童|未成年|"
    r"أطفال|الأطفال|طفل|बच्च\w*)", re.IGNORECASE)


@dataclass(frozen=True)
class ScoreWeights:
    """How the two signals mix: chosen on the dev half of the hand-labelled set (bench/calibrate_tags.py)."""

    dense_weight: float = 0.2
    dense_floor: float = 0.15  # cosine at or below which the dense signal counts as 0
    dense_ceiling: float = 0.55  # cosine at or above which it counts as 1
    lexical_half: float = 2.0  # phrase hits in a document that give half of the lexical signal
    reference_chunks: int = 8  # documents longer than this are judged per this many chunks
    child_context: bool = True  # a long report's theme and risk labels read only its passages about children


@dataclass
class LabelScore:
    document_id: str
    facet: str
    label: str
    score: float
    dense: float
    hits: int
    evidence_chunk_id: int | None


@dataclass
class ScoreTable:
    """Every document × every label, before thresholds."""

    documents: list[str]
    labels: list[Label]
    scores: np.ndarray  # (documents, labels) combined score in [0, 1]
    dense: np.ndarray  # (documents, labels) best chunk cosine
    hits: np.ndarray  # (documents, labels) phrase hits in the document
    evidence: np.ndarray  # (documents, labels) chunk id of the evidence, -1 when none
    chunks: np.ndarray  # (documents,) number of chunks

    def cell(self, d: int, j: int) -> LabelScore:
        label = self.labels[j]
        chunk = int(self.evidence[d, j])
        return LabelScore(self.documents[d], label.facet, label.id, round(float(self.scores[d, j]), 4),
                          round(float(self.dense[d, j]), 4), int(self.hits[d, j]), chunk if chunk >= 0 else None)


@dataclass
class TagReport:
    documents: int
    chunks: int
    assigned: list[LabelScore]
    taxonomy: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"documents": self.documents, "chunks": self.chunks, "taxonomy": self.taxonomy,
                "counts": self.counts,
                "labels": [{"document_id": a.document_id, "facet": a.facet, "label": a.label, "score": a.score,
                            "evidence_chunk_id": a.evidence_chunk_id} for a in self.assigned]}


class Tagger:
    def __init__(self, folder: IndexFolder, taxonomy: Taxonomy, weights: ScoreWeights | None = None) -> None:
        self.folder = folder
        self.store = folder.store
        self.taxonomy = taxonomy
        self.weights = weights or ScoreWeights()

    def _space(self) -> str:
        return self.folder.spaces[0]

    def score_table(self) -> ScoreTable:
        """Scores of every document for every label (reads stored vectors; embeds only the prototypes)."""
        labels = self.taxonomy.labels()
        space = self._space()
        label_vecs = self.label_vectors(labels, space)
        regexes = [label_regex(label) for label in labels]
        with self.store.snapshot():
            rows = self.store.chunk_texts()
            chunk_ids = [r[0] for r in rows]
            vectors = self.store.vectors_for(space, chunk_ids, self.folder.dimension(space))
            documents = sorted(self.store.document_ids(Filters()))
            titled = {d.id for d in self.store.documents()
                      if CHILD_CONTEXT.search(re.sub(r"[_\-.]+", " ", f"{d.title} {d.file_name}"))}
        doc_pos = {d: i for i, d in enumerate(documents)}
        n_docs, n_labels = len(documents), len(labels)
        dense = np.zeros((n_docs, n_labels), dtype=np.float32)
        hits = np.zeros((n_docs, n_labels), dtype=np.int64)
        chunks = np.zeros(n_docs, dtype=np.int64)
        evidence = np.full((n_docs, n_labels), -1, dtype=np.int64)
        if chunk_ids:
            per_label = vectors @ label_vecs.T  # (chunks, labels)
            counts = np.array([[len(rx.findall(r[2])) for rx in regexes] for r in rows], dtype=np.int64)
            owner = np.array([doc_pos[r[1]] for r in rows])
            ids = np.array(chunk_ids, dtype=np.int64)
            about_children = np.array([bool(CHILD_CONTEXT.search(r[2])) for r in rows], dtype=bool)
            gated = np.array([label.facet in CHILD_FACETS for label in labels], dtype=bool)
            for d in range(n_docs):
                mine = np.flatnonzero(owner == d)
                if len(mine) == 0:
                    continue
                chunks[d] = len(mine)
                if self.weights.child_context and len(mine) > SHORT_DOCUMENT and documents[d] not in titled:
                    # a long report is about a child-protection theme or harm where it speaks of children: its
                    # passages that never do (an AI strategy's chapter on law) count for nothing on those facets,
                    # unless its title says the whole report is about children
                    per_label[np.ix_(mine[~about_children[mine]], np.flatnonzero(gated))] = -1.0
                    counts[np.ix_(mine[~about_children[mine]], np.flatnonzero(gated))] = 0
                hits[d] = counts[mine].sum(axis=0)
                # the k best chunks, k growing with length: a long document must say it more than once
                k = math.ceil(len(mine) / self.weights.reference_chunks)
                dense[d] = np.sort(per_label[mine], axis=0)[-k:].mean(axis=0)
                # the evidence chunk: best dense similarity, helped by the phrases it contains
                local = self._dense_part(per_label[mine]) + 0.1 * np.minimum(counts[mine], 3)
                evidence[d] = ids[mine[np.argmax(local, axis=0)]]
        scores = self.combine(dense, hits, chunks)
        return ScoreTable(documents, labels, scores, dense, hits, evidence, chunks)

    def label_vectors(self, labels: list[Label], space: str) -> np.ndarray:
        """One unit vector per label: the mean of its prototypes (description and examples) embedded."""
        texts = [text for label in labels for text in label.prototypes]
        owner = np.array([j for j, label in enumerate(labels) for _ in label.prototypes])
        embedded = self.folder.embedder(space).encode(texts)
        out = np.zeros((len(labels), embedded.shape[1]), dtype=np.float32)
        np.add.at(out, owner, embedded)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out

    def _dense_part(self, cosine: np.ndarray) -> np.ndarray:
        w = self.weights
        return np.clip((cosine - w.dense_floor) / (w.dense_ceiling - w.dense_floor), 0.0, 1.0)

    def combine(self, dense: np.ndarray, hits: np.ndarray, chunks: np.ndarray) -> np.ndarray:
        """Scores in [0, 1]. Phrase hits count in full up to `reference_chunks` chunks, then per that
        many chunks (a 500-chunk report mentioning "helpline" five times is not about helplines)."""
        w = self.weights
        scale = np.minimum(1.0, w.reference_chunks / np.maximum(chunks, 1)).astype(np.float32)[:, None]
        lexical = 1.0 - np.power(0.5, hits * scale / w.lexical_half)
        return (w.dense_weight * self._dense_part(dense) + (1 - w.dense_weight) * lexical).astype(np.float32)

    def assign(self, table: ScoreTable, thresholds: dict[str, float] | None = None) -> list[LabelScore]:
        """The labels each document gets: score ≥ its facet's threshold, best `max_labels` per facet."""
        out: list[LabelScore] = []
        for facet_id in FACETS:
            facet = self.taxonomy.facets[facet_id]
            threshold = (thresholds or {}).get(facet_id, facet.threshold)
            cols = [j for j, label in enumerate(table.labels) if label.facet == facet_id]
            for d in range(len(table.documents)):
                chosen = [j for j in cols if table.scores[d, j] >= threshold]
                chosen.sort(key=lambda j: -float(table.scores[d, j]))
                out.extend(table.cell(d, j) for j in chosen[: facet.max_labels])
        return out

    def initiatives(self, document_ids: list[str] | None = None) -> list[Initiative]:
        """The initiatives each document describes, from its stored passages and vectors (per-passage scores of
        the initiative_type, audience and risk labels; search/characterization/initiative_extraction.py)."""
        labels = facet_labels(self.taxonomy)
        space = self._space()
        label_vecs = self.label_vectors(labels, space)
        languages = self.folder.embedder(space).languages
        wider = [s for s in self.folder.spaces[1:] if self.folder.embedder(s).languages is None
                 or languages is not None and len(self.folder.embedder(s).languages or ()) > len(languages)]
        main = LabelSpace(space, self.folder.dimension(space), label_vecs, self.weights.dense_floor,
                          self.weights.dense_ceiling, languages)
        with self.store.snapshot():
            multilingual = calibrated(self.store, main, LabelSpace(  # a language the first space does not read
                wider[0], self.folder.dimension(wider[0]), self.label_vectors(labels, wider[0]), main.floor,
                main.ceiling, self.folder.embedder(wider[0]).languages)) if wider else None
            return extract_all(self.store, space, self.folder.dimension(space), label_vecs, labels,
                               self.weights.dense_floor, self.weights.dense_ceiling, document_ids=document_ids,
                               languages=languages, multilingual=multilingual)

    def with_initiatives(self, assigned: list[LabelScore], initiatives: list[Initiative],
                         chunks: dict[str, int] | None = None) -> list[LabelScore]:
        """A short contribution is judged by what it describes: the kind of its initiatives joins its labels (its one or two passages are all there is, and a document score can miss a tipline that its
        initiative record names). Long reports keep the document scores (what they are about)."""
        if chunks is None:
            with self.store.snapshot():
                chunks = {d.id: d.chunks for d in self.store.documents()}
        have = {(a.document_id, a.facet, a.label) for a in assigned}
        out = list(assigned)
        for item in initiatives:
            if chunks.get(item.document_id, SHORT_DOCUMENT + 1) > SHORT_DOCUMENT:
                continue
            evidence = item.chunk_ids[0] if item.chunk_ids else None
            # its kind only: adding its audience and risk labels too lowered precision on the dev documents
            for facet, values in (("initiative_type", [item.initiative_type]),):
                for label in values:
                    key = (item.document_id, facet, label)
                    if label and key not in have:
                        have.add(key)
                        out.append(LabelScore(item.document_id, facet, label, item.score, 0.0, 0, evidence))
        return out

    def tag(self) -> TagReport:
        """Score and assign the labels; read the initiatives; a short contribution's initiatives add to its labels;
        replace the labels table in one transaction, then the initiatives (a state record)."""
        table = self.score_table()
        found = self.initiatives()
        assigned = self.with_initiatives(self.assign(table), found,
                                         {d: int(n) for d, n in zip(table.documents, table.chunks)})
        write_labels(self.store, assigned, self.taxonomy)
        write_initiatives(self.store, found, self.taxonomy)
        counts: dict[str, dict[str, int]] = {f: {label.id: 0 for label in self.taxonomy.facets[f].labels}
                                             for f in FACETS}
        for a in assigned:
            counts[a.facet][a.label] += 1
        return TagReport(len(table.documents), self.store.chunk_count(), assigned, self.taxonomy.source, counts)


def write_labels(store: Store, assigned: list[LabelScore], taxonomy: Taxonomy) -> None:
    """Replace every label by `assigned`, recording the taxonomy (file, time, label names) they come from."""
    state: dict[str, object] = {
        "taxonomy": taxonomy.source, "tagged_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "labels": {f: {label.id: label.name for label in taxonomy.facets[f].labels} for f in FACETS}}
    store.replace_labels([(a.document_id, a.facet, a.label, a.score, a.evidence_chunk_id) for a in assigned],
                         TAGGING_STATE_KEY, state)


def tagging_state(store: Store) -> dict[str, object] | None:
    """What the last `cwg tag` recorded (taxonomy file, time, label names), or None if never tagged."""
    return store.state_record(TAGGING_STATE_KEY)


def taxonomy_for(store: Store, path: Path | str | None = None) -> Taxonomy:
    """The taxonomy to use with an index: `path` when given, else the file the index was last tagged
    with (when it still exists), else the shipped default."""
    if path is None:
        state = tagging_state(store)
        recorded = Path(str(state["taxonomy"])) if state and state.get("taxonomy") else None
        if recorded is not None and recorded.is_file():
            path = recorded
    return load_taxonomy(path)


def retag_if_tagged(folder: IndexFolder) -> TagReport | None:
    """After documents were added or changed: tag again with the taxonomy the index was last tagged
    with, so labels (and the filters and facets built on them) cover every document. None when the
    index was never tagged."""
    from search.characterization.quality import quality_reader, rescore_if_custom

    rescore_if_custom(folder.store, quality_reader(folder))  # documents just added get the index's own signals
    if tagging_state(folder.store) is None:
        return None
    return Tagger(folder, taxonomy_for(folder.store)).tag()
