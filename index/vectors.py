"""FAISS indexes derived from the stored vectors: exact below a size, HNSW above it, updated in place of rebuilt.

A `VectorIndex` is one immutable version: a base FAISS index (flat or HNSW, shared by the versions derived
from it and never changed once searched), the vectors added since (`fresh`, a small flat index searched
exactly beside it) and the base positions whose chunk is gone (tombstones, masked at search time: HNSW cannot
remove). An update makes a new version and the folder swaps it in, so a search never sees half of one.
When the fresh part or the tombstones grow past a share of the base, the version is compacted (`compaction`).
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import faiss
import numpy as np

# Exact below this many chunks. Measured (bench/query_latency.py, 2 cores, 1 thread): exact search costs
# ~0.055 ms per 1k vectors (5.6 ms at 100k, 53 ms at 1M), HNSW ~1.7 ms at k=1000 whatever the size, but
# HNSW takes ~10x longer to build (7 s at 100k, 73 s at 1M).
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
# Compaction (bench/incremental_vectors.py). The fresh part is searched exactly (~0.05 ms per 1k vectors)
# and the cache rewrites it whole on each save, so it is merged into the base beyond 2% of it (at least
# 1,000, at most 20,000 vectors: +1 ms a query at most). Tombstones beyond 10% of the base rebuild it.
FRESH_MIN = 1_000
FRESH_MAX = 20_000
FRESH_SHARE = 0.02
DEAD_SHARE = 0.10


def kind_for(count: int, hnsw_threshold: int | None = None) -> str:
    """The kind of index a full build of `count` vectors makes."""
    return "hnsw" if count >= (HNSW_THRESHOLD if hnsw_threshold is None else hnsw_threshold) else "flat"


def ef_construction_for(count: int) -> int:
    """The graph quality a full build of `count` vectors gets (a graph grown past LARGE_INDEX by merges is
    rebuilt with it: `compaction`)."""
    return HNSW_EF_CONSTRUCTION_LARGE if count >= LARGE_INDEX else HNSW_EF_CONSTRUCTION


def fresh_limit(base_count: int) -> int:
    return max(FRESH_MIN, min(FRESH_MAX, int(base_count * FRESH_SHARE)))


_SERIALS = itertools.count()


class CacheError(Exception):
    """A cached index file that cannot be used (missing, truncated, not the index its manifest names)."""


class BaseIndex:
    """The FAISS index of a version and the chunk id at each of its positions. Shared by the versions derived
    from it and never changed once handed out to a search; read from its cache file at first use."""

    def __init__(self, ids: np.ndarray, kind: str, dimension: int, index: faiss.Index | None = None,
                 path: Path | None = None, ef_construction: int = 0) -> None:
        self.ids = ids  # int64, one per position; a removed chunk keeps its id here (see VectorIndex.dead)
        self.kind = kind
        self.dimension = dimension
        self.ef_construction = ef_construction  # of the graph (0: flat)
        self.name: str | None = None  # its files' stem in the cache folder, once saved or loaded
        self.handed_out = False  # set (under the folder's lock) once a search may hold it
        self.serial = next(_SERIALS)  # tells this base from the one it was merged from
        self._index = index
        self._path = path
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._index is not None

    def faiss_index(self) -> faiss.Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = _read_index(self._path, len(self.ids), self.dimension)
        return self._index

    def storage(self) -> faiss.Index:
        """The flat vectors (HNSW's storage, or the flat index itself)."""
        index = self.faiss_index()
        return index if self.kind == "flat" else faiss.downcast_index(index.storage)


def _read_index(path: Path | None, count: int, dimension: int) -> faiss.Index:
    if path is None:
        raise CacheError("no cached index file")
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as error:
        raise CacheError(f"{path.name}: {error}") from error
    if index.ntotal != count or index.d != dimension:
        raise CacheError(f"{path.name} holds {index.ntotal} vectors of {index.d}, expected {count} of {dimension}")
    return index


@dataclass(frozen=True, eq=False)
class VectorIndex:
    """Inner-product search over one vector space. Positions: the base's, then the fresh vectors'.

    Live chunk ids ascend with their positions (a new chunk's id is above every id alive when it was written,
    checked in `updated`), so `positions` is a binary search; `ids` holds -1 at a tombstone's position.
    """

    base: BaseIndex
    fresh_ids: np.ndarray  # int64 ascending, each above every live id of the base
    fresh: faiss.IndexFlatIP
    dead: np.ndarray  # base positions (ascending) whose chunk is gone

    @classmethod
    def build(cls, ids: np.ndarray, matrix: np.ndarray, hnsw_threshold: int | None = None) -> VectorIndex:
        dim = matrix.shape[1] if matrix.ndim == 2 else 0
        return cls.build_from_batches([(ids, matrix)], len(ids), dim, hnsw_threshold)

    @classmethod
    def build_from_batches(cls, batches: Iterable[tuple[np.ndarray, np.ndarray]], count: int, dim: int,
                           hnsw_threshold: int | None = None) -> VectorIndex:
        """Build from (ids, vectors) batches in ascending id order: FAISS's copy is the only full one."""
        kind = kind_for(count, hnsw_threshold)
        index = _new_hnsw(dim, count) if kind == "hnsw" else faiss.IndexFlatIP(dim)
        all_ids = np.empty(count, dtype=np.int64)
        filled = 0
        with _build_threads(kind):
            for ids, matrix in batches:
                if len(ids):
                    index.add(np.ascontiguousarray(matrix, dtype=np.float32))
                    all_ids[filled:filled + len(ids)] = ids
                    filled += len(ids)
        ef = ef_construction_for(count) if kind == "hnsw" else 0
        return cls(BaseIndex(all_ids[:filled], kind, dim, index, ef_construction=ef), _EMPTY_IDS,
                   faiss.IndexFlatIP(dim), _EMPTY_IDS)

    # --- what it holds ----------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.base.kind

    def __len__(self) -> int:
        return len(self.base.ids) - len(self.dead) + len(self.fresh_ids)

    @cached_property
    def ids(self) -> np.ndarray:
        """The chunk id at each position (-1 where the chunk is gone)."""
        if len(self.fresh_ids) == 0 and len(self.dead) == 0:
            return self.base.ids
        ids = np.concatenate([self.base.ids, self.fresh_ids])
        ids[self.dead] = -1
        return ids

    @cached_property
    def _live(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(live ids ascending, their positions; None when position i holds the i-th live id)."""
        if len(self.dead) == 0:
            return self.ids, None
        pos = np.flatnonzero(self.ids >= 0)
        return self.ids[pos], pos

    @cached_property
    def _alive_bitmap(self) -> np.ndarray | None:
        """The base positions a search may return, as a FAISS bitmap (None: all of them)."""
        if len(self.dead) == 0:
            return None
        mask = np.ones(len(self.base.ids), dtype=bool)
        mask[self.dead] = False
        return np.packbits(mask, bitorder="little")

    @property
    def matrix(self) -> np.ndarray | StackedRows:
        """The stored vectors by position, as views into FAISS's own storage (no copy)."""
        base = _rows(self.base.storage())
        return base if len(self.fresh_ids) == 0 else StackedRows(base, _rows(self.fresh))

    def fresh_rows(self) -> np.ndarray:
        """The vectors added since the base (a view into the fresh index)."""
        return _rows(self.fresh)

    def positions(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Positions in the index of those `chunk_ids` it holds."""
        return self._held(chunk_ids)[1]

    def rows_of(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of `chunk_ids` the index holds, their vectors in that order): copies out of FAISS's storage."""
        held, pos = self._held(chunk_ids)
        return held, np.asarray(self.matrix[pos], dtype=np.float32)

    def _held(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of `chunk_ids` the index holds, the positions of those it holds, in order): a binary search."""
        live_ids, live_pos = self._live
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        if not len(live_ids):
            return np.zeros(len(wanted), dtype=bool), np.zeros(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(live_ids, wanted), len(live_ids) - 1)
        held = live_ids[pos] == wanted
        pos = pos[held]
        return held, (pos if live_pos is None else live_pos[pos])

    # --- search -------------------------------------------------------------------------------------
    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (chunk ids, scores) for one query vector, among `allowed` chunk ids if given; equal scores
        in ascending id order (a version updated in place answers as a full rebuild does)."""
        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if faiss.omp_get_max_threads() != SEARCH_THREADS:
            faiss.omp_set_num_threads(SEARCH_THREADS)
        if allowed is not None:
            return self._search_subset(q, k, self.positions(allowed))
        found = []
        live_base = len(self.base.ids) - len(self.dead)
        if live_base:
            bitmap = self._alive_bitmap  # referenced until the search returns
            sel = None if bitmap is None else faiss.IDSelectorBitmap(len(self.base.ids), faiss.swig_ptr(bitmap))
            if self.kind == "hnsw":
                params: faiss.SearchParameters | None = faiss.SearchParametersHNSW(
                    efSearch=max(HNSW_EF_SEARCH, k), sel=sel)
            else:
                params = None if sel is None else faiss.SearchParameters(sel=sel)
            found.append(_found(self.base.faiss_index(), q, min(k, live_base), params, self.base.ids))
        if len(self.fresh_ids):
            found.append(_found(self.fresh, q, min(k, len(self.fresh_ids)), None, self.fresh_ids))
        return _best(found, k)

    def _search_subset(self, q: np.ndarray, k: int, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-k among positions `pos` (a filter's chunks). HNSW is never asked to filter: with a
        filter keeping 5% of 1M chunks its top-1000 held 17% of the true one (bench/query_latency.py)."""
        if len(pos) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids = self.ids
        if len(pos) <= GATHER_MAX:  # copy those rows and score them: cheapest for a small subset
            # einsum, not `@`: OpenBLAS's threads spin on after a product and slowed the next query's
            # encoding 10x (p95 70 ms instead of 6 ms on 2 cores, bench/query_latency.py)
            scores = np.einsum("ij,j->i", self.matrix[pos], q[0])
            top = _top_k(scores, k)
            return _best([(ids[pos[top]], scores[top])], k)
        nb = len(self.base.ids)
        found = []
        for flat, part, offset in ((self.base.storage(), pos[pos < nb], 0), (self.fresh, pos[pos >= nb], nb)):
            if len(part):
                mask = np.zeros(flat.ntotal, dtype=bool)
                mask[part - offset] = True
                bitmap = np.packbits(mask, bitorder="little")  # kept alive (referenced) during the search
                selector = faiss.IDSelectorBitmap(flat.ntotal, faiss.swig_ptr(bitmap))
                found.append(_found(flat, q, min(k, len(part)), faiss.SearchParameters(sel=selector),
                                    ids[offset:offset + flat.ntotal]))
        return _best(found, k)

    # --- updates ------------------------------------------------------------------------------------
    def updated(self, touched: np.ndarray, ids: np.ndarray, matrix: np.ndarray) -> VectorIndex | None:
        """A new version where the chunks `touched` (ascending) are replaced by their vectors now: `ids`
        (ascending, those of them that exist) and `matrix`. None when the new ids do not all come above the
        live ones (only a rewrite of existing chunks' vectors does that): rebuild then."""
        live_ids, _ = self._live
        pos = self.positions(touched)
        nb = len(self.base.ids)
        gone_base, gone_fresh = pos[pos < nb], pos[pos >= nb] - nb
        if len(ids):
            kept = np.ones(len(live_ids), dtype=bool)
            kept[np.searchsorted(live_ids, self.ids[pos])] = False
            top = live_ids[kept][-1] if kept.any() else -1
            if ids[0] <= top or np.any(np.diff(ids) <= 0):
                return None
        dead = np.union1d(self.dead, gone_base) if len(gone_base) else self.dead
        if len(gone_fresh) == 0 and len(ids) == 0:
            return VectorIndex(self.base, self.fresh_ids, self.fresh, dead)
        keep = np.ones(len(self.fresh_ids), dtype=bool)
        keep[gone_fresh] = False
        fresh = faiss.IndexFlatIP(self.base.dimension)
        old = _rows(self.fresh)[keep] if len(self.fresh_ids) else np.zeros((0, self.base.dimension), np.float32)
        rows = np.concatenate([old, np.asarray(matrix, dtype=np.float32).reshape(len(ids), self.base.dimension)])
        if len(rows):
            fresh.add(np.ascontiguousarray(rows))
        return VectorIndex(self.base, np.concatenate([self.fresh_ids[keep], ids]), fresh, dead)

    def compaction(self, hnsw_threshold: int | None = None) -> str | None:
        """"rebuild" (another kind is due, too many tombstones in a graph, or a graph grown to the size that
        a full build makes denser), "merge" (the fresh part into the base) or None."""
        nb = len(self.base.ids)
        if kind_for(len(self), hnsw_threshold) != self.kind:
            return "rebuild"
        if self.kind == "hnsw" and (len(self.dead) > DEAD_SHARE * nb
                                    or self.base.ef_construction < ef_construction_for(len(self))):
            return "rebuild"
        waiting = len(self.fresh_ids) + (len(self.dead) if self.kind == "flat" else 0)
        return "merge" if waiting > fresh_limit(nb) else None

    def merged(self, copy: bool = True) -> VectorIndex:
        """The fresh vectors moved into the base. A flat base is rewritten without its tombstones; a graph
        gets them added, to a copy unless `copy` is False (only for a base no search holds)."""
        dim = self.base.dimension
        if self.kind == "flat":
            live_ids, live_pos = self._live
            rows = self.matrix[live_pos if live_pos is not None else np.arange(len(live_ids))]
            index = faiss.IndexFlatIP(dim)
            if len(rows):
                index.add(np.ascontiguousarray(rows, dtype=np.float32))
            base = BaseIndex(np.array(live_ids, dtype=np.int64), "flat", dim, index)
            return VectorIndex(base, _EMPTY_IDS, faiss.IndexFlatIP(dim), _EMPTY_IDS)
        graph = faiss.clone_index(self.base.faiss_index()) if copy else self.base.faiss_index()
        with _build_threads("hnsw"):
            if len(self.fresh_ids):
                graph.add(np.ascontiguousarray(_rows(self.fresh)))
        base = BaseIndex(np.concatenate([self.base.ids, self.fresh_ids]), "hnsw", dim, graph,
                         ef_construction=self.base.ef_construction)
        return VectorIndex(base, _EMPTY_IDS, faiss.IndexFlatIP(dim), self.dead)


class StackedRows:
    """The base's rows followed by the fresh ones, indexed like one matrix without copying either."""

    def __init__(self, base: np.ndarray, fresh: np.ndarray) -> None:
        self.base, self.fresh = base, fresh
        self.shape = (len(base) + len(fresh), base.shape[1])
        self.dtype = base.dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, pos: object) -> np.ndarray:
        if isinstance(pos, slice):
            pos = np.arange(self.shape[0])[pos]
        array = np.asarray(pos)
        pos = np.flatnonzero(array) if array.dtype == bool else array.astype(np.int64, copy=False)
        out = np.empty((*pos.shape, self.shape[1]), dtype=self.dtype)
        in_base = pos < len(self.base)
        out[in_base] = self.base[pos[in_base]]
        out[~in_base] = self.fresh[pos[~in_base] - len(self.base)]
        return out

    def __matmul__(self, other: np.ndarray) -> np.ndarray:
        return np.concatenate([self.base @ other, self.fresh @ other])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(np.concatenate([self.base, self.fresh]), dtype=dtype)


_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_IDS.flags.writeable = False


def _new_hnsw(dim: int, count: int) -> faiss.IndexHNSWFlat:
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction_for(count)
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


class _build_threads:
    """All cores while a graph is built (parallel work), one again for searching afterwards."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __enter__(self) -> None:
        if self.kind == "hnsw":
            faiss.omp_set_num_threads(os.cpu_count() or 1)

    def __exit__(self, *exc: object) -> None:
        faiss.omp_set_num_threads(SEARCH_THREADS)


def _rows(flat: faiss.Index) -> np.ndarray:
    n, d = flat.ntotal, flat.d
    if n == 0:
        return np.zeros((0, d), dtype=np.float32)
    return faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)


def _found(index: faiss.Index, q: np.ndarray, k: int, params: faiss.SearchParameters | None,
           ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores, found = index.search(q, k, params=params)
    keep = found[0] >= 0
    return ids[found[0][keep]], scores[0][keep]


def _best(found: list[tuple[np.ndarray, np.ndarray]], k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best of several (ids, scores) lists: by score, then ascending id."""
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    ids = np.concatenate([f[0] for f in found])
    scores = np.concatenate([f[1] for f in found])
    order = np.lexsort((ids, -scores))[:k]
    return ids[order], scores[order]


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    if len(scores) <= k:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


class Deferred(Future):  # type: ignore[type-arg]
    """A future computed in the thread that asks for its result (work too short to hand to another thread)."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        super().__init__()
        self._compute = compute

    def result(self, timeout: float | None = None) -> Any:
        if not self.done():
            try:
                self.set_result(self._compute())
            except BaseException as exc:  # noqa: BLE001 - delivered by result(), as a pool's future does
                self.set_exception(exc)
        return super().result(timeout)


def local_search(local_index: Callable[[str], VectorIndex], space: str, query: np.ndarray | Future[np.ndarray], k: int,
                 allowed: np.ndarray | None) -> Future[tuple[np.ndarray, np.ndarray]]:
    """The `k` nearest chunks among `allowed` in this process's index of `space` (FAISS, exact), computed when
    the result is asked for. `query` may be the encoder's future."""
    return Deferred(lambda: local_index(space).search(query.result() if isinstance(query, Future) else query,
                                                      k, allowed))
