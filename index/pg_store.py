"""The PostgreSQL store (issue 13): the store protocol (index/store_api.py) over one PostgreSQL database.

Chosen by the index location (`--index postgresql://USER@HOST:PORT/DB`, or `CWG_INDEX`). Every API replica
opens the same database; nothing a replica keeps locally is truth: every write bumps a counter in `state`
(`generation`, or `marks` for curation and quality), and each replica keys its caches by them, so a write
through one replica is seen by the next request to any other. Connections, snapshots, write serialization and
failures: index/pg_connections.py. Lexical ranking is FTS5's BM25 over our own postings (index/pg_lexical.py),
vectors live in pgvector tables searched before top-k filters (index/pg_vectors.py), originals in `files`.

A sibling of the SQLite store, not its heir: statements over the tables both have come from
index/store_tables.py in PostgreSQL's dialect; every other statement here is PostgreSQL's own.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np

from index import pg_lexical, pg_vectors, quality_corrections
from index.facet_table import FacetTable
from index.filters import Filters
from index.fts_terms import FtsTerms
from index.manifest import IndexManifest
from index.pg_connections import (
    PgConnections,
    connect,
    is_connection_error,
    register_vectors,
    require_driver,
    safe_location,
)
from index.pg_schema import migrate
from index.records import (
    COPIED_TABLES,
    ChunkRecord,
    DocumentRecord,
    DocumentTarget,
    LexicalPostings,
    WriteOutcome,
)
from index.sql_dialect import POSTGRESQL
from index.state_caches import StateCaches
from index.store_tables import AlreadyIndexed, StoreTables, WritePlan, export_rows
from index.vectors import VectorIndex, local_search
from ingest.errors import IndexOpenError, IndexUnavailable
from ingest.quality import QualityProfile
from ingest.records import PreparedDocument

__all__ = ["MANIFEST_STATE_KEY", "PostgresStore", "safe_location"]  # safe_location: api/commands.py's import
MANIFEST_STATE_KEY = "manifest"  # where the manifest is kept (a folder keeps it in index.json)
Matches = tuple[np.ndarray, np.ndarray]
EMPTY: Matches = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


REINDEX_ELSEWHERE = ("cwg reindex works on an index folder: copy the database into one (`cwg migrate --from URI "
                     "--to DIR`), reindex it there, and copy it into a new database")


class PostgresStore:
    """The store in a PostgreSQL database (with pgvector). See the module's doc for what it guarantees."""

    dialect = POSTGRESQL

    def __init__(self, uri: str, vector_search: str = "memory") -> None:
        require_driver()
        if vector_search not in pg_vectors.VECTOR_SEARCHES:
            raise ValueError(f"vector_search must be one of {', '.join(pg_vectors.VECTOR_SEARCHES)}")
        self.uri = uri
        self.vector_search = vector_search
        self._placed = threading.local()  # per thread: the originals its write transaction kept
        self._terms = FtsTerms()
        self._spaces: dict[str, bool] = {}  # vector spaces whose table exists
        self._vector_counts: dict[str, tuple[int, int]] = {}  # space → (generation, vectors)
        try:
            raw = connect(uri, vectors=False)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is said in full, as an open error
            raise IndexOpenError(f"cannot open the PostgreSQL index {safe_location(uri)}: {exc}") from exc
        self._connections = PgConnections(uri, raw)
        self._caches = StateCaches(POSTGRESQL, self._connections.read, self._connections.writing, self._connections.memo)
        self._tables = StoreTables(POSTGRESQL, self._caches, self.transaction)
        try:
            migrate(raw)  # once, under an advisory lock, whichever replica comes first
            register_vectors(raw)
            self._tables.backfill_actor_types(read_only=())
            self._tables.backfill_quality(read_only=())
        except Exception as exc:
            if is_connection_error(exc) or isinstance(exc, IndexUnavailable):
                raise IndexOpenError(f"cannot open the PostgreSQL index {safe_location(uri)}: {exc}") from exc
            raise

    # --- connections and transactions ----------------------------------------------------------------------
    @contextmanager
    def transaction(self, counter: str = "generation") -> Iterator[Any]:
        """One write transaction, after every other writer's (any process, any replica): see Store."""
        with self._connections.transaction(counter) as raw:
            self._placed.names = set()
            yield raw

    def snapshot(self) -> AbstractContextManager[Any]:
        return self._connections.snapshot()

    def _reading(self) -> AbstractContextManager[Any]:
        """A connection for a few reads: this thread's snapshot or transaction, else a snapshot of its own."""
        return self._connections.snapshot()

    def close(self) -> None:
        self._connections.close()

    # --- state -------------------------------------------------------------------------------------------
    def generation(self) -> int:
        return self._caches.counter("generation")

    def marks_generation(self) -> int:
        return self._caches.counter("marks")

    def store_id(self) -> str:
        return self._tables.state_text("store_id") or ""

    def state_record(self, key: str) -> dict[str, object] | None:
        return self._tables.state_record(key)

    def state_keys(self) -> dict[str, str]:
        return self._tables.state_keys()

    def set_state(self, conn: Any, key: str, value: str) -> None:
        self._tables.set_state(conn, key, value)

    def save_manifest(self, manifest: IndexManifest) -> None:
        with self.transaction() as conn:
            self.set_state(conn, MANIFEST_STATE_KEY, json.dumps(manifest.to_dict()))

    # --- documents --------------------------------------------------------------------------------------
    def documents(self, filters: Filters | None = None) -> list[DocumentRecord]:
        return self._tables.documents(filters)

    def documents_by_id(self, ids: list[str]) -> dict[str, DocumentRecord]:
        return self._tables.documents_by_id(ids)

    def document(self, document_id: str) -> DocumentRecord:
        return self._tables.document(document_id)

    def document_text(self, document_id: str) -> str:
        return self._tables.document_text(document_id)

    def document_ids(self, filters: Filters) -> list[str]:
        return self._caches.document_ids(filters)

    def document_count(self) -> int:
        return self._tables.count("documents")

    def document_values(self, field: str, filters: Filters | None = None) -> list[tuple[str, str | None]]:
        return self._tables.document_values(field, filters)

    def indexed_already(self, target: DocumentTarget, file_hash: str, entry: dict[str, str]
                        ) -> tuple[DocumentRecord | None, DocumentRecord | None]:
        return self._tables.indexed_already(target, file_hash, entry)

    def write_document(self, target: DocumentTarget, prepared: PreparedDocument, embed_hashes: list[str],
                       vectors: dict[str, np.ndarray], entry: dict[str, str],
                       place_file: Callable[[str], str | None] | None = None) -> WriteOutcome:
        """The document written is decided inside the write transaction, after every other writer's."""
        try:
            with self.transaction() as conn:
                plan = self._tables.plan_write(target, prepared.file_hash, entry)
                stored_file = place_file(plan.document_id) if place_file is not None else None
                self._delete(conn, plan.document_id)
                self._insert(conn, plan, stored_file, prepared, embed_hashes, vectors)
        except AlreadyIndexed as found:  # rolled back: nothing written, the generation stays
            return WriteOutcome("unchanged", found.document_id)
        return plan.outcome(stored_file)

    def _insert(self, conn: Any, plan: WritePlan, stored_file: str | None, prepared: PreparedDocument,
                embed_hashes: list[str], vectors: dict[str, np.ndarray]) -> None:
        self._tables.insert_document_row(conn, plan, stored_file, prepared)
        chunks = prepared.chunks
        if not chunks:
            return
        # new ids, ascending: one run (writers take turns; see `StoreTables.chunk_ids`)
        ids = sorted(int(r[0]) for r in conn.execute(
            "SELECT nextval(pg_get_serial_sequence('chunks', 'id')) FROM generate_series(1, %s)", [len(chunks)]))
        conn.cursor().executemany(
            "INSERT INTO chunks (id, document_id, ordinal, text, section, page_start, page_end, char_start, "
            "char_end, content_hash, embed_hash, ocr_confidence) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(chunk_id, plan.document_id, c.ordinal, c.text, c.section, c.page_start, c.page_end, c.char_start,
              c.char_end, c.content_hash, h, c.ocr_confidence) for chunk_id, c, h in zip(ids, chunks, embed_hashes)])
        pg_lexical.write_rows(conn, [(chunk_id, self._terms.row(prepared.meta.title, c.section, c.text))
                                     for chunk_id, c in zip(ids, chunks)])
        for space, matrix in vectors.items():
            rows = np.asarray(matrix, dtype=np.float32)[[c.ordinal for c in chunks]]
            self._ensure_space(conn, space, rows.shape[1])
            conn.cursor().executemany(f"INSERT INTO {pg_vectors.table_name(space)} (chunk_id, embedding) "
                                      f"VALUES (%s, %s)", [(int(i), v) for i, v in zip(ids, rows)])

    def _delete(self, conn: Any, doc_id: str) -> None:
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM chunks WHERE document_id = %s", [doc_id])]
        if ids:
            pg_lexical.delete_rows(conn, ids)
            for table in pg_vectors.space_tables(conn):
                conn.execute(f"DELETE FROM {table} WHERE chunk_id = ANY(%s)", [ids])
        placed = list(getattr(self._placed, "names", ()))  # a copy this write just placed may bear the same name
        conn.execute("DELETE FROM files WHERE name IN (SELECT stored_file FROM documents WHERE id = %s) "
                     "AND NOT name = ANY(%s)", [doc_id, placed])
        conn.execute("DELETE FROM documents WHERE id = %s", [doc_id])  # cascades to chunks, labels, signals

    def remove_document(self, document_id: str) -> DocumentRecord:
        with self.transaction() as conn:
            record = self._tables.document(document_id)  # NotFound rolls back
            self._delete(conn, document_id)
        return record

    def set_collection(self, document_ids: list[str], collection: str) -> list[str]:
        return self._tables.set_collection(document_ids, collection)

    def set_sources(self, changes: dict[str, tuple[str, str]]) -> list[str]:
        return self._tables.set_sources(changes)

    # --- originals: rows of `files`, written and deleted with the documents that point to them ----------------
    def stored_files(self) -> set[str]:
        return self._tables.stored_files()

    def keep_file(self, name: str, data: bytes) -> None:
        """Inside the write transaction that points a document to it (every replica can then serve it)."""
        if not self._connections.writing():
            raise RuntimeError("keep_file runs inside transaction()")
        self._connections.current().execute("INSERT INTO files (name, data) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
                     "SET data = excluded.data", [name, data])
        self._placed.names.add(name)

    def open_file(self, name: str) -> io.BytesIO:
        row = self._caches.one("SELECT data FROM files WHERE name = %s", [name])
        if row is None:
            raise FileNotFoundError(name)
        return io.BytesIO(bytes(row[0]))

    def drop_file(self, name: str) -> None:
        """Nothing left to do: the write that replaced it deleted its row."""

    def sweep_files(self) -> None:
        """Nothing to sweep: a killed write's copy died with its transaction."""

    # --- quality and curation -------------------------------------------------------------------------------
    def write_quality(self, profiles: dict[str, QualityProfile], path: str | None = None) -> int:
        return self._tables.write_quality(profiles, path)

    def quality_signals_path(self) -> str:
        return self._tables.state_text("quality_signals_path") or ""

    def quality_signals(self, document_id: str) -> list[dict[str, object]]:
        return self._tables.quality_signals(document_id)

    def quality_inputs(self, only_missing: bool = False
                       ) -> Iterator[tuple[str, str, list[tuple[int, int, int | None]]]]:
        return self._tables.quality_inputs(only_missing)

    def curate(self, document_id: str, status: str, reason: str, curator: str) -> dict[str, str]:
        return self._tables.curate(document_id, status, reason, curator)

    def curation_history(self, document_id: str | None = None) -> list[dict[str, str]]:
        return self._tables.curation_history(document_id)

    def import_curation(self, events: list[dict[str, str]]) -> int:
        return self._tables.import_curation(events)

    def correct_quality(self, document_id: str, signal: str, verdict: str, quote: str, reason: str,
                        curator: str) -> dict[str, str]:
        return quality_corrections.correct_quality(self._tables, document_id, signal, verdict, quote, reason, curator)

    def quality_corrections(self, document_id: str | None = None) -> list[dict[str, str]]:
        return quality_corrections.quality_corrections(self._tables, document_id)

    # --- labels and facets ------------------------------------------------------------------------------------
    def has_labels(self) -> bool:
        return self._tables.has_labels()

    def replace_labels(self, labels: list[tuple[str, str, str, float, int | None]], state_key: str,
                       state: dict[str, object]) -> None:
        self._tables.replace_labels(labels, state_key, state)

    def labels_of(self, document_ids: list[str]) -> dict[str, set[tuple[str, str]]]:
        return self._tables.labels_of(document_ids)

    def document_labels(self, document_id: str) -> list[dict[str, object]]:
        return self._tables.document_labels(document_id)

    def facet_labels(self, facet: str, filters: Filters | None = None) -> list[tuple[str, str]]:
        return self._tables.facet_labels(facet, filters)

    def facet_table(self, state: tuple[int, int] | None = None) -> FacetTable:
        return self._caches.facet_table(state)

    # --- chunks -----------------------------------------------------------------------------------------------
    def chunk_count(self) -> int:
        return self._tables.count("chunks")

    def chunks_of(self, document_id: str) -> list[ChunkRecord]:
        return self._tables.chunks_of(document_id)

    def chunks_by_id(self, ids: list[int]) -> dict[int, ChunkRecord]:
        return self._tables.chunks_by_id(ids)

    def chunk_texts(self) -> list[tuple[int, str, str]]:
        return self._tables.chunk_texts()

    def chunk_document_paths(self) -> dict[int, str]:
        return self._tables.chunk_document_paths()

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        return self._caches.chunk_ids(filters)

    def chunk_owners(self, chunk_ids: list[int]) -> dict[int, str]:
        return self._caches.chunk_owners(chunk_ids)

    def chunk_documents(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
        return self._caches.chunk_documents(chunk_ids)

    def chunk_languages(self, chunk_ids: list[int]) -> list[str]:
        return self._caches.chunk_languages(chunk_ids)

    def sample_chunk_texts(self, limit: int) -> list[str]:
        return self._tables.sample_chunk_texts(limit)

    # --- lexical: FTS5's BM25 over our own postings ---------------------------------------------------------
    def fts_row_counts(self, words: list[str]) -> dict[str, int]:
        tokens = {w: self._terms.word_terms(w) for w in dict.fromkeys(words)}
        with self._reading() as raw:
            counts = pg_lexical.row_counts(raw, sorted({t for ts in tokens.values() for t in ts}))
        # a word FTS5 would match as a phrase of several terms is in at most as many rows as its rarest term
        return {w: min((counts[t] for t in tokens[w]), default=0) for w in words}

    def bm25_candidates(self, terms: list[str], weights: tuple[float, ...], limit: int, *,
                        allowed: np.ndarray | None = None, filters: Filters | None = None) -> Matches:
        tokens = [t for word in terms for t in self._terms.word_terms(word)]
        if allowed is None and filters is not None and not filters.is_empty():
            allowed = self.chunk_ids(filters)
        with self._reading() as raw:
            return pg_lexical.bm25_candidates(raw, tokens, tuple(float(w) for w in weights)[:3], limit,  # type: ignore[arg-type]
                                              allowed)

    def lexical_postings(self, terms: list[str]) -> LexicalPostings:
        with self._reading() as raw:
            return pg_lexical.postings(raw, terms)

    # --- vectors: pgvector, one table per space ---------------------------------------------------------------
    def _ensure_space(self, conn: Any, space: str, dimension: int, with_index: bool = True) -> None:
        if not self._spaces.get(space):
            self._spaces[space] = pg_vectors.ensure_space(conn, space, dimension, with_index)

    def vector_count(self, space: str) -> int:
        generation = self.generation()
        cached = self._vector_counts.get(space)
        if cached is not None and cached[0] == generation:
            return cached[1]
        table = pg_vectors.table_name(space)
        with self._reading() as raw:
            found = pg_vectors.has_table(raw, table)
            count = int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) if found else 0
        self._vector_counts[space] = (generation, count)
        return count

    def _vector_rows(self, space: str, where: str, params: Sequence[Any]) -> list[tuple[int, np.ndarray]]:
        with self._reading() as raw:
            return pg_vectors.vector_rows(raw, space, where, params)

    def cached_vectors(self, document_id: str, space: str) -> dict[str, np.ndarray]:
        rows = self._caches.rows("SELECT embed_hash, id FROM chunks WHERE document_id = %s", [document_id])
        hashes = {int(r[1]): str(r[0]) for r in rows}
        found = self._vector_rows(space, "WHERE chunk_id = ANY(%s)", [list(hashes)])
        return {hashes[cid]: v for cid, v in found}

    def vector_batches(self, space: str, dimension: int, batch: int = 65_536) -> Iterator[Matches]:
        after = -1
        while rows := self._vector_rows(space, "WHERE chunk_id > %s ORDER BY chunk_id LIMIT %s", [after, batch]):
            after = rows[-1][0]
            yield (np.array([r[0] for r in rows], dtype=np.int64),
                   np.stack([r[1] for r in rows]).reshape(len(rows), dimension))

    def all_vectors(self, space: str, dimension: int) -> Matches:
        parts = list(self.vector_batches(space, dimension))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def vectors_of(self, space: str, chunk_ids: np.ndarray, dimension: int) -> Matches:
        rows = self._vector_rows(space, "WHERE chunk_id = ANY(%s) ORDER BY chunk_id",
                                 [np.asarray(chunk_ids, dtype=np.int64).tolist()])
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
        return np.array([r[0] for r in rows], dtype=np.int64), np.stack([r[1] for r in rows])

    def vectors_for(self, space: str, chunk_ids: list[int], dimension: int) -> np.ndarray:
        out = np.zeros((len(chunk_ids), dimension), dtype=np.float32)
        pos = {cid: i for i, cid in enumerate(chunk_ids)}
        for cid, vector in self._vector_rows(space, "WHERE chunk_id = ANY(%s)", [[int(c) for c in chunk_ids]]):
            out[pos[cid]] = vector
        return out

    def nearest_soon(self, space: str, query: np.ndarray | Future[np.ndarray], k: int, allowed: np.ndarray | None,
                     local_index: Callable[[str], VectorIndex]) -> Future[Matches]:
        """With `vector_search="memory"` (the default): this process's FAISS copy of the vectors (kept up to date
        from the database's log of vector changes, as `similar` keeps it), exact, as the embedded store answers.
        With "pgvector": pgvector, started now on a connection of its own in this thread's snapshot, so that the
        caller's next reads (its lexical search) run beside it."""
        if self.vector_search == "memory":
            return local_search(local_index, space, query, k, allowed)
        total = self.vector_count(space)
        return self._connections.beside(lambda raw: _top_k(raw, space, _value(query), k, allowed, total))

    # --- the log of vector changes (each space's trigger writes it) ---------------------------------------------
    def vector_seq(self) -> int:
        """The number of the last committed change (writers take turns, so numbers commit in order; read once per
        snapshot)."""
        def read() -> int:
            row = self._caches.one("SELECT MAX(seq) FROM vector_changes")
            return int(row[0]) if row and row[0] is not None else self.vector_log_floor()

        return self._caches.memoized(("vector_seq",), read)

    def vector_log_floor(self) -> int:
        return self._caches.counter("vector_log_floor")

    def vector_change(self, seq: int) -> tuple[str, int] | None:
        return self._tables.vector_change(seq)

    def changed_vector_ids(self, space: str, after: int) -> np.ndarray:
        return self._tables.changed_vector_ids(space, after)

    def prune_vector_changes(self, upto: int) -> None:
        """A database that refuses the write (a read-only user, a standby) keeps its log; the next save of a
        cache prunes it."""
        import psycopg

        try:
            self._tables.prune_vector_changes(upto)
        except (psycopg.Error, IndexUnavailable):
            pass

    # --- copying a whole store (`cwg migrate`) --------------------------------------------------------------
    def export_rows(self, table: str, batch: int = 5_000) -> Iterator[list[tuple[object, ...]]]:
        with self._reading() as raw:
            yield from export_rows(raw, table, batch)

    def import_rows(self, conn: Any, table: str, rows: list[tuple[object, ...]]) -> None:
        columns = COPIED_TABLES[table]
        if table == "quality_signals":  # 0/1 in SQLite, a boolean here
            rows = [(*r[:2], bool(r[2]), *r[3:]) for r in rows]
        with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if table == "chunks" and rows:
            titles = dict(conn.execute("SELECT id, title FROM documents WHERE id = ANY(%s)",
                                       [sorted({str(r[1]) for r in rows})]).fetchall())
            pg_lexical.write_rows(conn, [(int(r[0]), self._terms.row(titles[r[1]], str(r[4]), str(r[3])))  # type: ignore[arg-type]
                                         for r in rows])
            conn.execute("SELECT setval(pg_get_serial_sequence('chunks', 'id'), (SELECT MAX(id) FROM chunks))")

    def import_vectors(self, conn: Any, space: str, ids: np.ndarray, matrix: np.ndarray) -> None:
        """Bulk-load vectors; the HNSW index of a space made here is built once after them (`finish_import`)."""
        self._ensure_space(conn, space, matrix.shape[1], with_index=False)
        table = pg_vectors.table_name(space)
        with conn.cursor() as cursor, cursor.copy(f"COPY {table} (chunk_id, embedding) FROM STDIN") as copy:
            for chunk_id, vector in zip(ids.tolist(), np.asarray(matrix, dtype=np.float32)):
                copy.write_row((chunk_id, vector))

    def finish_import(self, conn: Any) -> None:
        for table in pg_vectors.space_tables(conn):
            pg_vectors.create_vector_index(conn, table.removeprefix("vectors_"))

    # --- re-embedding in place: not on a shared database (replicas serve its vectors while it would change) ---
    def embedding_inputs(self) -> list[tuple[int, str, str, str]]:
        raise IndexOpenError(REINDEX_ELSEWHERE)

    def replace_vectors(self, space: str, ids: list[int], matrix: np.ndarray | None) -> None:
        raise IndexOpenError(REINDEX_ELSEWHERE)


def _top_k(raw: Any, space: str, vector: np.ndarray, k: int, allowed: np.ndarray | None, total: int) -> Matches:
    return EMPTY if total == 0 else pg_vectors.top_k(raw, space, vector, k, allowed, total)[:2]


def _value(query: np.ndarray | Future[np.ndarray]) -> np.ndarray:
    return query.result() if isinstance(query, Future) else query
