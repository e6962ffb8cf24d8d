"""The terms FTS5 indexes, and FTS5's BM25, for a store that is not SQLite (issue 13: PostgreSQL).

The embedded store ranks lexical candidates with FTS5's `bm25()` over three columns (title, section,
text) tokenized by `porter unicode61 remove_diacritics 2`. The PostgreSQL store must rank the same way
(hybrid SciFact within 0.01), and PostgreSQL's `ts_rank` is not BM25. So:
- `FtsTerms` runs FTS5's own tokenizer (an in-memory FTS5 table read back through `fts5vocab`): the terms
  and per-column counts a PostgreSQL row stores are exactly those the embedded store indexes;
- `bm25` is FTS5's formula (fts5_aux.c) over those counts: idf = ln((N - n + 0.5) / (n + 0.5)), at least
  1e-6; per term the column-weighted frequency w; score = Σ idf · w (k1 + 1) / (w + k1 (1 - b + b D / avgD))
  with D and avgD counted over all columns, k1 = 1.2, b = 0.75.
tests/index/test_fts_terms.py holds both to FTS5 on real text.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TOKENIZE = "porter unicode61 remove_diacritics 2"  # as the embedded store's chunks_fts (index/schema.py)
COLUMNS = ("title", "section", "text")
K1, B = 1.2, 0.75


@dataclass(frozen=True)
class RowTerms:
    """One row's terms: per term its count in each column, and the row's token count per column."""

    counts: dict[str, tuple[int, int, int]]
    lengths: tuple[int, int, int]


class FtsTerms:
    """FTS5's tokenizer, as a function of text (thread-safe; one in-memory database)."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._conn.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(COLUMNS)}, tokenize = '{TOKENIZE}')")
        self._conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        self._lock = threading.Lock()
        self._words: dict[str, list[str]] = {}  # query word → its terms (see word_terms)

    def row(self, title: str, section: str, text: str) -> RowTerms:
        with self._lock:
            self._conn.execute("INSERT INTO t (rowid, title, section, text) VALUES (1, ?, ?, ?)",
                               (title, section, text))
            try:
                found = self._conn.execute("SELECT term, col, count(*) FROM v GROUP BY term, col").fetchall()
            finally:
                self._conn.execute("DELETE FROM t")
        counts: dict[str, list[int]] = {}
        lengths = [0, 0, 0]
        for term, column, n in found:
            at = COLUMNS.index(column)
            counts.setdefault(term, [0, 0, 0])[at] += n
            lengths[at] += n
        return RowTerms({term: (c[0], c[1], c[2]) for term, c in counts.items()}, (lengths[0], lengths[1], lengths[2]))

    def terms(self, text: str) -> list[str]:
        """The distinct terms of `text` in the order they first occur (a query's terms)."""
        with self._lock:
            self._conn.execute("INSERT INTO t (rowid, title, section, text) VALUES (1, '', '', ?)", (text,))
            try:
                found = self._conn.execute("SELECT term FROM v ORDER BY offset").fetchall()
            finally:
                self._conn.execute("DELETE FROM t")
        return list(dict.fromkeys(r[0] for r in found))

    def word_terms(self, word: str) -> list[str]:
        """The terms FTS5 indexes for one query word (a word the tokenizer splits gives several), kept:
        running the tokenizer costs ~0.5 ms a word and query words recur."""
        found = self._words.get(word)
        if found is None:
            found = self.terms(word)
            if len(self._words) > 100_000:
                self._words.clear()
            self._words[word] = found
        return found


def bm25(term_counts: Sequence[np.ndarray], row_hits: Sequence[int], row_lengths: np.ndarray, rows: int,
         average_length: float, weights: tuple[float, float, float]) -> np.ndarray:
    """FTS5's BM25 (higher is better) of candidate rows for the terms of a query.

    term_counts[i]: (rows, 3) counts of term i in each column of each candidate row; row_hits[i]: the
    number of rows of the whole index holding term i; row_lengths: (rows,) tokens of each candidate row,
    all columns; rows: rows in the index; average_length: tokens per row over the index, all columns."""
    w = np.asarray(weights, dtype=np.float64)
    score = np.zeros(len(row_lengths), dtype=np.float64)
    norm = K1 * (1 - B + B * np.asarray(row_lengths, dtype=np.float64) / max(average_length, 1e-9))
    for counts, hits in zip(term_counts, row_hits):
        idf = max(np.log((rows - hits + 0.5) / (hits + 0.5)), 1e-6)
        freq = np.asarray(counts, dtype=np.float64) @ w
        score += idf * freq * (K1 + 1) / (freq + norm)
    return score


def fts_expression(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression: each term quoted (so `"`, `*`, `-`, `NEAR`, `:` are just text), ORed."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
