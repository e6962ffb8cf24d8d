"""Vectors of texts that are not stored passages, kept by content beside the store.

`similar` reads a short contribution sentence by sentence, and those sentences are not the stored
passages: without this cache each request encoded them again (a third of a busy server's CPU,
bench/load_test.py). Vectors are keyed by vector space, model and a hash of the text, so a text
encoded once is never encoded again by any process, whatever changes around it. Like the FAISS files
it is derived: deleting it loses nothing, a damaged one is set aside and refilled, and a read-only
index folder simply works without it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders import Embedder

CACHE_NAME = "text-vectors.sqlite"


def text_key(model_id: str, text: str) -> bytes:
    return hashlib.blake2b(f"{model_id}\x00{text}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


class TextVectorCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._broken = False

    def _open(self) -> sqlite3.Connection | None:
        if self._conn is None and not self._broken:
            for attempt in (1, 2):
                try:
                    conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=10)
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute("PRAGMA synchronous = NORMAL")
                    conn.execute("CREATE TABLE IF NOT EXISTS text_vectors (key BLOB PRIMARY KEY, "
                                 "vector BLOB NOT NULL) WITHOUT ROWID")
                    self._conn = conn
                    break
                except sqlite3.DatabaseError:
                    # a damaged file is set aside and the cache starts afresh; a read-only folder works without
                    if attempt == 2 or not self._set_aside():
                        self._broken = True
                        break
        return self._conn

    def _set_aside(self) -> bool:
        try:
            if self.path.exists() and not _is_sqlite(self.path):
                self.path.replace(self.path.with_name(self.path.name + ".damaged"))
                return True
        except OSError:
            pass
        return False

    def encode(self, embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts` from `embedder`, encoding only those the cache does not hold, and keeping them."""
        model_id, dimension = embedder.model_id, embedder.dimension
        keys = [text_key(model_id, t) for t in texts]
        out = np.zeros((len(texts), dimension), dtype=np.float32)
        found: set[int] = set()
        with self._lock:
            conn = self._open()
            if conn is not None:
                try:
                    rows: dict[bytes, bytes] = {}
                    for start in range(0, len(keys), 500):
                        part = keys[start:start + 500]
                        rows.update(conn.execute(f"SELECT key, vector FROM text_vectors WHERE key IN "
                                                 f"({','.join('?' * len(part))})", part).fetchall())
                    for i, key in enumerate(keys):
                        blob = rows.get(key)
                        if blob is not None and len(blob) == 4 * dimension:
                            out[i] = np.frombuffer(blob, dtype=np.float32)
                            found.add(i)
                except sqlite3.DatabaseError:
                    self._close_broken()
        missing = [i for i in range(len(texts)) if i not in found]
        if missing:
            vectors = embedder.encode([texts[i] for i in missing])
            out[missing] = vectors
            with self._lock:
                conn = self._open()
                if conn is not None:
                    try:
                        conn.executemany("INSERT OR REPLACE INTO text_vectors (key, vector) VALUES (?, ?)",
                                         [(keys[i], np.asarray(v, dtype=np.float32).tobytes())
                                          for i, v in zip(missing, vectors)])
                    except sqlite3.DatabaseError:
                        self._close_broken()
        return out

    def _close_broken(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._broken = True

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    return head == b"SQLite format 3\x00" or not head  # an empty file is a new database
