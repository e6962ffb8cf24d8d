"""The SQLite store's connections: one writer, a reader per thread, snapshots (index/store.py holds them).

WAL mode: readers neither wait for the writer nor for each other, and see a write entirely or not at all.
Writes take turns (`BEGIN IMMEDIATE`, and a lock in this process) and each bumps a counter in `state`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.fts_postings import VOCABULARY
from index.schema import migrate


class SqliteConnections:
    """The main connection (writes, and reads outside any snapshot) and each thread's read connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._readers: list[sqlite3.Connection] = []
        self._lock = threading.RLock()  # one writer at a time on the main connection
        self._local = threading.local()  # per thread: its read connection, snapshot depth, whether it writes
        self._main = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
        self._main.row_factory = sqlite3.Row
        # 16 KiB pages (set when the file is created): a vector row (1.5 KB MiniLM, 2 KB USE) then fits in
        # its page. With 4 KiB pages SQLite moved each row's tail to an overflow page of its own: 4.7 KB
        # stored per MiniLM vector instead of 1.8 KB (bench/index_size.py).
        self._main.execute("PRAGMA page_size = 16384")
        self._main.execute("PRAGMA journal_mode = WAL")
        self._main.execute("PRAGMA synchronous = NORMAL")
        self._main.execute("PRAGMA foreign_keys = ON")
        migrate(self._main)
        self._main.execute(VOCABULARY)  # FTS5's postings as rows (temp: nothing stored in the file)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection: its read connection inside `snapshot()`, else the main one
        (always the main one inside `transaction()`: what a write reads must be what it writes over)."""
        if getattr(self._local, "depth", 0) and not self.writing():
            return self._local.reader  # type: ignore[no-any-return]
        return self._main

    def writing(self) -> bool:
        return bool(getattr(self._local, "writing", False))

    def memo(self) -> dict[object, object] | None:
        """What this thread's snapshot has read that cannot change inside it (its state's counters, …); None
        outside a snapshot or inside a write transaction."""
        if getattr(self._local, "depth", 0) and not self.writing():
            return getattr(self._local, "memo", None)  # type: ignore[no-any-return]
        return None

    def close(self) -> None:
        with self._lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
            self._main.close()

    @contextmanager
    def transaction(self, counter: str = "generation") -> Iterator[sqlite3.Connection]:
        """One write transaction (`BEGIN IMMEDIATE`: writers take turns) bumping `counter` (see Store)."""
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
        already holds, it joins the open one.
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
        local.depth, local.memo = 1, {}
        try:
            yield reader
        finally:
            local.depth, local.memo = 0, None
            if reader.in_transaction:
                reader.execute("COMMIT")

    def _reader(self) -> sqlite3.Connection:
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
            reader.row_factory = sqlite3.Row
            reader.execute(VOCABULARY)  # before query_only, which forbids even temp tables
            reader.execute("PRAGMA query_only = ON")
            with self._lock:
                self._readers.append(reader)
            self._local.reader = reader
        return reader
