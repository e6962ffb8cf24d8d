"""The embedded store's lexical postings read back from FTS5, for scoring over arrays (issue 26).

FTS5 keeps its postings in its own b-tree; an `fts5vocab` table of type 'instance' reads them one token
occurrence a row, and looked up by term it reads that term's list only (~50 ms for a word in every one of
6,400 chunks). Each connection has that table in its temp schema (index/sqlite_connections.py). The row
lengths BM25 reads are FTS5's `chunks_fts_docsize`: one varint per column per row, decoded here with numpy and
kept per generation (all rows at once: a query's terms share most of their rows).
"""

from __future__ import annotations

import sqlite3
import threading

import numpy as np

from index.records import LexicalPostings, TermPostings

VOCABULARY = "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_fts_instances USING fts5vocab(main, chunks_fts, 'instance')"
COLUMNS = 3  # title, section, text


def varint_sums(blobs: list[bytes], per_blob: int) -> np.ndarray:
    """The sum of each blob's `per_blob` SQLite varints (big-endian, 7 bits a byte, the high bit set on all
    but a varint's last byte; a token count never needs the 9-byte form)."""
    data = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    if not len(data):
        return np.zeros(len(blobs), dtype=np.int64)
    ends = np.flatnonzero(data < 0x80)
    if len(ends) != per_blob * len(blobs) or ends[-1] != len(data) - 1:
        raise ValueError("chunks_fts_docsize does not hold one varint per column per row")
    starts = np.concatenate(([0], ends[:-1] + 1))
    shift = 7 * (np.repeat(ends, ends - starts + 1) - np.arange(len(data)))  # 7 bits per byte after it
    values = np.add.reduceat((data & 0x7F).astype(np.int64) << shift, starts)
    return values.reshape(-1, per_blob).sum(axis=1)


class FtsPostings:
    """One SQLite store's reads of FTS5's postings, with the row lengths of one generation kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lengths: tuple[int, np.ndarray, np.ndarray] | None = None  # (generation, row ids, lengths)

    def read(self, conn: sqlite3.Connection, generation: int, terms: list[str], *, keep: bool = True
             ) -> LexicalPostings:
        """Call inside a snapshot read at `generation`; `keep`: the row lengths may be kept for others (not
        inside a write transaction, which reads what it has not committed)."""
        ids, lengths = self._row_lengths(conn, generation, keep)
        cursor = conn.cursor()
        cursor.row_factory = None
        found = {}
        for term in dict.fromkeys(terms):
            rows = cursor.execute(
                "SELECT doc, SUM(col = 'title'), SUM(col = 'section'), SUM(col = 'text') "
                "FROM temp.chunks_fts_instances WHERE term = ? GROUP BY doc ORDER BY doc", (term,)).fetchall()
            table = np.array(rows, dtype=np.int64).reshape(-1, 1 + COLUMNS)
            at = np.minimum(np.searchsorted(ids, table[:, 0]), max(len(ids) - 1, 0))
            found[term] = TermPostings(table[:, 0].copy(), table[:, 1:].astype(np.int32),
                                       lengths[at] if len(ids) else np.zeros(0, dtype=np.int32))
        return LexicalPostings(len(ids), int(lengths.sum()), found)

    def _row_lengths(self, conn: sqlite3.Connection, generation: int, keep: bool) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            cached = self._lengths
        if cached is not None and cached[0] == generation:
            return cached[1], cached[2]
        cursor = conn.cursor()
        cursor.row_factory = None
        rows = cursor.execute("SELECT id, sz FROM chunks_fts_docsize ORDER BY id").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        lengths = varint_sums([r[1] for r in rows], COLUMNS).astype(np.int32)
        if keep:
            with self._lock:
                self._lengths = (generation, ids, lengths)
        return ids, lengths
