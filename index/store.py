"""The SQLite store: one file, the truth from which everything else (FAISS, caches) is derived.

It implements the store protocol (index/store_api.py) beside the PostgreSQL store, neither inheriting the
other: statements over the tables both have come from index/store_tables.py in SQLite's dialect; what only
SQLite has is here — WAL snapshots, FTS5's BM25, vectors as blobs searched by the process's FAISS index
(index/vector_sync.py), and the originals as files in the index folder.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np

from index import quality_corrections
from index.facet_table import FacetTable
from index.filters import Filters
from index.fts_postings import FtsPostings
from index.fts_terms import fts_expression
from index.manifest import IndexManifest
from index.records import (
    COPIED_TABLES,
    ChunkRecord,
    DocumentRecord,
    DocumentTarget,
    LexicalPostings,
    WriteOutcome,
)
from index.sql_dialect import SQLITE
from index.sqlite_connections import SqliteConnections
from index.state_caches import StateCaches
from index.store_tables import AlreadyIndexed, StoreTables, WritePlan, export_rows
from index.vectors import VectorIndex, local_search
from ingest.quality import QualityProfile
from ingest.records import PreparedDocument

T = TypeVar("T")
FILES_DIR = "files"  # the originals, beside the store's file


class SqliteStore:
    """One SQLite file, WAL mode. Every write is one transaction: a crash keeps the previous state."""

    dialect = SQLITE

    def __init__(self, path: Path, files_dir: Path | None = None) -> None:
        self.path = path
        self.files_dir = files_dir if files_dir is not None else path.parent / FILES_DIR
        self._connections = SqliteConnections(path)  # creates the file's tables on first open (atomically)
        self._counts_lock = threading.Lock()  # the cache of lexical row counts per word
        self._counts: dict[str, int] = {}
        self._counts_generation = -1
        self._postings = FtsPostings()  # FTS5's postings read back (index/fts_postings.py)
        self._caches = StateCaches(SQLITE, self._read, self._connections.writing, self._connections.memo)
        self._tables = StoreTables(SQLITE, self._caches, self.transaction)
        self._tables.backfill_actor_types(read_only=(sqlite3.OperationalError,))
        self._tables.backfill_quality(read_only=(sqlite3.OperationalError,))

    # --- connections and transactions (index/sqlite_connections.py) ------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection: its snapshot's, else the main one (always inside `transaction()`)."""
        return self._connections.conn

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return work(self._connections.conn)

    def transaction(self, counter: str = "generation") -> AbstractContextManager[sqlite3.Connection]:
        return self._connections.transaction(counter)

    def snapshot(self) -> AbstractContextManager[sqlite3.Connection]:
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

    def set_state(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        self._tables.set_state(conn, key, value)

    def save_manifest(self, manifest: IndexManifest) -> None:
        manifest.write(self.path.parent)  # index.json beside the store's file

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
        """Which document is written (one to replace, or a new id) is decided inside the write transaction, so
        two writers (`cwg ingest` beside `cwg serve`) never take one id nor replace each other's document."""
        try:
            with self.transaction() as conn:
                plan = self._tables.plan_write(target, prepared.file_hash, entry)
                # the copy is placed while the replaced document still points to its own (a folder's first
                # writer sweeps copies no document points to, `sweep_files`)
                stored_file = place_file(plan.document_id) if place_file is not None else None
                self._delete(conn, plan.document_id)
                self._insert(conn, plan, stored_file, prepared, embed_hashes, vectors)
        except AlreadyIndexed as found:  # rolled back: nothing written, the generation stays
            return WriteOutcome("unchanged", found.document_id)
        return plan.outcome(stored_file)

    def _insert(self, conn: sqlite3.Connection, plan: WritePlan, stored_file: str | None,
                prepared: PreparedDocument, embed_hashes: list[str], vectors: dict[str, np.ndarray]) -> None:
        """The rows of a document written whole: it, its quality signals, chunks, lexical rows and vectors."""
        self._tables.insert_document_row(conn, plan, stored_file, prepared)
        for chunk, embed_hash in zip(prepared.chunks, embed_hashes):
            chunk_id = conn.execute(
                "INSERT INTO chunks (document_id, ordinal, text, section, page_start, page_end, char_start, "
                "char_end, content_hash, embed_hash, ocr_confidence) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (plan.document_id, chunk.ordinal, chunk.text, chunk.section, chunk.page_start, chunk.page_end,
                 chunk.char_start, chunk.char_end, chunk.content_hash, embed_hash, chunk.ocr_confidence)).lastrowid
            conn.execute("INSERT INTO chunks_fts (rowid, title, section, text) VALUES (?,?,?,?)",
                         (chunk_id, prepared.meta.title, chunk.section, chunk.text))
            for space, matrix in vectors.items():
                conn.execute("INSERT INTO vectors (space, chunk_id, vector) VALUES (?,?,?)",
                             (space, chunk_id, matrix[chunk.ordinal].astype(np.float32).tobytes()))

    @staticmethod
    def _delete(conn: sqlite3.Connection, doc_id: str) -> None:
        conn.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)", (doc_id,))
        conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))  # cascades to chunks, vectors, labels

    def remove_document(self, document_id: str) -> DocumentRecord:
        with self.transaction() as conn:
            record = self._tables.document(document_id)  # NotFound rolls back
            self._delete(conn, document_id)
        return record

    def set_collection(self, document_ids: list[str], collection: str) -> list[str]:
        return self._tables.set_collection(document_ids, collection)

    def set_sources(self, changes: dict[str, tuple[str, str]]) -> list[str]:
        return self._tables.set_sources(changes)

    # --- originals: files in the folder beside the store -------------------------------------------------------
    def stored_files(self) -> set[str]:
        return self._tables.stored_files()

    def keep_file(self, name: str, data: bytes) -> None:
        target = self.files_dir / name
        self.files_dir.mkdir(exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)

    def open_file(self, name: str) -> BinaryIO:
        return (self.files_dir / name).open("rb")

    def drop_file(self, name: str) -> None:
        (self.files_dir / name).unlink(missing_ok=True)

    def sweep_files(self) -> None:
        """Every writer copies its file inside its own transaction, so no copy of a write in progress can be
        mistaken for an orphan here (inside a write transaction)."""
        if not self.files_dir.is_dir():
            return
        kept = self.stored_files()
        for path in self.files_dir.iterdir():
            if path.is_file() and path.name not in kept:
                path.unlink(missing_ok=True)

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

    # --- lexical: FTS5 ----------------------------------------------------------------------------------------
    def fts_row_counts(self, words: list[str]) -> dict[str, int]:
        """Cached for the current generation: counting walks the word's whole posting list, a few ms for a
        common word at a million chunks."""
        generation = self.generation()
        with self._counts_lock:
            if self._counts_generation != generation:
                self._counts, self._counts_generation = {}, generation
            missing = [w for w in dict.fromkeys(words) if w not in self._counts]
        counted = {w: int(self.conn.execute("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?",
                                            ('"' + w.replace('"', '""') + '"',)).fetchone()[0])
                   for w in missing}
        with self._counts_lock:
            if self._counts_generation == generation:
                if len(self._counts) > 100_000:
                    self._counts.clear()
                self._counts.update(counted)
            return {w: self._counts.get(w, counted.get(w, 0)) for w in words}

    def bm25_candidates(self, terms: list[str], weights: tuple[float, ...], limit: int, *,
                        allowed: np.ndarray | None = None, filters: Filters | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        expression = fts_expression(terms)
        weight_args = ", ".join(str(float(w)) for w in weights)
        if allowed is not None:
            sql = (f"SELECT rowid, bm25(chunks_fts, {weight_args}) AS s FROM chunks_fts WHERE chunks_fts MATCH ? "
                   f"AND +rowid IN (SELECT value FROM json_each(?)) ORDER BY s LIMIT ?")
            params: list[object] = [expression, json.dumps(np.asarray(allowed).tolist()), int(limit)]
        elif filters is not None and not filters.is_empty():
            where, fparams = self._caches.filter_sql(filters)
            sql = (f"SELECT f.rowid, bm25(chunks_fts, {weight_args}) AS s FROM chunks_fts f "
                   f"JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id "
                   f"WHERE chunks_fts MATCH ? AND {where} ORDER BY s LIMIT ?")
            params = [expression, *fparams, int(limit)]
        else:
            sql = (f"SELECT rowid, bm25(chunks_fts, {weight_args}) AS s FROM chunks_fts "
                   f"WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?")
            params = [expression, int(limit)]
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples: Row objects cost more than the conversion below
        found = np.array(cursor.execute(sql, params).fetchall(), dtype=np.float64).reshape(-1, 2)
        return found[:, 0].astype(np.int64), (-found[:, 1]).astype(np.float32)

    def lexical_postings(self, terms: list[str]) -> LexicalPostings:
        with self.snapshot():
            return self._postings.read(self.conn, self.generation(), terms, keep=not self._connections.writing())

    # --- vectors: blobs in the store, searched by the process's FAISS index --------------------------------------
    def vector_count(self, space: str) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM vectors WHERE space = ?", (space,)).fetchone()[0])

    def cached_vectors(self, document_id: str, space: str) -> dict[str, np.ndarray]:
        rows = self.conn.execute(
            "SELECT c.embed_hash, v.vector FROM chunks c JOIN vectors v ON v.chunk_id = c.id "
            "WHERE c.document_id = ? AND v.space = ?", (document_id, space)).fetchall()
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def all_vectors(self, space: str, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids ascending, matrix) of one vector space."""
        parts = list(self.vector_batches(space, dimension))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def vector_batches(self, space: str, dimension: int, batch: int = 65_536
                       ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """A million vectors never sit twice in memory while FAISS is built from them."""
        cursor = self.conn.execute("SELECT chunk_id, vector FROM vectors WHERE space = ? ORDER BY chunk_id", (space,))
        while rows := cursor.fetchmany(batch):
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            yield ids, np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dimension)

    def vectors_for(self, space: str, chunk_ids: list[int], dimension: int) -> np.ndarray:
        out = np.zeros((len(chunk_ids), dimension), dtype=np.float32)
        pos = {cid: i for i, cid in enumerate(chunk_ids)}
        for start in range(0, len(chunk_ids), 900):
            part = chunk_ids[start:start + 900]
            rows = self.conn.execute(
                f"SELECT chunk_id, vector FROM vectors WHERE space = ? AND chunk_id IN ({','.join('?' * len(part))})",
                [space, *part]).fetchall()
            for cid, blob in rows:
                out[pos[cid]] = np.frombuffer(blob, dtype=np.float32)
        return out

    def vectors_of(self, space: str, chunk_ids: np.ndarray, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        found: list[np.ndarray] = []
        blobs: list[bytes] = []
        for start in range(0, len(chunk_ids), 900):
            part = chunk_ids[start:start + 900].tolist()
            rows = self.conn.execute(
                f"SELECT chunk_id, vector FROM vectors WHERE space = ? AND chunk_id IN ({','.join('?' * len(part))}) "
                f"ORDER BY chunk_id", [space, *part]).fetchall()
            found.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
            blobs.extend(r[1] for r in rows)
        ids = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), dimension)
        order = np.argsort(ids, kind="stable")
        return ids[order], matrix[order]

    def nearest_soon(self, space: str, query: np.ndarray | Future[np.ndarray], k: int, allowed: np.ndarray | None,
                     local_index: Callable[[str], VectorIndex]) -> Future[tuple[np.ndarray, np.ndarray]]:
        """FAISS in this process, computed when the result is asked for (too short to hand to a thread)."""
        return local_search(local_index, space, query, k, allowed)

    # --- the log of vector changes (migration 5: triggers) ------------------------------------------------------
    def vector_seq(self) -> int:
        """One row read (once per snapshot): the log's AUTOINCREMENT counter."""
        def read() -> int:
            row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'").fetchone()
            return int(row[0]) if row else 0

        return self._caches.memoized(("vector_seq",), read)

    def vector_log_floor(self) -> int:
        return self._caches.counter("vector_log_floor")

    def vector_change(self, seq: int) -> tuple[str, int] | None:
        return self._tables.vector_change(seq)

    def changed_vector_ids(self, space: str, after: int) -> np.ndarray:
        return self._tables.changed_vector_ids(space, after)

    def prune_vector_changes(self, upto: int) -> None:
        try:
            self._tables.prune_vector_changes(upto)
        except sqlite3.OperationalError:
            pass  # read-only, or busy: the next compaction prunes

    # --- copying a whole store (`cwg migrate`) ---------------------------------------------------------------
    def export_rows(self, table: str, batch: int = 5_000) -> Iterator[list[tuple[object, ...]]]:
        return export_rows(self.conn, table, batch)

    def import_rows(self, conn: sqlite3.Connection, table: str, rows: list[tuple[object, ...]]) -> None:
        """Chunks keep their ids and get their lexical rows (their title from their document, imported before)."""
        columns = COPIED_TABLES[table]
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
        if table == "chunks":
            conn.executemany(
                "INSERT INTO chunks_fts (rowid, title, section, text) SELECT c.id, d.title, c.section, c.text "
                "FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?", [(r[0],) for r in rows])

    def import_vectors(self, conn: sqlite3.Connection, space: str, ids: np.ndarray, matrix: np.ndarray) -> None:
        conn.executemany("INSERT INTO vectors (space, chunk_id, vector) VALUES (?,?,?)",
                         [(space, int(i), v.astype(np.float32).tobytes()) for i, v in zip(ids, matrix)])

    def finish_import(self, conn: sqlite3.Connection) -> None:
        """Nothing to build: SQLite's indexes were kept as the rows came."""

    # --- what `cwg reindex` (index/reindex.py, folders only) writes ----------------------------------------------
    def embedding_inputs(self) -> list[tuple[int, str, str, str]]:
        """(chunk id, title, section, text) of every chunk, by id."""
        rows = self.conn.execute("SELECT c.id, d.title, c.section, c.text FROM chunks c JOIN documents d "
                                 "ON d.id = c.document_id ORDER BY c.id").fetchall()
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    def replace_vectors(self, space: str, ids: list[int], matrix: np.ndarray | None) -> None:
        """Every vector of `space` replaced by these (None: the space dropped), in one transaction."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM vectors WHERE space = ?", (space,))
            if matrix is not None:
                self.import_vectors(conn, space, np.asarray(ids, dtype=np.int64), matrix)
