"""The PostgreSQL store's lexical index against FTS5 itself: same candidates, same BM25 scores, after
writes and after deletions (a real server; real SciFact text)."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from index.fts_terms import TOKENIZE, FtsTerms, fts_expression
from index.pg_lexical import bm25_candidates, create_lexical_tables, delete_rows, row_counts, write_rows
from search.retrieval.lexical import query_terms
from tests.conftest import shared_data

WEIGHTS = (1.5, 1.0, 1.0)
QUERIES = ("vitamin D deficiency and respiratory infections in children", "BRCA1 mutations increase breast cancer risk",
           "Éducation numérique: microRNA in tumour suppression", "the of a")


@pytest.fixture
def pair(postgres_uri: str):
    """The same 400 abstracts in an FTS5 table and in the PostgreSQL lexical tables."""
    psycopg = pytest.importorskip("psycopg")
    corpus = shared_data("ir_benchmarks", "scifact", "corpus.jsonl")
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()[:400]]
    texts = {i + 1: (r["title"], "Abstract" if i % 3 else "", r["text"]) for i, r in enumerate(rows)}
    fts = sqlite3.connect(":memory:")
    fts.execute(f"CREATE VIRTUAL TABLE f USING fts5(title, section, text, tokenize = '{TOKENIZE}')")
    fts.executemany("INSERT INTO f (rowid, title, section, text) VALUES (?, ?, ?, ?)",
                    [(i, *t) for i, t in texts.items()])
    conn = psycopg.connect(postgres_uri)
    for table in ("lexical_terms", "lexical_rows", "lexical_df", "lexical_totals"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    create_lexical_tables(conn)
    terms = FtsTerms()
    with conn.transaction():
        write_rows(conn, [(i, terms.row(*t)) for i, t in texts.items()])
    yield fts, conn, terms
    conn.close()


def _fts5(fts: sqlite3.Connection, query: str) -> dict[int, float]:
    found = fts.execute(f"SELECT rowid, -bm25(f, {', '.join(map(str, WEIGHTS))}) FROM f WHERE f MATCH ?",
                        (fts_expression(query_terms(query)),)).fetchall()
    return {int(r): float(s) for r, s in found}


def _ours(conn, terms: FtsTerms, query: str, allowed: np.ndarray | None = None) -> dict[int, float]:
    words = [terms.terms(w)[0] for w in query_terms(query)]
    ids, scores = bm25_candidates(conn, words, WEIGHTS, 1000, allowed)
    assert np.all(np.diff(scores) <= 1e-6)  # best first
    return dict(zip(ids.tolist(), scores.tolist()))


def _same(ours: dict[int, float], theirs: dict[int, float]) -> None:
    assert set(ours) == set(theirs)
    keys = sorted(theirs)
    assert np.allclose([ours[k] for k in keys], [theirs[k] for k in keys], rtol=1e-5, atol=1e-6)


def test_scores_equal_fts5_after_writes_and_deletions(pair) -> None:
    fts, conn, terms = pair
    for query in QUERIES:
        _same(_ours(conn, terms, query), _fts5(fts, query))
    gone = list(range(1, 401, 7))  # delete 58 abstracts from both
    fts.executemany("DELETE FROM f WHERE rowid = ?", [(i,) for i in gone])
    with conn.transaction():
        delete_rows(conn, gone)
    for query in QUERIES:
        _same(_ours(conn, terms, query), _fts5(fts, query))
    fts.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'row')")
    vocabulary = dict(fts.execute("SELECT term, doc FROM v").fetchall())
    sample = sorted(vocabulary)[::50]
    assert row_counts(conn, sample + ["zzznotaword"]) == {**{t: vocabulary[t] for t in sample}, "zzznotaword": 0}


def test_allowed_chunks_restrict_the_candidates(pair) -> None:
    fts, conn, terms = pair
    query = QUERIES[1]
    everything = _fts5(fts, query)
    allowed = np.array(sorted(everything)[::2], dtype=np.int64)
    ours = _ours(conn, terms, query, allowed)
    _same(ours, {k: v for k, v in everything.items() if k in set(allowed.tolist())})
    assert _ours(conn, terms, "zzznotaword") == {}
