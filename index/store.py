"""The SQLite store: the truth from which everything else (FAISS, caches) is derived."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from index.facet_table import FacetTable, read_facet_table
from index.filters import LABEL_FACETS, Filters
from index.fts_terms import fts_expression
from index.records import (
    COPIED_TABLES,
    DOCUMENT_COLUMNS,
    STORE_OWN_STATE,
    ChunkRecord,
    DocumentRecord,
    DocumentTarget,
    WriteOutcome,
    merged_entry,
)
from index.schema import migrate
from ingest.errors import NotFound
from ingest.quality import QualityProfile, assess
from ingest.records import COLLECTIONS, CURATION_STATUSES, PreparedDocument
from ingest.textclean import one_line

# the latest status a curator gave the document `d` (NULL: never curated)
CURRENT_CURATION = "SELECT cu.status FROM curation cu WHERE cu.document_id = d.id ORDER BY cu.seq DESC LIMIT 1"
DOCUMENT_ORDER = "d.meeting, d.source, d.title, d.id"  # how documents are listed


class _AlreadyIndexed(Exception):
    def __init__(self, document_id: str) -> None:
        super().__init__(document_id)
        self.document_id = document_id


def _document(row: sqlite3.Row) -> DocumentRecord:
    return DocumentRecord.from_row(dict(row))


class Store:
    """One SQLite file, WAL mode. Every write is one transaction: a crash keeps the previous state."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._readers: list[sqlite3.Connection] = []
        self._init_caches()
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self.conn.row_factory = sqlite3.Row
        # 16 KiB pages (set when the file is created): a vector row (1.5 KB MiniLM, 2 KB USE) then fits in
        # its page. With 4 KiB pages SQLite moved each row's tail to an overflow page of its own: 4.7 KB
        # stored per MiniLM vector instead of 1.8 KB (bench/index_size.py).
        self.conn.execute("PRAGMA page_size = 16384")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        migrate(self.conn)
        self._backfill_actor_types()
        self._backfill_quality()

    def _init_caches(self) -> None:
        """The locks and the caches kept per state of the store (shared by every implementation)."""
        self._lock = threading.RLock()  # one writer at a time on the main connection
        self._local = threading.local()  # per thread: its read connection and snapshot depth
        self._counts_lock = threading.Lock()  # the cache of lexical row counts per word
        self._counts: dict[str, int] = {}
        self._counts_generation = -1
        self._allowed: dict[tuple[object, ...], np.ndarray] = {}  # chunk ids per filter and generation
        self._owners: tuple[np.ndarray, np.ndarray, list[str]] = (np.zeros(0, np.int64), np.zeros(0, np.int32), [])
        self._owners_generation: int | None = None  # the generation `_owners` was read at
        self._facet_table: tuple[tuple[int, int], FacetTable] | None = None
        self._languages: dict[int, str] = {}  # chunk id → its document's language, for one generation
        self._languages_generation = -1

    def _backfill_actor_types(self) -> None:
        """Documents written before `actor_type` existed get it from their source (once)."""
        rows = self._main.execute("SELECT id, source, country FROM documents WHERE actor_type = '' "
                                  "AND source != ''").fetchall()
        if not rows:
            return
        from ingest.actors import infer_actor_type

        kinds = [(infer_actor_type(r["source"], r["country"]), r["id"]) for r in rows]
        try:
            with self.transaction() as conn:
                conn.executemany("UPDATE documents SET actor_type = ? WHERE id = ? AND actor_type = ''", kinds)
        except sqlite3.OperationalError:
            pass  # a read-only index: the next writer fills them in

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection: its read connection inside `snapshot()`, else the main one
        (always the main one inside `transaction()`: what a write reads must be what it writes over)."""
        if getattr(self._local, "depth", 0) and not getattr(self._local, "writing", False):
            return self._local.reader  # type: ignore[no-any-return]
        return self._main

    @conn.setter
    def conn(self, value: sqlite3.Connection) -> None:
        self._main = value

    def close(self) -> None:
        with self._lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._main.close()

    @contextmanager
    def transaction(self, counter: str = "generation") -> Iterator[sqlite3.Connection]:
        """One write transaction. It bumps `counter`: "generation" when documents, chunks or labels change
        (every derived cache, FAISS included, is rebuilt for a new generation), "marks" when only the
        curators' statuses or the quality scores do (filters read them; the vectors stay valid)."""
        conn = self._main
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            self._local.writing = True
            try:
                yield conn
                conn.execute("INSERT OR IGNORE INTO state (key, value) VALUES (?, '0')", (counter,))
                conn.execute("UPDATE state SET value = CAST(value AS INTEGER) + 1 WHERE key = ?", (counter,))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._local.writing = False

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same committed state.

        Each thread reads through its own connection (WAL: readers neither wait for the writer nor
        for each other, and see a write entirely or not at all). Nests: inside a snapshot this thread
        already holds, it joins the open one, so a caller can run several reads (a search, then facet
        counts of its results) against one state.
        """
        local = self._local
        if getattr(local, "depth", 0):
            local.depth += 1
            try:
                yield local.reader
            finally:
                local.depth -= 1
            return
        reader = self._reader()
        reader.execute("BEGIN")
        local.depth = 1
        try:
            yield reader
        finally:
            local.depth = 0
            if reader.in_transaction:
                reader.execute("COMMIT")

    def _reader(self) -> sqlite3.Connection:
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
            reader.row_factory = sqlite3.Row
            reader.execute("PRAGMA query_only = ON")
            with self._lock:
                self._readers.append(reader)
            self._local.reader = reader
        return reader

    # --- what differs between SQL dialects (index/pg_store.py overrides these) --------------------------
    JOIN_IN_ORDER = "CROSS JOIN"  # SQLite joins the tables in the order written (documents first)
    SQL_DIALECT = "sqlite"

    def _filter_sql(self, filters: Filters, alias: str = "d", state: tuple[int, int] | None = None
                    ) -> tuple[str, list[object]]:
        """`filters` as SQL over exact stored values: each field's values resolved against the facet table (of
        `state`, the caller's `state_key()`, when given)."""
        return filters.to_sql(self.facet_table(state) if filters.fields else None, alias, self.SQL_DIALECT)

    @staticmethod
    def _set_state(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        return int(self.conn.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()[0])

    def marks_generation(self) -> int:
        """Bumped by every write of curation statuses or quality scores (see `transaction`)."""
        row = self.conn.execute("SELECT value FROM state WHERE key = 'marks'").fetchone()
        return int(row[0]) if row else 0

    def state_key(self) -> tuple[int, int]:
        """(generation, marks generation) in one statement: what the caches of filters and facets are kept by."""
        rows = dict(self.conn.execute("SELECT key, value FROM state WHERE key IN ('generation', 'marks')").fetchall())
        return int(rows["generation"]), int(rows.get("marks", 0))

    # --- documents -------------------------------------------------------------------------------
    def _select_documents(self, where: str = "1", params: tuple | list = ()) -> list[DocumentRecord]:
        cols = ", ".join(f"d.{c}" for c in DOCUMENT_COLUMNS)
        rows = self.conn.execute(
            f"SELECT {cols}, (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunks, d.quality, "
            f"({CURRENT_CURATION}) AS curation "
            f"FROM documents d WHERE {where} ORDER BY {DOCUMENT_ORDER}", params
        ).fetchall()
        return [_document(r) for r in rows]

    def documents(self, filters: Filters | None = None) -> list[DocumentRecord]:
        where, params = self._filter_sql(filters or Filters())
        return self._select_documents(where, params)

    def documents_by_id(self, ids: list[str]) -> dict[str, DocumentRecord]:
        """The documents with these ids (exact ids: the primary key answers, no scan)."""
        out: dict[str, DocumentRecord] = {}
        for start in range(0, len(ids), 900):
            part = ids[start:start + 900]
            out.update((d.id, d) for d in self._select_documents(f"d.id IN ({','.join('?' * len(part))})", part))
        return out

    def document(self, document_id: str) -> DocumentRecord:
        found = self._select_documents("d.id = ?", (document_id,))
        if not found:
            raise NotFound(f"no document {document_id!r} in this index (see `cwg documents`)")
        return found[0]

    def find_by_path(self, path: str) -> DocumentRecord | None:
        found = self._select_documents("d.path = ?", (path,))
        return found[0] if found else None

    def find_by_hash(self, file_hash: str) -> DocumentRecord | None:
        found = self._select_documents("d.file_hash = ?", (file_hash,))
        return found[0] if found else None

    def document_text(self, document_id: str) -> str:
        row = self.conn.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            raise NotFound(f"no document {document_id!r} in this index")
        return str(row[0])

    def free_document_id(self, base: str) -> str:
        candidate, n = base, 1
        while self.conn.execute("SELECT 1 FROM documents WHERE id = ?", (candidate,)).fetchone():
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def indexed_already(self, target: DocumentTarget, file_hash: str, entry: dict[str, str]
                        ) -> tuple[DocumentRecord | None, DocumentRecord | None]:
        """(the document that holds these bytes with this entry already, the document a write would replace).

        At most one is set. Same key (path) with other bytes, or an entry that changes a field: that document
        is replaced (fields the entry leaves out keep their earlier values, `merged_entry`).
        No document under the key: the same bytes indexed elsewhere count as indexed (with no entry of
        their own, or the same one). A write to `target.document_id` replaces exactly that document.
        """
        if target.document_id is not None:
            current = self.document(target.document_id)  # NotFound when it is gone
            return (current, None) if current.file_hash == file_hash else (None, current)
        existing = self.find_by_path(target.key) if target.key is not None else None
        if existing is not None:
            same = existing.file_hash == file_hash and merged_entry(existing.entry, entry) == existing.entry
            return (existing, None) if same else (None, existing)
        twin = self.find_by_hash(file_hash)
        if twin is not None and (target.key is None or not entry or twin.entry == entry):
            return twin, None
        return None, None

    def write_document(self, target: DocumentTarget, prepared: PreparedDocument, embed_hashes: list[str],
                       vectors: dict[str, np.ndarray], entry: dict[str, str],
                       place_file: Callable[[str], str | None] | None = None) -> WriteOutcome:
        """Write `prepared` with its chunks, vectors and lexical rows as the document `target` names.

        Which document that is (an existing one to replace, or a new id) is decided inside the write
        transaction, so two writers (two processes: `cwg ingest` beside `cwg serve`) never choose the
        same id and never replace each other's document. `place_file(document_id)` runs inside the
        transaction too (it keeps a copy of the original and returns its name).
        """
        try:
            return self._write_document(target, prepared, embed_hashes, vectors, entry, place_file)
        except _AlreadyIndexed as found:
            return WriteOutcome("unchanged", found.document_id)

    def _write_document(self, target: DocumentTarget, prepared: PreparedDocument, embed_hashes: list[str],
                        vectors: dict[str, np.ndarray], entry: dict[str, str],
                        place_file: Callable[[str], str | None] | None) -> WriteOutcome:
        with self.transaction() as conn:
            indexed, existing = self.indexed_already(target, prepared.file_hash, entry)
            if indexed is not None:
                raise _AlreadyIndexed(indexed.id)  # rolls back: nothing written, the generation stays
            if existing is not None:
                doc_id, key, status = existing.id, existing.path, "updated"
                entry = merged_entry(existing.entry, entry)
            else:
                doc_id = self.free_document_id(target.slug)
                key, status = target.key or f"{target.new_key_prefix}{doc_id}", "added"
            # the copy is placed while the replaced document still points to its own (a folder's first writer
            # sweeps copies no document points to, index/folder.py)
            stored_file = place_file(doc_id) if place_file is not None else None
            self._delete(conn, doc_id)
            self._insert_document(conn, doc_id, key, stored_file, prepared, entry, embed_hashes, vectors)
        replaced = existing.stored_file if existing is not None and existing.stored_file != stored_file else None
        return WriteOutcome(status, doc_id, replaced)

    def _insert_document_row(self, conn: sqlite3.Connection, doc_id: str, key: str, stored_file: str | None,
                             prepared: PreparedDocument, entry: dict[str, str]) -> None:
        """The document's own row and its quality signals (both stores' SQL)."""
        m = prepared.meta
        conn.execute(
            f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}, text) VALUES "
            f"({', '.join('?' * (len(DOCUMENT_COLUMNS) + 1))})",
            (doc_id, key, prepared.file_name, prepared.file_hash, stored_file, prepared.format,
             m.title, m.source, m.country, m.region, m.doc_type, m.actor_type, m.meeting, m.date, m.language,
             prepared.page_count, json.dumps(m.extra, ensure_ascii=False),
             json.dumps(prepared.warnings, ensure_ascii=False), json.dumps(entry, ensure_ascii=False),
             datetime.now(timezone.utc).isoformat(timespec="seconds"), m.collection, prepared.text),
        )
        if prepared.quality is not None:
            self._write_quality(conn, doc_id, prepared.quality)

    def _insert_document(self, conn: sqlite3.Connection, doc_id: str, key: str, stored_file: str | None,
                         prepared: PreparedDocument, entry: dict[str, str], embed_hashes: list[str],
                         vectors: dict[str, np.ndarray]) -> None:
        """The rows of a document written whole: it, its quality signals, chunks, lexical rows and vectors."""
        self._insert_document_row(conn, doc_id, key, stored_file, prepared, entry)
        m = prepared.meta
        for chunk, embed_hash in zip(prepared.chunks, embed_hashes):
            cur = conn.execute(
                "INSERT INTO chunks (document_id, ordinal, text, section, page_start, page_end, "
                "char_start, char_end, content_hash, embed_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (doc_id, chunk.ordinal, chunk.text, chunk.section, chunk.page_start, chunk.page_end,
                 chunk.char_start, chunk.char_end, chunk.content_hash, embed_hash),
            )
            chunk_id = cur.lastrowid
            conn.execute("INSERT INTO chunks_fts (rowid, title, section, text) VALUES (?,?,?,?)",
                         (chunk_id, m.title, chunk.section, chunk.text))
            for space, matrix in vectors.items():
                conn.execute("INSERT INTO vectors (space, chunk_id, vector) VALUES (?,?,?)",
                             (space, chunk_id, matrix[chunk.ordinal].astype(np.float32).tobytes()))

    # --- quality and curation ----------------------------------------------------------------------
    @staticmethod
    def _write_quality(conn: sqlite3.Connection, doc_id: str, profile: QualityProfile) -> None:
        conn.execute("UPDATE documents SET quality = ? WHERE id = ?", (profile.score, doc_id))
        conn.execute("DELETE FROM quality_signals WHERE document_id = ?", (doc_id,))
        conn.executemany(
            "INSERT INTO quality_signals (document_id, signal, found, evidence, page, char_start, char_end) "
            "VALUES (?,?,?,?,?,?,?)",
            [(doc_id, r.id, bool(r.found), r.evidence.text if r.evidence else None,
              r.evidence.page if r.evidence else None, r.evidence.char_start if r.evidence else None,
              r.evidence.char_end if r.evidence else None) for r in profile.signals])

    def write_quality(self, profiles: dict[str, QualityProfile], path: str | None = None) -> int:
        """Store the quality profiles of these documents (one transaction); returns how many were written.
        `path`: the signals file they were scored with ("" for the shipped one; None leaves it as it was)."""
        with self.transaction("marks") as conn:
            if path is not None:
                self._set_state(conn, "quality_signals_path", path)
            written = 0
            for doc_id, profile in profiles.items():
                if conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone():
                    self._write_quality(conn, doc_id, profile)
                    written += 1
        return written

    def quality_signals_path(self) -> str:
        """The signals file the index was last scored with by `cwg tag --signals` ("" for the shipped one)."""
        row = self.conn.execute("SELECT value FROM state WHERE key = 'quality_signals_path'").fetchone()
        return str(row[0]) if row else ""

    def quality_signals(self, document_id: str) -> list[dict[str, object]]:
        """The stored signals of a document: id, found, evidence text, page and place in its text."""
        rows = self.conn.execute(
            "SELECT signal, found, evidence, page, char_start, char_end FROM quality_signals WHERE document_id = ?",
            (document_id,)).fetchall()
        return [{"id": r[0], "found": bool(r[1]), "evidence": r[2], "page": r[3], "char_start": r[4],
                 "char_end": r[5]} for r in rows]

    def quality_inputs(self, only_missing: bool = False) -> Iterator[tuple[str, str, list[tuple[int, int, int | None]]]]:
        """(document id, text, chunk spans with pages) of every document (or of those without a profile)."""
        where = "WHERE d.quality IS NULL" if only_missing else ""
        ids = [r[0] for r in self.conn.execute(f"SELECT d.id FROM documents d {where} ORDER BY d.id").fetchall()]
        for doc_id in ids:
            row = self.conn.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                continue
            spans = [(int(r[0]), int(r[1]), r[2]) for r in self.conn.execute(
                "SELECT char_start, char_end, page_start FROM chunks WHERE document_id = ? ORDER BY ordinal",
                (doc_id,)).fetchall()]
            yield doc_id, str(row[0]), spans

    def _backfill_quality(self) -> None:
        """Documents written before quality profiles existed get theirs (once; text only, no model)."""
        try:
            missing = list(self.quality_inputs(only_missing=True))
        except sqlite3.OperationalError:
            return
        if not missing:
            return
        try:
            self.write_quality({doc_id: assess(text, spans) for doc_id, text, spans in missing})
        except sqlite3.OperationalError:
            pass  # a read-only index: the next writer fills them in

    def curate(self, document_id: str, status: str, reason: str, curator: str) -> dict[str, str]:
        """Record a curator's status for a document (appended to its history; nothing is overwritten)."""
        if status not in CURATION_STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(CURATION_STATUSES)}")
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        reason, curator = one_line(reason), one_line(curator)
        with self.transaction("marks") as conn:
            if conn.execute("SELECT 1 FROM documents WHERE id = ?", (document_id,)).fetchone() is None:
                raise NotFound(f"no document {document_id!r} in this index (see `cwg documents`)")
            conn.execute("INSERT INTO curation (document_id, status, reason, curator, at) VALUES (?,?,?,?,?)",
                         (document_id, status, reason, curator, at))
        return {"document_id": document_id, "status": status, "reason": reason, "by": curator, "at": at}

    def curation_history(self, document_id: str | None = None) -> list[dict[str, str]]:
        """Every status given (to one document, or to all), oldest first."""
        where, params = ("WHERE document_id = ?", (document_id,)) if document_id else ("", ())
        rows = self.conn.execute(f"SELECT document_id, status, reason, curator, at FROM curation {where} "
                                 f"ORDER BY seq", params).fetchall()
        return [{"document_id": r[0], "status": r[1], "reason": r[2], "by": r[3], "at": r[4]} for r in rows]

    def import_curation(self, events: list[dict[str, str]]) -> int:
        """Append exported history events that this index does not hold yet (same document, status, reason,
        curator and time); returns how many were added. Documents need not exist (yet)."""
        added = 0
        with self.transaction("marks") as conn:
            for e in events:
                key = (e["document_id"], e["status"], e["reason"], e["by"], e["at"])
                if conn.execute("SELECT 1 FROM curation WHERE document_id = ? AND status = ? AND reason = ? "
                                "AND curator = ? AND at = ?", key).fetchone():
                    continue
                conn.execute("INSERT INTO curation (document_id, status, reason, curator, at) VALUES (?,?,?,?,?)",
                             key)
                added += 1
        return added

    def chunk_owners(self, chunk_ids: list[int]) -> dict[int, str]:
        """chunk id → its document's id, for the ids that exist. The whole map (two arrays) is read once per
        generation: a "similar" query asks about most of the index's chunks."""
        generation = self.generation()
        with self._counts_lock:
            cached = self._owners if self._owners_generation == generation else None
        if cached is None:
            rows = self.conn.execute("SELECT id, document_id FROM chunks ORDER BY id").fetchall()
            names = sorted({r[1] for r in rows})
            code = {name: i for i, name in enumerate(names)}
            cached = (np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                      np.fromiter((code[r[1]] for r in rows), dtype=np.int32, count=len(rows)), names)
            with self._counts_lock:
                self._owners, self._owners_generation = cached, generation
        ids, codes, names = cached
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
        found = (ids[pos] == wanted) if len(ids) else np.zeros(len(wanted), dtype=bool)
        return {int(c): names[int(codes[p])] for c, p, ok in zip(wanted.tolist(), pos.tolist(), found.tolist()) if ok}

    def labels_of(self, document_ids: list[str]) -> dict[str, set[tuple[str, str]]]:
        """document id → its (facet, label) pairs (empty for an untagged document)."""
        out: dict[str, set[tuple[str, str]]] = {d: set() for d in document_ids}
        for start in range(0, len(document_ids), 900):
            part = document_ids[start:start + 900]
            rows = self.conn.execute(f"SELECT document_id, facet, label FROM labels WHERE document_id IN "
                                     f"({','.join('?' * len(part))})", part).fetchall()
            for doc_id, facet, label in rows:
                out[doc_id].add((facet, label))
        return out

    def document_labels(self, document_id: str) -> list[dict[str, object]]:
        """A document's labels with their score and evidence chunk, best first."""
        rows = self.conn.execute("SELECT facet, label, score, evidence_chunk_id FROM labels WHERE document_id = ? "
                                 "ORDER BY facet, score DESC", (document_id,)).fetchall()
        return [{"facet": r[0], "label": r[1], "score": round(float(r[2]), 4), "evidence_chunk_id": r[3]}
                for r in rows]

    def stored_files(self) -> set[str]:
        """Names of the original copies that committed documents point to."""
        rows = self.conn.execute("SELECT stored_file FROM documents WHERE stored_file IS NOT NULL").fetchall()
        return {str(r[0]) for r in rows}

    def set_collection(self, document_ids: list[str], collection: str) -> list[str]:
        """Move documents to `collection` (no text is read or encoded again); their entry records it, so a
        later re-ingest keeps it. Returns the ids moved (those in it already are left as they are)."""
        if collection not in COLLECTIONS:
            raise ValueError(f"collection {collection!r} is not one of {', '.join(COLLECTIONS)}")
        moved = []
        with self.transaction() as conn:
            for document_id in document_ids:
                record = self.document(document_id)  # NotFound rolls back
                if record.collection == collection and record.entry.get("collection") == collection:
                    continue
                entry = {**record.entry, "collection": collection}
                conn.execute("UPDATE documents SET collection = ?, entry = ? WHERE id = ?",
                             (collection, json.dumps(entry, ensure_ascii=False), document_id))
                moved.append(document_id)
        return moved

    def remove_document(self, document_id: str) -> DocumentRecord:
        with self.transaction() as conn:
            record = self.document(document_id)  # NotFound rolls back
            self._delete(conn, document_id)
        return record

    @staticmethod
    def _delete(conn: sqlite3.Connection, doc_id: str) -> None:
        conn.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)",
                     (doc_id,))
        conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))  # cascades to chunks, vectors, labels

    # --- chunks and vectors ------------------------------------------------------------------------
    def chunks_of(self, document_id: str) -> list[ChunkRecord]:
        rows = self.conn.execute(
            "SELECT * FROM chunks WHERE document_id = ? ORDER BY ordinal", (document_id,)).fetchall()
        return [ChunkRecord(**dict(r)) for r in rows]

    def chunks_by_id(self, ids: list[int]) -> dict[int, ChunkRecord]:
        out: dict[int, ChunkRecord] = {}
        for start in range(0, len(ids), 900):
            part = ids[start:start + 900]
            rows = self.conn.execute(
                f"SELECT * FROM chunks WHERE id IN ({','.join('?' * len(part))})", part).fetchall()
            out.update((r["id"], ChunkRecord(**dict(r))) for r in rows)
        return out

    def sample_chunk_texts(self, limit: int) -> list[str]:
        """The texts of up to `limit` passages spread evenly over the index (background statistics)."""
        total = self.chunk_count()
        step = max(1, total // max(limit, 1))
        rows = self.conn.execute("SELECT text FROM chunks WHERE id % ? = 0 ORDER BY id LIMIT ?", (step, limit))
        return [r[0] for r in rows.fetchall()]

    def cached_vectors(self, document_id: str, space: str) -> dict[str, np.ndarray]:
        """embed_hash → vector for the chunks a document has now (reused when it is re-ingested)."""
        rows = self.conn.execute(
            "SELECT c.embed_hash, v.vector FROM chunks c JOIN vectors v ON v.chunk_id = c.id "
            "WHERE c.document_id = ? AND v.space = ?", (document_id, space)).fetchall()
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def all_vectors(self, space: str, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids ascending, matrix) of one vector space."""
        count = self.conn.execute("SELECT COUNT(*) FROM vectors WHERE space = ?", (space,)).fetchone()[0]
        ids = np.empty(count, dtype=np.int64)
        matrix = np.empty((count, dimension), dtype=np.float32)
        cursor = self.conn.execute("SELECT chunk_id, vector FROM vectors WHERE space = ? ORDER BY chunk_id",
                                   (space,))
        for i, (chunk_id, blob) in enumerate(cursor):
            ids[i] = chunk_id
            matrix[i] = np.frombuffer(blob, dtype=np.float32)
        return ids, matrix

    def vector_count(self, space: str) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM vectors WHERE space = ?", (space,)).fetchone()[0])

    def vector_batches(self, space: str, dimension: int, batch: int = 65_536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(chunk ids, matrix) of one vector space in ascending id order, `batch` rows at a time
        (a million vectors never sit twice in memory while FAISS is built from them)."""
        cursor = self.conn.execute("SELECT chunk_id, vector FROM vectors WHERE space = ? ORDER BY chunk_id",
                                   (space,))
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dimension)
            yield ids, matrix

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

    def chunk_ids(self, filters: Filters) -> np.ndarray:
        """Ids (ascending) of the chunks whose document passes `filters`."""
        # Per document, not per chunk: a document's chunks are written in one transaction, so their ids
        # are one run (MIN..MAX) unless COUNT says otherwise; 500 rows to read instead of 25,000.
        # Kept for the generation (filters repeat: a country, a meeting): 74 ms for 250k of 1M chunks.
        state = self.state_key()
        where, params = self._filter_sql(filters, state=state)
        key = (where, tuple(params), *state)
        with self._counts_lock:
            cached = self._allowed.get(key)
        if cached is not None:
            return cached
        runs = self.conn.execute(
            f"SELECT d.id, MIN(c.id), MAX(c.id), COUNT(*) FROM documents d {self.JOIN_IN_ORDER} chunks c "
            f"ON c.document_id = d.id WHERE {where} GROUP BY d.id", params).fetchall()
        parts = []
        for doc_id, low, high, count in runs:
            if high - low + 1 == count:
                parts.append(np.arange(low, high + 1, dtype=np.int64))
            else:
                rows = self.conn.execute("SELECT id FROM chunks WHERE document_id = ?", (doc_id,)).fetchall()
                parts.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
        ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        ids.sort()
        ids.flags.writeable = False  # shared through the cache
        with self._counts_lock:
            if len(self._allowed) >= 16:
                self._allowed.pop(next(iter(self._allowed)))
            self._allowed[key] = ids
        return ids

    def fts_row_counts(self, words: list[str]) -> dict[str, int]:
        """word -> number of chunks whose lexical row holds it (as the FTS5 tokenizer indexes it).
        Cached for the current generation: counting walks the word's whole posting list, a few ms
        for a common word at a million chunks."""
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

    def chunk_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def document_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    # --- lexical candidates (BM25 over the FTS5 table) ------------------------------------------------
    def bm25_candidates(self, terms: list[str], weights: tuple[float, ...], limit: int, *,
                        allowed: np.ndarray | None = None, filters: Filters | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """The best `limit` chunks holding any of the query words `terms`, BM25 with these column weights
        (title, section, text): (chunk ids, scores; higher is better), best first. Only the chunks in `allowed`
        (ids) when given, else only those whose document passes `filters` when given."""
        expression = fts_expression(terms)
        weight_args = ", ".join(str(float(w)) for w in weights)
        if allowed is not None:
            sql = (f"SELECT rowid, bm25(chunks_fts, {weight_args}) AS s FROM chunks_fts WHERE chunks_fts MATCH ? "
                   f"AND +rowid IN (SELECT value FROM json_each(?)) ORDER BY s LIMIT ?")
            params: list[object] = [expression, json.dumps(np.asarray(allowed).tolist()), int(limit)]
        elif filters is not None and not filters.is_empty():
            where, fparams = self._filter_sql(filters)
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

    # --- what tagging, the matrix and evaluation read ---------------------------------------------
    def chunk_texts(self) -> list[tuple[int, str, str]]:
        """(chunk id, document id, text) of every chunk, by document and then reading order."""
        rows = self.conn.execute("SELECT id, document_id, text FROM chunks ORDER BY document_id, ordinal")
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows.fetchall()]

    def chunk_document_paths(self) -> dict[int, str]:
        """chunk id → the path its document was ingested from."""
        rows = self.conn.execute("SELECT c.id, d.path FROM chunks c JOIN documents d ON d.id = c.document_id")
        return {int(r[0]): str(r[1]) for r in rows.fetchall()}

    def document_values(self, field: str, filters: Filters | None = None) -> list[tuple[str, str | None]]:
        """(document id, value of `field`) for the documents passing `filters`."""
        if field not in DOCUMENT_COLUMNS:
            raise ValueError(f"unknown document field {field!r}")
        where, params = self._filter_sql(filters or Filters())
        rows = self.conn.execute(f"SELECT d.id, d.{field} FROM documents d WHERE {where}", params).fetchall()
        return [(str(r[0]), r[1]) for r in rows]

    def facet_labels(self, facet: str, filters: Filters | None = None) -> list[tuple[str, str]]:
        """(document id, label) of one facet's labels, for the documents passing `filters`."""
        where, params = self._filter_sql(filters or Filters())
        rows = self.conn.execute(f"SELECT l.document_id, l.label FROM labels l JOIN documents d ON "
                                 f"d.id = l.document_id WHERE l.facet = ? AND {where}", [facet, *params]).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    def has_labels(self) -> bool:
        return self.conn.execute("SELECT 1 FROM labels LIMIT 1").fetchone() is not None

    def replace_labels(self, labels: list[tuple[str, str, str, float, int | None]], state_key: str,
                       state: dict[str, object]) -> None:
        """Replace every label — rows of (document id, facet, label, score, evidence chunk id) — and record
        `state` under `state_key`, in one transaction (a new generation)."""
        with self.transaction() as tx:
            tx.execute("DELETE FROM labels")
            tx.executemany(
                "INSERT INTO labels (document_id, facet, label, score, evidence_chunk_id) VALUES (?,?,?,?,?)",
                labels)
            self._set_state(tx, state_key, json.dumps(state, ensure_ascii=False))

    def state_record(self, key: str) -> dict[str, object] | None:
        """A JSON record kept in the store's state under `key`, or None."""
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    # --- facet counts and document sets, kept per state of the index --------------------------------
    def facet_table(self, state: tuple[int, int] | None = None) -> FacetTable:
        """Every document's facet values as codes, read once per (generation, marks) (`state`, when the caller
        read it already): facet counts over any set of documents are then a few array operations
        (`FacetTable.counts`)."""
        key = state if state is not None else self.state_key()
        with self._counts_lock:
            cached = self._facet_table
        if cached is not None and cached[0] == key:
            return cached[1]
        table = read_facet_table(self.conn, LABEL_FACETS)
        if getattr(self._local, "writing", False):
            return table  # what a write sees before it commits is kept for no one else
        with self._counts_lock:
            self._facet_table = (key, table)
        return table

    def document_ids(self, filters: Filters) -> list[str]:
        """Ids of the documents passing `filters`, in the order `documents` lists them; kept per filter and
        state of the index (a page of a long list then reads only its own documents)."""
        state = self.state_key()
        where, params = self._filter_sql(filters, state=state)
        key = ("documents", where, tuple(params), *state)
        with self._counts_lock:
            cached = self._allowed.get(key)
        if cached is not None:
            return list(cached)
        ids = [r[0] for r in self.conn.execute(f"SELECT d.id FROM documents d WHERE {where} "
                                                f"ORDER BY {DOCUMENT_ORDER}", params)]
        with self._counts_lock:
            if len(self._allowed) >= 16:
                self._allowed.pop(next(iter(self._allowed)))
            self._allowed[key] = np.array(ids, dtype=object)
        return ids

    def chunk_documents(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """(codes, names): the document of chunk i is names[codes[i]]; code -1 for a chunk that is gone.
        Array work over the map `chunk_owners` keeps per generation (no per-chunk Python)."""
        self.chunk_owners([])  # reads the map when the generation is new
        with self._counts_lock:
            ids, codes, names = self._owners
        wanted = np.asarray(chunk_ids, dtype=np.int64)
        if not len(ids):
            return np.full(len(wanted), -1, dtype=np.int32), list(names)
        pos = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
        return np.where(ids[pos] == wanted, codes[pos], -1).astype(np.int32), list(names)

    def chunk_languages(self, chunk_ids: list[int]) -> list[str]:
        """The language of each chunk's document, in the order given ('' for a chunk that is gone). Kept
        per generation as chunks are asked about: a search asks about its 1,000–3,000 candidates, and
        candidates recur from query to query."""
        generation = self.generation()
        with self._counts_lock:
            if self._languages_generation != generation or len(self._languages) > 500_000:
                self._languages, self._languages_generation = {}, generation
            known = self._languages
            missing = [i for i in chunk_ids if i not in known]
        found: dict[int, str] = {}
        for start in range(0, len(missing), 900):
            part = missing[start:start + 900]
            rows = self.conn.execute(
                f"SELECT c.id, d.language FROM chunks c JOIN documents d ON d.id = c.document_id "
                f"WHERE c.id IN ({','.join('?' * len(part))})", part).fetchall()
            found.update((r[0], r[1]) for r in rows)
        if found:
            with self._counts_lock:
                if self._languages_generation == generation:
                    self._languages.update(found)
        return [known.get(i) or found.get(i, "") for i in chunk_ids]

    # --- copying a whole store (`cwg migrate`, index/transfer.py) --------------------------------------
    def export_rows(self, table: str, batch: int = 5_000) -> Iterator[list[tuple[object, ...]]]:
        """The rows of one of `COPIED_TABLES`, in its columns' order, `batch` at a time (in order: chunks by
        id, curation events by when they were given). JSON fields come as JSON text."""
        columns = COPIED_TABLES[table]
        order = {"documents": "id", "chunks": "id", "labels": "document_id, facet, label",
                 "quality_signals": "document_id, signal", "curation": "seq"}[table]
        cursor = self.conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield [tuple(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in r)
                   for r in rows]

    def import_rows(self, conn: sqlite3.Connection, table: str, rows: list[tuple[object, ...]]) -> None:
        """Write exported rows of `table` (inside one `transaction()`, into an empty store). Chunks keep
        their ids and get their lexical rows (the title comes from their document, imported before them)."""
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
        """After the last `import_rows`/`import_vectors` of a copy, in its transaction (indexes built once)."""

    def state_keys(self) -> dict[str, str]:
        """The state records a copy of the store takes along (not its counters, id or log bookkeeping)."""
        rows = self.conn.execute("SELECT key, value FROM state").fetchall()
        return {str(r[0]): str(r[1]) for r in rows if r[0] not in STORE_OWN_STATE}

    def set_state(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        self._set_state(conn, key, value)

    # --- the log of vector changes (migration 5): what a cached vector index catches up from ----------
    def store_id(self) -> str:
        """A random id given to this store when its change log was created (a cache names the store it is from)."""
        row = self.conn.execute("SELECT value FROM state WHERE key = 'store_id'").fetchone()
        return str(row[0]) if row else ""

    def vector_seq(self) -> int:
        """The number of the last committed change of the vectors table (0: none yet). One row read."""
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'vector_changes'").fetchone()
        return int(row[0]) if row else 0

    def vector_log_floor(self) -> int:
        """Changes up to this number were pruned: an index older than it cannot catch up from the log."""
        row = self.conn.execute("SELECT value FROM state WHERE key = 'vector_log_floor'").fetchone()
        return int(row[0]) if row else 0

    def vector_change(self, seq: int) -> tuple[str, int] | None:
        """(space, chunk id) of change `seq`, if the log holds it: a cache's fingerprint of the store it saw."""
        row = self.conn.execute("SELECT space, chunk_id FROM vector_changes WHERE seq = ?", (seq,)).fetchone()
        return (str(row[0]), int(row[1])) if row else None

    def changed_vector_ids(self, space: str, after: int) -> np.ndarray:
        """Ids (ascending, distinct) of the chunks whose `space` vector was written or removed after change `after`."""
        rows = self.conn.execute("SELECT DISTINCT chunk_id FROM vector_changes WHERE seq > ? AND space = ?",
                                 (after, space)).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        ids.sort()
        return ids

    def vectors_of(self, space: str, chunk_ids: np.ndarray, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids ascending, matrix) of those `chunk_ids` that have a `space` vector now."""
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

    def prune_vector_changes(self, upto: int) -> None:
        """Forget the changes up to `upto` (those every saved cache holds already)."""
        with self.transaction("vector_log") as conn:
            if upto > self.vector_log_floor():
                conn.execute("DELETE FROM vector_changes WHERE seq <= ?", (upto,))
                self._set_state(conn, "vector_log_floor", str(upto))
