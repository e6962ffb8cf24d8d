"""Lexical retrieval: FTS5's BM25, with a query language that cannot fail.

Scored over arrays in memory when the caller has them (index/lexical_arrays.py: every word, any number of
rows), else by the store row by row within a row budget (FTS5's `bm25()`, or its formula in SQL on PostgreSQL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import regex

from index.filters import Filters
from index.lexical_arrays import LexicalArrays
from index.store_api import Store
from ingest.textclean import normalize_text

MAX_TERMS = 64
# BM25 is computed row by row (~2 µs each): a query whose words together match more rows than this
# is scored on its rarest words only, up to this many rows (the common ones weigh little in BM25's idf
# and cost the most). Below it (SciFact, any index under ~50k chunks) the query is scored exactly.
# Measured in bench/query_latency.py.
ROW_BUDGET = 20_000
ITERATE_COST = 0.1  # walking past a matching row that a filter drops, against scoring a row
# A filter keeping at least this share of chunks is applied after scoring (a set lookup over 250k ids
# in SQL cost 86 ms at 1M chunks; scoring within the budget and dropping the others costs ~12 ms).
POST_FILTER_SHARE = 0.1
# Field weights for (title, section, text); tuned on SciFact train (bench/tune_fusion.py).
FIELD_WEIGHTS = (1.5, 1.0, 1.0)
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have how i in into is it its of on or that the their "
    "there these this those to was were what when where which who why will with do does did can "
    "could should would about any all also than then them they we you your our not no yes if so "
    "le la les de des du un une et en est pour par dans sur au aux que qui ou "
    "el los las del y o por para con una unos que se es al lo "
    "o os as da do das dos e um uma em para com que".split()
)
# a word: letters, digits and the marks that belong to them (an accent typed as a combining mark, the dot
# of a lower-cased "İ", the vowel signs of Devanagari), as FTS5's tokenizer reads document text
_WORD = regex.compile(r"[\p{L}\p{N}\p{M}]+")


def query_terms(query: str, *, normalized: bool = False) -> list[str]:
    """Distinct words of the query, stop words dropped unless nothing else is left. The query is normalised
    as document text is (NFKC: full-width letters, ligatures, decomposed accents; `normalized`: it was already,
    by `engine.read_query`), then lower-cased."""
    words = _WORD.findall((query if normalized else normalize_text(query)).lower())
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w, None)
    terms = list(seen)
    content = [t for t in terms if t not in STOPWORDS]
    return (content or terms)[:MAX_TERMS]


@dataclass(frozen=True)
class TermStats:
    """How many chunks hold each of a query's terms, and how many chunks there are, in one state of the index:
    read once per query (`read`) for the lexical lists and the relevance estimate's idf."""

    rows: dict[str, int]
    chunks: int

    @classmethod
    def read(cls, store: Store, terms: list[str]) -> TermStats:
        return cls(store.fts_row_counts(terms) if terms else {}, store.chunk_count())


def within_budget(terms: list[str], rows: dict[str, int], budget: int, share: float = 1.0) -> list[str]:
    """All `terms` when scoring them fits `budget`, else the rarest terms that fit, in query order; none
    when even the rarest alone does not (a word in that many chunks says little: its idf is low, and the
    dense list ranks them). A matching row costs 1 when scored (the part `share` a filter keeps) and
    ITERATE_COST when only walked past."""
    def cost(term: str) -> float:
        return rows[term] * (ITERATE_COST + share)

    if sum(cost(t) for t in terms) <= budget:
        return terms
    chosen: set[str] = set()
    total = 0.0
    for term in sorted(terms, key=lambda t: rows[t]):
        if total + cost(term) > budget:
            break
        chosen.add(term)
        total += cost(term)
    return [t for t in terms if t in chosen]


def lexical_search(store: Store, query: str, k: int, filters: Filters | None = None,
                   weights: tuple[float, float, float] = FIELD_WEIGHTS, allowed: np.ndarray | None = None,
                   budget: int = ROW_BUDGET, terms: list[str] | None = None,
                   stats: TermStats | None = None, arrays: LexicalArrays | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (chunk ids, BM25 scores; higher is better) among chunks passing `filters`.

    `allowed`: the ids of the chunks passing `filters`, when the caller has them: a set lookup then
    replaces the join to documents (3x faster at 100k chunks), and rows outside it are never scored.
    With more rows to score than `budget`, only the rarest terms are scored (`budget=0`: no limit).
    `terms` and `stats`: the query's terms and their counts, when the caller read them already.
    `arrays`: score over them (no budget; a filter is a mask) unless a word is a phrase to FTS5.
    """
    terms = query_terms(query) if terms is None else terms
    if not terms or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    filtered = filters is not None and not filters.is_empty()
    if arrays is not None:
        mask = None if not filtered or filters is None else (
            allowed if allowed is not None else store.chunk_ids(filters))
        found = arrays.search(store, terms, weights, k, mask)
        if found is not None:
            return found
    share = 1.0  # of the chunks that a filter keeps
    if filtered and allowed is not None:
        share = len(allowed) / max(stats.chunks if stats is not None else store.chunk_count(), 1)
    if budget > 0:  # a broad filter is scored as if there were none (below)
        rows = stats.rows if stats is not None else store.fts_row_counts(terms)
        terms = within_budget(terms, rows, budget, 1.0 if share >= POST_FILTER_SHARE else share)
        if not terms:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    if filtered and allowed is not None and share >= POST_FILTER_SHARE:
        # a broad filter: score the matches as without it (within the budget), then keep the allowed ones;
        # the best 3k/share rows hold ~3k allowed ones
        ids, scores = store.bm25_candidates(terms, weights, int(3 * k / share) + 1)
        keep = np.isin(ids, allowed)
        return ids[keep][:k], scores[keep][:k]
    if filtered and allowed is not None:
        return store.bm25_candidates(terms, weights, k, allowed=allowed)
    return store.bm25_candidates(terms, weights, k, filters=filters if filtered else None)
