"""The repository mechanism (meeting report 8.5): select the best content on a filter, and the card of
one contribution (its characterization, quality, similar prior contributions, what it adds).

- `select`: the reading list for a filter: curated best practice first, then promising, then the rest by
  quality (noted and uncurated alike), each with its labels and its strongest evidence.
- `card`: one document: `labels` (with their evidence passage), `quality` (score and signals with evidence
  or a hint), `similar` (other sources' contributions, with meeting and shared words) and `new` (its
  passages with no close match anywhere else in the repository).
- `check`: the same card for a draft file that is not in the repository (nothing is written).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.filters import Filters
from index.folder import IndexFolder
from index.records import DocumentRecord
from index.store_api import Store
from ingest.limits import ReadLimits
from ingest.quality import QualityProfile, assess, load_signals, quality_band
from search.characterization.initiatives import stored_initiatives
from search.characterization.quality import quality_json, quality_reader
from search.characterization.taxonomy import Taxonomy
from search.retrieval.scope import in_scope
from search.retrieval.similar import SimilarFinder, SimilarResult
from search.retrieval.versions import Contributions, contributions, document_json

CURATION_ORDER = {"best_practice": 0, "promising": 1}
# the evidence a reader wants first: what was achieved and shown, then what the initiative is
EVIDENCE_ORDER = ("results", "evaluation", "figures", "lessons", "initiative", "objective")
NEW_BELOW = 0.6  # a passage whose closest passage elsewhere is below this cosine is new (MiniLM space)
# A draft's passages compared with the repository (CWG_CHECK_MAX_PASSAGES): ~0.1 CPU-second each to encode.
# 100 passages (~40 pages) hold any real contribution; a 653-passage draft cost 55 s of a server's CPU.
CHECK_MAX_PASSAGES = 100
CHECK_BATCH = 16  # passages encoded (or looked up) between two checkpoints


@dataclass(frozen=True)
class Selected:
    document: DocumentRecord
    labels: list[dict[str, str]]
    evidence: dict[str, object] | None  # {signal, name, text, page}
    reason: str  # the curator's latest reason ("" when never curated)
    quality_from: str = ""  # the version whose quality profile it shows (its own id when it has no other)

    def to_json(self, base_url: str = "") -> dict[str, object]:
        d = self.document
        return {"document_id": d.id, "title": d.title, "source": d.source, "country": d.country,
                "actor_type": d.actor_type, "doc_type": d.doc_type, "meeting": d.meeting, "date": d.date,
                "quality": d.quality, "quality_band": quality_band(d.quality), "curation": d.curation,
                "curation_reason": self.reason, "quality_from": self.quality_from or d.id, "labels": self.labels,
                "evidence": self.evidence,
                "link": f"{base_url}/?document={d.id}"}


def _label_names(taxonomy: Taxonomy, pairs: set[tuple[str, str]]) -> list[dict[str, str]]:
    order = {(lb.facet, lb.id): i for i, lb in enumerate(taxonomy.labels())}
    return [{"facet": f, "label": lb, "name": taxonomy.name_of(f, lb)}
            for f, lb in sorted(pairs, key=lambda p: order.get(p, len(order)))]


def strongest_evidence(signals: list[dict[str, object]]) -> dict[str, object] | None:
    found = {str(s["id"]): s for s in signals if s.get("found") and s.get("evidence")}
    for signal_id in EVIDENCE_ORDER:
        if signal_id in found:
            s = found[signal_id]
            return {"signal": signal_id, "text": s["evidence"], "page": s.get("page")}
    return None


def select(folder: IndexFolder, taxonomy: Taxonomy, filters: Filters | None = None, limit: int = 50
           ) -> list[Selected]:
    """The reading list for `filters` (which may hold `min_quality`): best practice, promising, then by quality.
    A contribution is listed once, with its status, reason and quality (those its versions share)."""
    store = folder.store
    with store.snapshot():
        shared = contributions(store)
        docs = store.documents(in_scope(filters, store))  # the group's contributions unless a collection is named
        docs = shared.versions.once(shared.records(docs))  # a contribution once, not once per language
        docs.sort(key=lambda d: (CURATION_ORDER.get(d.curation, 2), -(d.quality or 0.0), d.title.lower(), d.id))
        docs = docs[:limit]
        labels = store.labels_of([d.id for d in docs])
        history = {d.id: _history(store, shared, d.id) for d in docs if d.curation != "none"}
        out = []
        for d in docs:
            events = history.get(d.id, [])
            out.append(Selected(d, _label_names(taxonomy, labels.get(d.id, set())),
                                strongest_evidence(store.quality_signals(shared.quality_from(d.id))),
                                events[-1]["reason"] if events else "", shared.quality_from(d.id)))
    return out


def curation_of(store: Store, document_id: str) -> dict[str, Any]:
    """A document's curation as every view reads it: its contribution's latest status, the history of all its
    versions (each event names the version it was set on), oldest first, and its other versions. NotFound for an
    unknown id."""
    with store.snapshot():
        shared = contributions(store)
        doc = shared.record(store.document(document_id))
        history = _history(store, shared, document_id)
    return {"document_id": document_id, "status": doc.curation, "history": history,
            "versions": shared.versions.others(document_id)}


def _history(store: Store, shared: Contributions, document_id: str) -> list[dict[str, str]]:
    """A document's curation history: its whole contribution's when it has other versions."""
    history = shared.history(document_id)
    return store.curation_history(document_id) if history is None else history


def _new_passages(folder: IndexFolder, texts: list[str], vectors: np.ndarray, own_ids: set[int],
                  limit: int = 5, examined: int = 200, checkpoint: Callable[[], None] | None = None,
                  space: str | None = None) -> list[dict[str, object]]:
    """The passages whose closest passage in any other document is below `NEW_BELOW` (most novel first).
    Each passage asks the vector index for its nearest neighbours (its own document's passages skipped), so
    the cost does not grow with the repository; at most `examined` passages are looked at."""
    index = folder.vector_index(space or folder.spaces[0])  # the space of `vectors`
    if len(vectors) == 0 or len(index) == 0:
        return []
    depth = min(len(own_ids) + 1, len(index))
    closest = []
    for n, vector in enumerate(vectors[:examined]):
        if checkpoint is not None and n % CHECK_BATCH == 0:
            checkpoint()
        ids, scores = index.search(vector, depth)
        others = [float(sc) for cid, sc in zip(ids.tolist(), scores.tolist()) if cid not in own_ids]
        closest.append(others[0] if others else 0.0)
    order = np.argsort(np.asarray(closest))
    return [{"text": texts[i], "closest": round(closest[i], 3)} for i in order
            if closest[i] < NEW_BELOW and len(texts[i].split()) >= 12][:limit]


def _similar_json(folder: IndexFolder, results: list[SimilarResult]) -> list[dict[str, object]]:
    docs = folder.store.documents_by_id([r.document_id for r in results])
    return [{"document_id": r.document_id, "title": r.title, "source": r.source,
             "meeting": docs[r.document_id].meeting if r.document_id in docs else "", "score": r.score,
             "shared": r.shared, "passage": r.passage.text} for r in results]


def card(folder: IndexFolder, taxonomy: Taxonomy, document_id: str) -> dict[str, object]:
    """The contribution card of a document in the repository."""
    store = folder.store
    with store.snapshot():
        shared = contributions(store)
        doc = shared.record(store.document(document_id))
        labels = store.document_labels(document_id)
        evidence = store.chunks_by_id([int(lb["evidence_chunk_id"]) for lb in labels
                                       if lb.get("evidence_chunk_id") is not None])
        # the contribution's profile: read on its most complete version (its evidence is that version's text)
        quality = {"document_id": shared.quality_from(document_id),
                   **quality_json(store, shared.quality_from(document_id))}
        chunks = store.chunks_of(document_id)
        vectors = store.vectors_for(folder.spaces[0], [c.id for c in chunks], folder.dimension(folder.spaces[0]))
        history = _history(store, shared, document_id)
        found = shared.versions
        # what is new is new against other contributions, not against the same one in another language
        own = {c.id for c in chunks} | {c.id for v in found.others(document_id) for c in store.chunks_of(v.document_id)}
        initiatives = [i.to_json() for i in stored_initiatives(store) if i.document_id == document_id]
    label_json = []
    for lb in labels:
        chunk = evidence.get(int(lb["evidence_chunk_id"])) if lb.get("evidence_chunk_id") is not None else None
        label_json.append({"facet": lb["facet"], "label": lb["label"],
                           "name": taxonomy.name_of(str(lb["facet"]), str(lb["label"])), "score": lb["score"],
                           "evidence": {"text": chunk.text, "page": chunk.page_start} if chunk else None})
    return {"document": document_json(doc, shared), "labels": label_json, "quality": quality,
            "initiatives": initiatives, "curation": {"status": doc.curation, "history": history},
            "similar": _similar_json(folder, SimilarFinder(folder).similar(document_id=document_id, k=5)),
            "new": _new_passages(folder, [c.text for c in chunks], vectors, own)}


def check(folder: IndexFolder, path: Path, data: bytes | None = None, file_name: str | None = None, *,
          limits: ReadLimits | None = None, max_passages: int = CHECK_MAX_PASSAGES,
          checkpoint: Callable[[], None] | None = None) -> dict[str, object]:
    """The card of a draft that is not in the repository: its quality signals with the template's hints for
    what is missing, similar prior contributions it should reference, and what it adds. Nothing is written.

    The file is read within `limits` (those of uploads). The quality signals read the whole draft; only its
    first `max_passages` passages are encoded and compared with the repository (`cut` says when the draft
    had more). `checkpoint` is called between units of work (a batch of passages) and may raise to stop."""
    from ingest.prepare import prepare_document

    prepared = prepare_document(path, data, file_name=file_name, limits=limits)
    reader = quality_reader(folder)  # read as the index reads its documents (by meaning where it can)
    spans = [(c.char_start, c.char_end, c.page_start) for c in prepared.chunks]
    profile: QualityProfile = assess(prepared.text, spans, None, reader.encode, reader.model) if reader.encode \
        else prepared.quality or assess(prepared.text)
    signals = load_signals()
    quality = {"score": profile.score, "band": quality_band(profile.score),
               "signals": [{"id": r.id, "name": r.name, "found": r.found,
                            "evidence": {"text": r.evidence.text, "page": r.evidence.page} if r.evidence else None,
                            "hint": None if r.found else signals.get(r.id).hint} for r in profile.signals]}
    passages = prepared.chunks[:max_passages]
    finder = SimilarFinder(folder)
    vectors = _encode(folder, finder.space, [c.text for c in passages], checkpoint)
    cut = len(prepared.chunks) > len(passages)
    if checkpoint is not None:
        checkpoint()
    return {"document": {"title": prepared.meta.title, "source": prepared.meta.source,
                         "country": prepared.meta.country, "language": prepared.meta.language,
                         "file_name": prepared.file_name, "chunks": len(prepared.chunks),
                         "chunks_checked": len(passages)},
            "cut": cut,
            "notes": [f"The draft has {len(prepared.chunks)} passages: only its first {len(passages)} were compared "
                      f"with the repository (setting CWG_CHECK_MAX_PASSAGES); the quality signals read all of it."]
            if cut else [],
            "quality": quality,
            "to_add": [s["hint"] for s in quality["signals"] if not s["found"]],
            "similar": _similar_json(folder, finder.similar_to_passages(passages, vectors, k=5)),
            "new": _new_passages(folder, [c.text for c in passages], vectors, set(), checkpoint=checkpoint,
                                  space=finder.space)}


def _encode(folder: IndexFolder, space: str, texts: list[str], checkpoint: Callable[[], None] | None) -> np.ndarray:
    """The texts' vectors, a batch at a time, with a checkpoint before each batch."""
    embedder = folder.embedder(space)
    parts = []
    for start in range(0, len(texts), CHECK_BATCH):
        if checkpoint is not None:
            checkpoint()
        parts.append(embedder.encode(texts[start:start + CHECK_BATCH]))
    return np.concatenate(parts) if parts else np.zeros((0, folder.dimension(space)), np.float32)
