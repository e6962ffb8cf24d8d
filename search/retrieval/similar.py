"""Similar initiatives: documents of *other* sources that resemble a document or a description."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.filters import Filters
from index.folder import IndexFolder
from index.store import ChunkRecord
from ingest.chunking import chunk_blocks
from ingest.errors import QueryError
from ingest.records import Block
from search.retrieval.engine import Hit, validate_query

SHORTLIST = 5  # documents compared passage by passage, per result wanted


@dataclass
class SimilarResult:
    document_id: str
    title: str
    source: str
    country: str
    score: float
    passage: Hit  # the best-matching passage of the similar document
    matched: Hit  # the passage of the query (document or text) it matches

    def to_json(self) -> dict[str, object]:
        return {"document_id": self.document_id, "title": self.title, "source": self.source,
                "country": self.country, "score": self.score,
                "passage": self.passage.to_json(), "matched": self.matched.to_json()}


class SimilarFinder:
    def __init__(self, folder: IndexFolder) -> None:
        self.folder = folder
        self.store = folder.store

    def _space(self) -> str:
        # the multilingual space, when the index has it, finds initiatives written in other languages
        return "use" if "use" in self.folder.spaces else self.folder.spaces[0]

    def similar(self, *, document_id: str | None = None, text: str | None = None, k: int = 10,
                filters: Filters | None = None) -> list[SimilarResult]:
        if (document_id is None) == (text is None):
            raise QueryError("give either a document id or a text, not both")
        if not 1 <= k <= 100:
            raise QueryError("k must be between 1 and 100")
        space = self._space()
        with self.store.snapshot():
            index = self.folder.vector_index(space)
            if document_id is not None:
                query_doc = self.store.document(document_id)
                q_chunks = self.store.chunks_of(document_id)
                q_vecs = self.store.vectors_for(space, [c.id for c in q_chunks], self.folder.dimension(space))
                exclude_source = query_doc.source_key
            else:
                text = validate_query(text or "")
                _, pieces = chunk_blocks([Block("paragraph", p.strip()) for p in text.split("\n\n") if p.strip()])
                q_chunks = [ChunkRecord(-i - 1, "", c.ordinal, c.text, c.section, None, None, c.char_start,
                                        c.char_end, c.content_hash, "") for i, c in enumerate(pieces)]
                q_vecs = self.folder.embedder(space).encode([c.text for c in q_chunks])
                query_doc, exclude_source = None, None
            if len(q_chunks) == 0:
                return []
            where, params = (filters or Filters()).to_sql("d")
            rows = self.store.conn.execute(
                f"SELECT c.id, c.document_id, d.source FROM chunks c JOIN documents d ON d.id = c.document_id "
                f"WHERE {where} ORDER BY c.id", params).fetchall()
            doc_of = {r[0]: r[1] for r in rows
                      if r[1] != document_id and (r[2].lower() or f"doc:{r[1]}") != exclude_source}
            wanted = np.fromiter(doc_of, dtype=np.int64, count=len(doc_of))
            pos = index.positions(wanted)
            if len(pos) == 0:
                return []
            return self._rank(q_vecs, q_chunks, query_doc, index.ids[pos], index.matrix[pos], doc_of, k)

    def _rank(self, q_vecs, q_chunks, query_doc, cand_ids, matrix, doc_of, k):  # type: ignore[no-untyped-def]
        centroid = q_vecs.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        docs = np.array([doc_of[c] for c in cand_ids.tolist()], dtype=object)
        uniq, inverse = np.unique(docs, return_inverse=True)
        sums = np.zeros((len(uniq), matrix.shape[1]), dtype=np.float32)
        np.add.at(sums, inverse, matrix)
        sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
        centroid_sim = sums @ centroid
        shortlist = np.argsort(-centroid_sim)[: k * SHORTLIST]
        scored = []
        for d in shortlist:
            rows = np.where(inverse == d)[0]
            pair = q_vecs @ matrix[rows].T  # query passages × candidate passages
            qi, ci = np.unravel_index(int(np.argmax(pair)), pair.shape)
            score = 0.5 * float(centroid_sim[d]) + 0.5 * float(pair[qi, ci])
            scored.append((score, str(uniq[d]), int(cand_ids[rows[ci]]), int(qi)))
        scored.sort(key=lambda t: -t[0])
        results = []
        for score, doc_id, chunk_id, qi in scored[:k]:
            doc = self.store.document(doc_id)
            chunk = self.store.chunks_by_id([chunk_id])[chunk_id]
            passage = Hit.make(doc, chunk, score)
            q = q_chunks[qi]
            if query_doc is not None:
                matched = Hit.make(query_doc, q, score)
            else:
                matched = Hit("", -1, "(query text)", "", "", "", "", "", "", "", "", None, None, "", q.text,
                              round(score, 6), q.char_start, q.char_end)
            results.append(SimilarResult(doc.id, doc.title, doc.source, doc.country, round(score, 6),
                                         passage, matched))
        return results
