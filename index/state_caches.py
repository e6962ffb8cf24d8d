"""What both stores keep per state of the index, and the reads that fill it.

Every write bumps a counter in the store's state (`generation` when documents, chunks or labels change,
`marks` for curation and quality), and everything here is kept by those counters: the facet table (filters
resolve their values against it, facets count with it), the ids of the documents and chunks a filter allows,
the chunk → document map and the chunks' languages. A write through another process or replica is seen by the
next read of the counters. Both stores hold one `StateCaches`, reading through their own `read`
(index/store_tables.py explains the sharing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import numpy as np

from index.facet_table import FacetTable, read_facet_table
from index.filters import LABEL_FACETS, Filters
from index.sql_dialect import Dialect

T = TypeVar("T")
DOCUMENT_ORDER = "d.meeting, d.source, d.title, d.id"  # how documents are listed
BATCH = 900  # ids per `IN (...)`
MAX_KEPT_DOCUMENTS = 50_000  # document rows kept per state (beyond, the cache starts again)


class Reads(Protocol):
    """How a store runs a read: on this thread's snapshot or write transaction, else on a connection of its own."""

    def __call__(self, work: Callable[[Any], T]) -> T: ...


class StateCaches:
    """One store's caches per (generation, marks), and the filters' SQL they resolve."""

    def __init__(self, dialect: Dialect, read: Reads, writing: Callable[[], bool],
                 memo: Callable[[], dict[object, object] | None]) -> None:
        self.dialect = dialect
        self.read = read  # the store's way to run reads
        self.writing = writing  # whether this thread is inside a write transaction (what it sees is its own)
        self.memo = memo  # this thread's snapshot's memo (None outside one): what cannot change inside it
        self._lock = threading.Lock()
        self._allowed: dict[tuple[object, ...], np.ndarray] = {}  # document and chunk ids per filter and state
        self._owners: tuple[np.ndarray, np.ndarray, list[str]] = (np.zeros(0, np.int64), np.zeros(0, np.int32), [])
        self._owners_generation: int | None = None
        self._facet_table: tuple[tuple[int, int], FacetTable] | None = None
        self._languages: dict[int, str] = {}  # chunk id → its document's language, for one generation
        self._languages_generation = -1
        self._documents: dict[str, Sequence[object]] = {}  # document id → its row, for one state
        self._documents_state: tuple[int, int] | None = None

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        return self.read(lambda conn: conn.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[object] = ()) -> Any:
        return self.read(lambda conn: conn.execute(sql, params).fetchone())

    def counter(self, key: str) -> int:
        """A counter of the store's state (generation, marks, the vector log's floor; 0 before its first bump),
        read once per snapshot (a search asked for them ~10 times)."""
        def read() -> int:
            row = self.one(f"SELECT value FROM state WHERE key = {self.dialect.mark}", (key,))
            return int(row[0]) if row else 0

        return self.memoized(("counter", key), read)

    def memoized(self, key: tuple[str, ...], read: Callable[[], T]) -> T:
        """`read()` once per snapshot under `key` (for what cannot change inside one: counters, the vector log's
        head); every time outside a snapshot or inside a write."""
        memo = self.memo()
        if memo is None:
            return read()
        if key not in memo:
            memo[key] = read()
        return memo[key]  # type: ignore[return-value]

    def state_key(self) -> tuple[int, int]:
        """(generation, marks) in one statement: what the caches of filters and facets are kept by."""
        memo = self.memo()
        if memo is not None and ("counter", "generation") in memo and ("counter", "marks") in memo:
            return memo["counter", "generation"], memo["counter", "marks"]  # type: ignore[return-value]
        found = dict(self.rows("SELECT key, value FROM state WHERE key IN ('generation', 'marks')"))
        state = int(found.get("generation", 0)), int(found.get("marks", 0))
        if memo is not None:
            memo["counter", "generation"], memo["counter", "marks"] = state
        return state

    def document_rows(self, ids: Sequence[str], read: Callable[[list[str]], dict[str, Sequence[object]]]
                      ) -> dict[str, Sequence[object]]:
        """The documents' rows (`read` reads those of some ids) kept per state (generation, marks: any write of a
        document, its chunks, curation or quality changes one), filled and used inside snapshots only, where the
        state and the rows are read in one view. A search read its cited documents three times (py-spy put 8-9%
        of a loaded server's samples there; one search's CPU fell ~2%, bench/search_cpu.py)."""
        if self.memo() is None:  # outside a snapshot, or inside a write: read what this thread sees now
            return read(list(dict.fromkeys(ids)))
        state = self.state_key()
        with self._lock:
            if self._documents_state != state or len(self._documents) > MAX_KEPT_DOCUMENTS:
                self._documents, self._documents_state = {}, state
            kept = self._documents
            found = {i: kept[i] for i in ids if i in kept}
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            fresh = read(missing)
            with self._lock:
                if self._documents_state == state:
                    self._documents.update(fresh)
            found.update(fresh)
        return found

    def filter_sql(self, filters: Filters | None, state: tuple[int, int] | None = None) -> tuple[str, list[object]]:
        """`filters` as SQL over exact stored values, resolved against the facet table (of `state`, when given)."""
        filters = filters or Filters()
        return filters.to_sql(self.facet_table(state) if filters.fields else None, self.dialect)

    def facet_table(self, state: tuple[int, int] | None) -> FacetTable:
        key = state if state is not None else self.state_key()
        with self._lock:
            cached = self._facet_table
        if cached is not None and cached[0] == key:
            return cached[1]
        table = self.read(lambda conn: read_facet_table(conn, self.dialect, LABEL_FACETS))
        if self.writing():
            return table  # what a write sees before it commits is kept for no one else
        with self._lock:
            self._facet_table = (key, table)
        return table

    def _kept(self, key: tuple[object, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        with self._lock:
            cached = self._allowed.get(key)
        if cached is not None:
            return cached
        found = compute()
        found.flags.writeable = False  # shared through the cache
        with self._lock:
            if len(self._allowed) >= 16:
                self._allowed.pop(next(iter(self._allowed)))
            self._allowed[key] = found
        return found

    def document_ids(self, filters: Filters) -> list[str]:
        """Kept per filter and state (a page of a long list then reads only its own documents)."""
        state = self.state_key()
        where, params = self.filter_sql(filters, state)
        return list(self._kept(("documents", where, tuple(params), *state), lambda: np.array(
            [r[0] for r in self.rows(f"SELECT d.id FROM documents d WHERE {where} ORDER BY {DOCUMENT_ORDER}", params)],
            dtype=object)))

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        """Per document, not per chunk: a document's chunks are written in one transaction, so their ids are
        one run (MIN..MAX) unless COUNT says otherwise; 500 rows to read instead of 25,000. Kept per filter and
        state (filters repeat: a country, a meeting): 74 ms for 250k of 1M chunks."""
        state = self.state_key()
        where, params = self.filter_sql(filters, state)

        def compute() -> np.ndarray:
            runs = self.rows(f"SELECT d.id, MIN(c.id), MAX(c.id), COUNT(*) FROM documents d "
                             f"{self.dialect.join_in_order} chunks c ON c.document_id = d.id WHERE {where} "
                             f"GROUP BY d.id", params)
            parts = []
            for doc_id, low, high, count in runs:
                if high - low + 1 == count:
                    parts.append(np.arange(low, high + 1, dtype=np.int64))
                else:
                    rows = self.rows(f"SELECT id FROM chunks WHERE document_id = {self.dialect.mark}", (doc_id,))
                    parts.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
            ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            ids.sort()
            return ids

        return self._kept((where, tuple(params), *state), compute)

    def chunk_owners(self, chunk_ids: list[int] | np.ndarray) -> dict[int, str]:
        """The whole map (two arrays) is read once per generation: a "similar" query asks about most chunks."""
        ids, codes, names = self._owner_map()
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
        found = (ids[pos] == wanted) if len(ids) else np.zeros(len(wanted), dtype=bool)
        return {int(c): names[int(codes[p])] for c, p, ok in zip(wanted.tolist(), pos.tolist(), found.tolist()) if ok}

    def chunk_documents(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Array work over the owner map (no per-chunk Python)."""
        ids, codes, names = self._owner_map()
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        if not len(ids):
            return np.full(len(wanted), -1, dtype=np.int32), list(names)
        pos = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
        return np.where(ids[pos] == wanted, codes[pos], -1).astype(np.int32), list(names)

    def _owner_map(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        generation = self.counter("generation")
        with self._lock:
            if self._owners_generation == generation:
                return self._owners
        rows = self.rows("SELECT id, document_id FROM chunks ORDER BY id")
        names = sorted({r[1] for r in rows})
        code = {name: i for i, name in enumerate(names)}
        owners = (np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                  np.fromiter((code[r[1]] for r in rows), dtype=np.int32, count=len(rows)), names)
        with self._lock:
            self._owners, self._owners_generation = owners, generation
        return owners

    def chunk_languages(self, chunk_ids: list[int]) -> list[str]:
        """Kept per generation as chunks are asked about: a search asks about its 1,000–3,000 candidates, and
        candidates recur from query to query."""
        generation = self.counter("generation")
        with self._lock:
            if self._languages_generation != generation or len(self._languages) > 500_000:
                self._languages, self._languages_generation = {}, generation
            known = self._languages
            missing = [i for i in chunk_ids if i not in known]
        found: dict[int, str] = {}
        for start in range(0, len(missing), BATCH):
            part = [int(i) for i in missing[start:start + BATCH]]
            found.update((int(r[0]), r[1]) for r in self.rows(
                f"SELECT c.id, d.language FROM chunks c JOIN documents d ON d.id = c.document_id "
                f"WHERE c.id IN ({self.dialect.marks(len(part))})", part))
        if found:
            with self._lock:
                if self._languages_generation == generation:
                    self._languages.update(found)
        return [known.get(i) or found.get(i, "") for i in chunk_ids]
