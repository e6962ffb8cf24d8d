"""Lexical retrieval: BM25 over the SQLite FTS5 table, with a query language that cannot fail."""

from __future__ import annotations

import re

import numpy as np

from index.filters import Filters
from index.store import Store

MAX_TERMS = 64
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
_WORD = re.compile(r"\w+", re.UNICODE)


def query_terms(query: str) -> list[str]:
    """Distinct words of the query, stop words dropped unless nothing else is left."""
    words = [w for w in _WORD.findall(query.lower()) if w.strip("_")]
    seen: dict[str, None] = {}
    for w in words:
        seen.setdefault(w, None)
    terms = list(seen)
    content = [t for t in terms if t not in STOPWORDS]
    return (content or terms)[:MAX_TERMS]


def fts_expression(terms: list[str]) -> str:
    """An FTS5 MATCH expression: each term quoted (so `"`, `*`, `-`, `NEAR`, `:` are just text), ORed."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def lexical_search(store: Store, query: str, k: int, filters: Filters | None = None,
                   weights: tuple[float, float, float] = FIELD_WEIGHTS) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (chunk ids, BM25 scores; higher is better) among chunks passing `filters`."""
    terms = query_terms(query)
    if not terms or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    weight_args = ", ".join(str(float(w)) for w in weights)
    if filters is None or filters.is_empty():
        sql = (f"SELECT rowid, bm25(chunks_fts, {weight_args}) AS s FROM chunks_fts "
               f"WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?")
        params: list[object] = [fts_expression(terms), k]
    else:
        where, fparams = filters.to_sql("d")
        sql = (f"SELECT f.rowid, bm25(chunks_fts, {weight_args}) AS s FROM chunks_fts f "
               f"JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id "
               f"WHERE chunks_fts MATCH ? AND {where} ORDER BY s LIMIT ?")
        params = [fts_expression(terms), *fparams, k]
    rows = store.conn.execute(sql, params).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    scores = np.fromiter((-r[1] for r in rows), dtype=np.float32, count=len(rows))
    return ids, scores
