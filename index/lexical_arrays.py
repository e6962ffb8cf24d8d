"""Lexical scoring over arrays: FTS5's BM25 computed with numpy over postings kept in memory (issue 26).

FTS5 scores a query row by row (~2 µs a row), which is why lexical search scores only a query's rarest
words beyond a row budget (search/retrieval/lexical.py). FTS5's BM25 (index/fts_terms.py) is a sum over the
query's words of one term's *impact* in a row, idf · f (k1 + 1) / (f + k1 (1 - b + b D / avgD)) with f the
column-weighted count; so each term's postings are read from the store (`Store.lexical_postings`: FTS5's own
through fts5vocab, or PostgreSQL's lexical_terms) and kept as (chunk ids, impacts) for one generation of the
index and one set of column weights. A query adds its terms' impacts up by chunk (`np.bincount`), masks the
chunks a filter drops, and picks its top k with `argpartition`: the same scores as FTS5 (to float32), at a
few ns a posting. Terms are read as queries ask for them (the first query of a word after a write reads its
postings, ~8 µs a row holding it) and kept until the generation changes or `max_postings` are held.
"""

from __future__ import annotations

import threading

import numpy as np

from index.fts_terms import K1, B, FtsTerms
from index.records import TermPostings
from index.store_api import Matches, Store

MAX_POSTINGS = 20_000_000  # held at most (12 bytes each: an int64 id and a float32 impact; ~240 MB)


def impacts(postings: TermPostings, rows: int, tokens: int, weights: tuple[float, float, float]) -> np.ndarray:
    """FTS5's BM25 contribution of one term to each row holding it (float32): idf as FTS5 floors it (1e-6),
    the row's length over all columns against the average, the term's counts weighted by column."""
    hits = len(postings.ids)
    idf = max(float(np.log((rows - hits + 0.5) / (hits + 0.5))), 1e-6)
    freq = postings.counts.astype(np.float64) @ np.asarray(weights, dtype=np.float64)
    norm = K1 * (1 - B + B * postings.lengths.astype(np.float64) / max(tokens / max(rows, 1), 1e-9))
    return (idf * freq * (K1 + 1) / (freq + norm)).astype(np.float32)


class LexicalArrays:
    """One store's term → (chunk ids, BM25 impacts), for one (generation, column weights) at a time."""

    def __init__(self, max_postings: int = MAX_POSTINGS) -> None:
        self.max_postings = max_postings
        self._lock = threading.Lock()
        self._tokenizer = FtsTerms()
        self._key: tuple[int, tuple[float, ...]] | None = None
        self._terms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._held = 0  # postings held

    def memory_bytes(self) -> int:
        with self._lock:
            return sum(ids.nbytes + scores.nbytes for ids, scores in self._terms.values())

    def index_terms(self, words: list[str]) -> list[str] | None:
        """The index term of each query word, repeats kept (FTS5 scores each phrase of the query, a stem
        asked twice counts twice); None when a word is not one term (FTS5 matches it as a phrase)."""
        terms = []
        for word in words:
            found = self._tokenizer.word_terms(word)
            if len(found) != 1:
                return None
            terms.append(found[0])
        return terms

    def search(self, store: Store, words: list[str], weights: tuple[float, float, float], k: int,
               allowed: np.ndarray | None = None) -> Matches | None:
        """Top-k (chunk ids, BM25 scores; higher is better, ties by id) of chunks holding any of the query
        `words`, among `allowed` ids (ascending) when given; None when a word is a phrase (see index_terms)."""
        terms = self.index_terms(words)
        if terms is None:
            return None
        held = self._postings(store, terms, weights)
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids = np.concatenate([held[t][0] for t in terms])
        if not len(ids) or k <= 0:
            return empty
        size = int(ids.max()) + 1
        scores = np.bincount(ids, weights=np.concatenate([held[t][1] for t in terms]), minlength=size)
        present = np.zeros(size, dtype=bool)
        present[ids] = True  # a row holding a term of weight 0 is a match all the same
        if allowed is not None:
            keep = np.zeros(size, dtype=bool)
            keep[allowed[allowed < size]] = True
            present &= keep
        found = np.flatnonzero(present)
        best = scores[found]
        if len(found) > k:
            top = np.argpartition(-best, k - 1)[:k]
            found, best = found[top], best[top]
        order = np.lexsort((found, -best))
        return found[order].astype(np.int64), best[order].astype(np.float32)

    def _postings(self, store: Store, terms: list[str], weights: tuple[float, float, float]
                  ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The terms' (ids, impacts) in the store's current state, reading those not held."""
        with store.snapshot():  # the generation and the postings read in one state
            key = (store.generation(), tuple(float(w) for w in weights))
            with self._lock:
                if self._key != key:
                    self._key, self._terms, self._held = key, {}, 0
                held = {t: self._terms[t] for t in terms if t in self._terms}
            missing = [t for t in dict.fromkeys(terms) if t not in held]
            if not missing:
                return held
            read = store.lexical_postings(missing)
        fresh = {t: (p.ids, impacts(p, read.rows, read.tokens, weights)) for t, p in read.terms.items()}
        with self._lock:
            if self._key == key:
                if self._held + sum(len(ids) for ids, _ in fresh.values()) > self.max_postings:
                    self._terms, self._held = {}, 0
                self._held += sum(len(ids) for t, (ids, _) in fresh.items() if t not in self._terms)
                self._terms.update(fresh)
        return held | fresh
