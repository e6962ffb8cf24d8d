"""FAISS indexes derived from the stored vectors: exact below a size, HNSW above it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

# Exact below this many chunks. Measured (bench/query_latency.py, 2 cores, 1 thread): exact search costs
# ~0.055 ms per 1k vectors (5.6 ms at 100k, 53 ms at 1M), HNSW ~1.7 ms at k=1000 whatever the size, but
# HNSW takes ~10x longer to build (7 s at 100k, 73 s at 1M) and the index is rebuilt after each ingest.
HNSW_THRESHOLD = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
# A million vectors need a denser graph for recall@10 >= 0.98 against exact (0.947 with 80, 0.985 with
# 200 at efSearch 1024 on bench/synthetic_index.py's 1M); it builds ~3x slower, so only from this size.
HNSW_EF_CONSTRUCTION_LARGE = 200
LARGE_INDEX = 500_000
HNSW_EF_SEARCH = 1024  # recall@10 against exact: 0.999 at 100k, 0.978 at 1M (synthetic, efC 200); ~3 ms
# A filter's chunks are always searched exactly: up to this many by copying their rows, beyond it by
# a bitmap over the flat vectors (1M chunks: 50k allowed, 27 ms copying against 7.6 ms by bitmap).
GATHER_MAX = 20_000
# One query at a time is memory-bound: OpenMP threads only add synchronisation, and on 2 busy cores
# a 100k flat search took 48 ms with 2 threads against 14 ms with 1 (bench/query_latency.py).
SEARCH_THREADS = 1


@dataclass
class VectorIndex:
    """Inner-product search over one vector space; positions map to chunk ids through `ids`."""

    ids: np.ndarray  # int64, ascending
    index: faiss.Index
    kind: str  # "flat" | "hnsw"

    @classmethod
    def build(cls, ids: np.ndarray, matrix: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD) -> VectorIndex:
        dim = matrix.shape[1] if matrix.ndim == 2 else 0
        return cls.build_from_batches([(ids, matrix)], len(ids), dim, hnsw_threshold)

    @classmethod
    def build_from_batches(cls, batches: Iterable[tuple[np.ndarray, np.ndarray]], count: int, dim: int,
                           hnsw_threshold: int = HNSW_THRESHOLD) -> VectorIndex:
        """Build from (ids, vectors) batches in ascending id order: FAISS's copy is the only full one."""
        kind = "hnsw" if count >= hnsw_threshold else "flat"
        if kind == "hnsw":
            index: faiss.Index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION_LARGE if count >= LARGE_INDEX else HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
            faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is parallel work
        else:
            index = faiss.IndexFlatIP(dim)
        all_ids = np.empty(count, dtype=np.int64)
        filled = 0
        try:
            for ids, matrix in batches:
                if len(ids):
                    index.add(np.ascontiguousarray(matrix, dtype=np.float32))
                    all_ids[filled:filled + len(ids)] = ids
                    filled += len(ids)
        finally:
            faiss.omp_set_num_threads(SEARCH_THREADS)
        return cls(all_ids[:filled], index, kind)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def matrix(self) -> np.ndarray:
        """The stored vectors, as a view into FAISS's own storage (no copy)."""
        flat = self.index if self.kind == "flat" else faiss.downcast_index(self.index.storage)
        n, d = flat.ntotal, flat.d
        if n == 0:
            return np.zeros((0, d), dtype=np.float32)
        return faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)

    def positions(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Positions in the index of those `chunk_ids` it holds."""
        pos = np.searchsorted(self.ids, chunk_ids)
        inside = pos < len(self.ids)
        pos, chunk_ids = pos[inside], chunk_ids[inside]
        return pos[self.ids[pos] == chunk_ids]

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (chunk ids, scores) for one query vector, among `allowed` chunk ids if given."""
        if len(self.ids) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if faiss.omp_get_max_threads() != SEARCH_THREADS:
            faiss.omp_set_num_threads(SEARCH_THREADS)
        if allowed is not None:
            return self._search_subset(q, k, self.positions(allowed))
        params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k)) if self.kind == "hnsw" else None
        scores, found = self.index.search(q, min(k, len(self.ids)), params=params)
        keep = found[0] >= 0
        return self.ids[found[0][keep]], scores[0][keep]

    def _search_subset(self, q: np.ndarray, k: int, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k among positions `pos` (a filter's chunks). HNSW is never asked to filter: with a
        filter keeping 5% of 1M chunks its top-1000 held 17% of the true one (bench/query_latency.py)."""
        if len(pos) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if len(pos) <= GATHER_MAX:  # copy those rows and score them: cheapest for a small subset
            # einsum, not `@`: OpenBLAS's threads spin on after a product and slowed the next query's
            # encoding 10x (p95 70 ms instead of 6 ms on 2 cores, bench/query_latency.py)
            scores = np.einsum("ij,j->i", self.matrix[pos], q[0])
            top = _top_k(scores, k)
            return self.ids[pos[top]], scores[top]
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[pos] = True
        bitmap = np.packbits(mask, bitorder="little")  # kept alive (referenced) during the search
        selector = faiss.IDSelectorBitmap(len(self.ids), faiss.swig_ptr(bitmap))
        flat = self.index if self.kind == "flat" else faiss.downcast_index(self.index.storage)
        scores, found = flat.search(q, min(k, len(pos)), params=faiss.SearchParameters(sel=selector))
        keep = found[0] >= 0
        return self.ids[found[0][keep]], scores[0][keep]

    # --- persistence: a cache, valid only for the store generation it was built from ---------------
    def save(self, folder: Path, space: str, generation: int) -> None:
        tmp = folder / f"vectors-{space}.faiss.tmp"
        faiss.write_index(self.index, str(tmp))
        np.save(folder / f"vectors-{space}.ids.npy", self.ids, allow_pickle=False)
        tmp.replace(folder / f"vectors-{space}.faiss")
        (folder / f"vectors-{space}.json").write_text(
            json.dumps({"generation": generation, "count": len(self.ids), "kind": self.kind}))

    @classmethod
    def load(cls, folder: Path, space: str, generation: int) -> VectorIndex | None:
        """The cached index if it was built from this store generation, else None."""
        try:
            info = json.loads((folder / f"vectors-{space}.json").read_text())
            if info.get("generation") != generation:
                return None
            ids = np.load(folder / f"vectors-{space}.ids.npy", allow_pickle=False)
            index = faiss.read_index(str(folder / f"vectors-{space}.faiss"))
        except (OSError, ValueError, RuntimeError):
            return None
        if index.ntotal != len(ids):
            return None
        return cls(ids, index, info.get("kind", "flat"))


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    if len(scores) <= k:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
