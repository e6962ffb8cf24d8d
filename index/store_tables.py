"""What both stores run alike: the statements over the tables they share.

The SQLite and the PostgreSQL store have the same documents, chunks, labels, quality signals, curation and state
tables (index/schema.py, index/pg_schema.py). Statements over them are written once here, with the placeholders
and the few fragments that differ taken from the store's `Dialect` (index/sql_dialect.py); rows are read by
position, as both drivers give them. A store holds one `StoreTables` and answers each operation of the protocol
(index/store_api.py) itself: with one of these, or with its own SQL (FTS5 or pgvector, chunk ids, COPY). What
both keep per state of the index is index/state_caches.py. Nothing here is inherited.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np

from index.filters import Filters
from index.records import (
    CHUNK_COLUMNS,
    COPIED_TABLES,
    DOCUMENT_COLUMNS,
    STORE_OWN_STATE,
    ChunkRecord,
    DocumentRecord,
    DocumentTarget,
    WriteOutcome,
    merged_entry,
)
from index.sql_dialect import Dialect
from index.state_caches import BATCH, DOCUMENT_ORDER, StateCaches
from ingest.errors import NotFound
from ingest.quality import QualityProfile, assess
from ingest.records import COLLECTIONS, CURATION_STATUSES, PreparedDocument
from ingest.textclean import one_line

# the latest status a curator gave the document `d` (NULL: never curated)
CURRENT_CURATION = "SELECT cu.status FROM curation cu WHERE cu.document_id = d.id ORDER BY cu.seq DESC LIMIT 1"
SELECTED = (*DOCUMENT_COLUMNS, "chunks", "quality", "curation")
EXPORT_ORDER = {"documents": "id", "chunks": "id", "labels": "document_id, facet, label",
                "quality_signals": "document_id, signal", "curation": "seq", "quality_corrections": "seq"}


class AlreadyIndexed(Exception):
    """Raised inside a write transaction to leave it unchanged (rolled back: no new generation)."""

    def __init__(self, document_id: str) -> None:
        super().__init__(document_id)
        self.document_id = document_id


@dataclass(frozen=True)
class WritePlan:
    """Which document a write goes to, decided inside its transaction (`StoreTables.plan_write`)."""

    document_id: str
    key: str
    entry: dict[str, str]
    replaced: DocumentRecord | None  # the document written over (None: a new one)

    def outcome(self, stored_file: str | None) -> WriteOutcome:
        old = self.replaced.stored_file if self.replaced is not None else None
        return WriteOutcome("updated" if self.replaced is not None else "added", self.document_id,
                            old if old != stored_file else None)


class StoreTables:
    """The operations over the shared tables, for one store (its dialect, caches and transactions)."""

    def __init__(self, dialect: Dialect, caches: StateCaches,
                 transaction: Callable[[str], AbstractContextManager[Any]]) -> None:
        self.dialect = dialect
        self.caches = caches  # the store's caches per state (and its way to read, `caches.read`)
        self.rows, self.one = caches.rows, caches.one
        self.transaction = transaction  # the store's write transaction (takes the counter it bumps)

    # --- state ---------------------------------------------------------------------------------------------
    def state_text(self, key: str) -> str | None:
        row = self.one(f"SELECT value FROM state WHERE key = {self.dialect.mark}", (key,))
        return str(row[0]) if row else None

    def state_record(self, key: str) -> dict[str, object] | None:
        text = self.state_text(key)
        return json.loads(text) if text is not None else None

    def state_keys(self) -> dict[str, str]:
        return {str(r[0]): str(r[1]) for r in self.rows("SELECT key, value FROM state") if r[0] not in STORE_OWN_STATE}

    def set_state(self, conn: Any, key: str, value: str) -> None:
        m = self.dialect.mark
        conn.execute(f"INSERT INTO state (key, value) VALUES ({m}, {m}) ON CONFLICT (key) DO UPDATE "
                     f"SET value = excluded.value", (key, value))

    # --- documents -----------------------------------------------------------------------------------------
    def select_documents(self, where: str = "1 = 1", params: Sequence[object] = ()) -> list[DocumentRecord]:
        return [DocumentRecord.from_row(dict(zip(SELECTED, r))) for r in self._document_rows(where, params)]

    def _document_rows(self, where: str, params: Sequence[object]) -> list[Any]:
        cols = ", ".join(f"d.{c}" for c in DOCUMENT_COLUMNS)
        return self.rows(f"SELECT {cols}, (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id), d.quality, "
                         f"({CURRENT_CURATION}) FROM documents d WHERE {where} ORDER BY {DOCUMENT_ORDER}", params)

    def documents(self, filters: Filters | None) -> list[DocumentRecord]:
        return self.select_documents(*self.caches.filter_sql(filters))

    def documents_by_id(self, ids: list[str]) -> dict[str, DocumentRecord]:
        def read(wanted: list[str]) -> dict[str, Sequence[object]]:
            out: dict[str, Sequence[object]] = {}
            for start in range(0, len(wanted), BATCH):
                part = wanted[start:start + BATCH]
                out.update((r[0], r) for r in self._document_rows(f"d.id IN ({self.dialect.marks(len(part))})", part))
            return out

        rows = self.caches.document_rows(ids, read)
        return {i: DocumentRecord.from_row(dict(zip(SELECTED, rows[i]))) for i in dict.fromkeys(ids) if i in rows}

    def document(self, document_id: str) -> DocumentRecord:
        found = self.select_documents(f"d.id = {self.dialect.mark}", (document_id,))
        if not found:
            raise NotFound(f"no document {document_id!r} in this index (see `cwg documents`)")
        return found[0]

    def document_by(self, column: str, value: str) -> DocumentRecord | None:
        found = self.select_documents(f"d.{column} = {self.dialect.mark}", (value,))
        return found[0] if found else None

    def document_text(self, document_id: str) -> str:
        row = self.one(f"SELECT text FROM documents WHERE id = {self.dialect.mark}", (document_id,))
        if row is None:
            raise NotFound(f"no document {document_id!r} in this index")
        return str(row[0])

    def count(self, table: str) -> int:
        return int(self.one(f"SELECT COUNT(*) FROM {table}")[0])

    def document_values(self, field: str, filters: Filters | None) -> list[tuple[str, str | None]]:
        if field not in DOCUMENT_COLUMNS:
            raise ValueError(f"unknown document field {field!r}")
        where, params = self.caches.filter_sql(filters)
        return [(str(r[0]), r[1]) for r in self.rows(f"SELECT d.id, d.{field} FROM documents d WHERE {where}", params)]

    def stored_files(self) -> set[str]:
        return {str(r[0]) for r in self.rows("SELECT stored_file FROM documents WHERE stored_file IS NOT NULL")}

    # --- writing documents -----------------------------------------------------------------------------------
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
        existing = self.document_by("path", target.key) if target.key is not None else None
        if existing is not None:
            same = existing.file_hash == file_hash and merged_entry(existing.entry, entry) == existing.entry
            return (existing, None) if same else (None, existing)
        twin = self.document_by("file_hash", file_hash)
        if twin is not None and (target.key is None or not entry or twin.entry == entry):
            return twin, None
        return None, None

    def plan_write(self, target: DocumentTarget, file_hash: str, entry: dict[str, str]) -> WritePlan:
        """Inside the write transaction: the document a write goes to (`AlreadyIndexed` when none must change)."""
        indexed, existing = self.indexed_already(target, file_hash, entry)
        if indexed is not None:
            raise AlreadyIndexed(indexed.id)
        if existing is not None:
            return WritePlan(existing.id, existing.path, merged_entry(existing.entry, entry), existing)
        doc_id, n = target.slug, 1
        while self.one(f"SELECT 1 FROM documents WHERE id = {self.dialect.mark}", (doc_id,)):
            n += 1
            doc_id = f"{target.slug}-{n}"
        return WritePlan(doc_id, target.key or f"{target.new_key_prefix}{doc_id}", entry, None)

    def insert_document_row(self, conn: Any, plan: WritePlan, stored_file: str | None,
                            prepared: PreparedDocument) -> None:
        """The document's own row and its quality signals."""
        m = prepared.meta
        conn.execute(
            f"INSERT INTO documents ({', '.join(DOCUMENT_COLUMNS)}, text) VALUES "
            f"({self.dialect.marks(len(DOCUMENT_COLUMNS) + 1)})",
            (plan.document_id, plan.key, prepared.file_name, prepared.file_hash, stored_file, prepared.format,
             m.title, m.source, m.country, m.region, m.doc_type, m.actor_type, m.meeting, m.date, m.language,
             prepared.page_count, json.dumps(m.extra, ensure_ascii=False),
             json.dumps(prepared.warnings, ensure_ascii=False), json.dumps(plan.entry, ensure_ascii=False),
             datetime.now(timezone.utc).isoformat(timespec="seconds"), m.collection, prepared.text))
        if prepared.quality is not None:
            self._write_quality(conn, plan.document_id, prepared.quality)

    def set_collection(self, document_ids: list[str], collection: str) -> list[str]:
        if collection not in COLLECTIONS:
            raise ValueError(f"collection {collection!r} is not one of {', '.join(COLLECTIONS)}")
        moved, m = [], self.dialect.mark
        with self.transaction("generation") as conn:
            for document_id in document_ids:
                record = self.document(document_id)  # NotFound rolls back
                if record.collection == collection and record.entry.get("collection") == collection:
                    continue
                entry = json.dumps({**record.entry, "collection": collection}, ensure_ascii=False)
                conn.execute(f"UPDATE documents SET collection = {m}, entry = {m} WHERE id = {m}",
                             (collection, entry, document_id))
                moved.append(document_id)
        return moved

    def set_sources(self, changes: dict[str, tuple[str, str]]) -> list[str]:
        """Give documents a new (source, actor type), in one transaction; returns the ids changed (a document
        that is gone, or holds these already, is left out)."""
        done, m = [], self.dialect.mark
        with self.transaction("generation") as conn:
            for document_id, (source, actor_type) in changes.items():
                source = one_line(source)
                cursor = conn.execute(f"UPDATE documents SET source = {m}, actor_type = {m} WHERE id = {m} AND "
                                      f"(source != {m} OR actor_type != {m})",
                                      (source, actor_type, document_id, source, actor_type))
                if cursor.rowcount:
                    done.append(document_id)
        return done

    def backfill_actor_types(self, read_only: tuple[type[BaseException], ...]) -> None:
        """Documents written before `actor_type` existed get it from their source (once)."""
        rows = self.rows("SELECT id, source, country FROM documents WHERE actor_type = '' AND source != ''")
        if not rows:
            return
        from ingest.actors import infer_actor_type

        m = self.dialect.mark
        try:
            with self.transaction("generation") as conn:
                conn.cursor().executemany(f"UPDATE documents SET actor_type = {m} WHERE id = {m} AND actor_type = ''",
                                          [(infer_actor_type(r[1], r[2]), r[0]) for r in rows])
        except read_only:
            pass  # a read-only index: the next writer fills them in

    # --- quality and curation ---------------------------------------------------------------------------------
    def _write_quality(self, conn: Any, doc_id: str, profile: QualityProfile) -> None:
        m = self.dialect.mark
        conn.execute(f"UPDATE documents SET quality = {m} WHERE id = {m}", (profile.score, doc_id))
        conn.execute(f"DELETE FROM quality_signals WHERE document_id = {m}", (doc_id,))
        conn.cursor().executemany(
            f"INSERT INTO quality_signals (document_id, signal, found, evidence, page, char_start, char_end) "
            f"VALUES ({self.dialect.marks(7)})",
            [(doc_id, r.id, bool(r.found), r.evidence.text if r.evidence else None,
              r.evidence.page if r.evidence else None, r.evidence.char_start if r.evidence else None,
              r.evidence.char_end if r.evidence else None) for r in profile.signals])

    def write_quality(self, profiles: dict[str, QualityProfile], path: str | None) -> int:
        with self.transaction("marks") as conn:
            if path is not None:
                self.set_state(conn, "quality_signals_path", path)
            written = 0
            for doc_id, profile in profiles.items():
                if conn.execute(f"SELECT 1 FROM documents WHERE id = {self.dialect.mark}", (doc_id,)).fetchone():
                    self._write_quality(conn, doc_id, profile)
                    written += 1
        return written

    def quality_signals(self, document_id: str) -> list[dict[str, object]]:
        rows = self.rows(f"SELECT signal, found, evidence, page, char_start, char_end FROM quality_signals "
                         f"WHERE document_id = {self.dialect.mark}", (document_id,))
        return [{"id": r[0], "found": bool(r[1]), "evidence": r[2], "page": r[3], "char_start": r[4],
                 "char_end": r[5]} for r in rows]

    def quality_inputs(self, only_missing: bool) -> Iterator[tuple[str, str, list[tuple[int, int, int | None]]]]:
        where = "WHERE d.quality IS NULL" if only_missing else ""
        m = self.dialect.mark
        for (doc_id,) in self.rows(f"SELECT d.id FROM documents d {where} ORDER BY d.id"):
            row = self.one(f"SELECT text FROM documents WHERE id = {m}", (doc_id,))
            if row is None:
                continue
            spans = [(int(r[0]), int(r[1]), r[2]) for r in self.rows(
                f"SELECT char_start, char_end, page_start FROM chunks WHERE document_id = {m} ORDER BY ordinal",
                (doc_id,))]
            yield str(doc_id), str(row[0]), spans

    def backfill_quality(self, read_only: tuple[type[BaseException], ...]) -> None:
        """Documents written before quality profiles existed get theirs (once; text only, no model)."""
        try:
            missing = list(self.quality_inputs(only_missing=True))
            if missing:
                self.write_quality({doc_id: assess(text, spans) for doc_id, text, spans in missing}, None)
        except read_only:
            pass  # a read-only index: the next writer fills them in

    def curate(self, document_id: str, status: str, reason: str, curator: str) -> dict[str, str]:
        if status not in CURATION_STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(CURATION_STATUSES)}")
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        reason, curator = one_line(reason), one_line(curator)
        with self.transaction("marks") as conn:
            if conn.execute(f"SELECT 1 FROM documents WHERE id = {self.dialect.mark}", (document_id,)).fetchone() is None:
                raise NotFound(f"no document {document_id!r} in this index (see `cwg documents`)")
            conn.execute(f"INSERT INTO curation (document_id, status, reason, curator, at) "
                         f"VALUES ({self.dialect.marks(5)})", (document_id, status, reason, curator, at))
        return {"document_id": document_id, "status": status, "reason": reason, "by": curator, "at": at}

    def curation_history(self, document_id: str | None) -> list[dict[str, str]]:
        where, params = (f"WHERE document_id = {self.dialect.mark}", (document_id,)) if document_id else ("", ())
        rows = self.rows(f"SELECT document_id, status, reason, curator, at FROM curation {where} ORDER BY seq", params)
        return [{"document_id": r[0], "status": r[1], "reason": r[2], "by": r[3], "at": r[4]} for r in rows]

    def import_curation(self, events: list[dict[str, str]]) -> int:
        added, m = 0, self.dialect.mark
        with self.transaction("marks") as conn:
            for e in events:
                key = (e["document_id"], e["status"], e["reason"], e["by"], e["at"])
                if conn.execute(f"SELECT 1 FROM curation WHERE document_id = {m} AND status = {m} AND reason = {m} "
                                f"AND curator = {m} AND at = {m}", key).fetchone():
                    continue
                conn.execute(f"INSERT INTO curation (document_id, status, reason, curator, at) "
                             f"VALUES ({self.dialect.marks(5)})", key)
                added += 1
        return added

    # --- labels -----------------------------------------------------------------------------------------------
    def has_labels(self) -> bool:
        return self.one("SELECT 1 FROM labels LIMIT 1") is not None

    def replace_labels(self, labels: list[tuple[str, str, str, float, int | None]], state_key: str,
                       state: dict[str, object]) -> None:
        with self.transaction("generation") as conn:
            conn.execute("DELETE FROM labels")
            conn.cursor().executemany(f"INSERT INTO labels (document_id, facet, label, score, evidence_chunk_id) "
                                      f"VALUES ({self.dialect.marks(5)})", labels)
            self.set_state(conn, state_key, json.dumps(state, ensure_ascii=False))

    def labels_of(self, document_ids: list[str]) -> dict[str, set[tuple[str, str]]]:
        out: dict[str, set[tuple[str, str]]] = {d: set() for d in document_ids}
        for start in range(0, len(document_ids), BATCH):
            part = document_ids[start:start + BATCH]
            for doc_id, facet, label in self.rows(f"SELECT document_id, facet, label FROM labels WHERE document_id "
                                                  f"IN ({self.dialect.marks(len(part))})", part):
                out[doc_id].add((facet, label))
        return out

    def document_labels(self, document_id: str) -> list[dict[str, object]]:
        rows = self.rows(f"SELECT facet, label, score, evidence_chunk_id FROM labels WHERE document_id = "
                         f"{self.dialect.mark} ORDER BY facet, score DESC", (document_id,))
        return [{"facet": r[0], "label": r[1], "score": round(float(r[2]), 4), "evidence_chunk_id": r[3]}
                for r in rows]

    def facet_labels(self, facet: str, filters: Filters | None) -> list[tuple[str, str]]:
        where, params = self.caches.filter_sql(filters)
        rows = self.rows(f"SELECT l.document_id, l.label FROM labels l JOIN documents d ON d.id = l.document_id "
                         f"WHERE l.facet = {self.dialect.mark} AND {where}", [facet, *params])
        return [(str(r[0]), str(r[1])) for r in rows]

    # --- chunks -----------------------------------------------------------------------------------------------
    def chunks_of(self, document_id: str) -> list[ChunkRecord]:
        rows = self.rows(f"SELECT {', '.join(CHUNK_COLUMNS)} FROM chunks WHERE document_id = {self.dialect.mark} "
                         f"ORDER BY ordinal", (document_id,))
        return [ChunkRecord.from_row(r) for r in rows]

    def chunks_by_id(self, ids: list[int]) -> dict[int, ChunkRecord]:
        out: dict[int, ChunkRecord] = {}
        for start in range(0, len(ids), BATCH):
            part = [int(i) for i in ids[start:start + BATCH]]
            rows = self.rows(f"SELECT {', '.join(CHUNK_COLUMNS)} FROM chunks WHERE id IN "
                             f"({self.dialect.marks(len(part))})", part)
            out.update((int(r[0]), ChunkRecord.from_row(r)) for r in rows)
        return out

    def chunk_texts(self) -> list[tuple[int, str, str]]:
        rows = self.rows("SELECT id, document_id, text FROM chunks ORDER BY document_id, ordinal")
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def chunk_document_paths(self) -> dict[int, str]:
        rows = self.rows("SELECT c.id, d.path FROM chunks c JOIN documents d ON d.id = c.document_id")
        return {int(r[0]): str(r[1]) for r in rows}

    def sample_chunk_texts(self, limit: int) -> list[str]:
        step = max(1, self.count("chunks") // max(limit, 1))
        m = self.dialect.mark
        rows = self.rows(f"SELECT text FROM chunks WHERE {self.dialect.mod('id', m)} = 0 ORDER BY id LIMIT {m}",
                         (step, limit))
        return [str(r[0]) for r in rows]

    # --- the log of vector changes (both stores' triggers write it alike) -------------------------------------
    def vector_change(self, seq: int) -> tuple[str, int] | None:
        row = self.one(f"SELECT space, chunk_id FROM vector_changes WHERE seq = {self.dialect.mark}", (seq,))
        return (str(row[0]), int(row[1])) if row else None

    def changed_vector_ids(self, space: str, after: int) -> np.ndarray:
        m = self.dialect.mark
        rows = self.rows(f"SELECT DISTINCT chunk_id FROM vector_changes WHERE seq > {m} AND space = {m}", (after, space))
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        ids.sort()
        return ids

    def prune_vector_changes(self, upto: int) -> None:
        with self.transaction("vector_log") as conn:
            if upto > self.caches.counter("vector_log_floor"):
                conn.execute(f"DELETE FROM vector_changes WHERE seq <= {self.dialect.mark}", (upto,))
                self.set_state(conn, "vector_log_floor", str(upto))


def export_rows(conn: Any, table: str, batch: int) -> Iterator[list[tuple[object, ...]]]:
    """The rows of one of `COPIED_TABLES` through `conn` (a snapshot's), `batch` at a time; JSON as text."""
    cursor = conn.execute(f"SELECT {', '.join(COPIED_TABLES[table])} FROM {table} ORDER BY {EXPORT_ORDER[table]}")
    while rows := cursor.fetchmany(batch):
        yield [tuple(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in r) for r in rows]
