"""The lexical index of the PostgreSQL store: FTS5's terms and FTS5's BM25, in PostgreSQL tables (issue 13).

`ts_rank` is not BM25, and hybrid ranking was tuned on FTS5's BM25; so the PostgreSQL store keeps its own
postings of the terms FTS5 would index (index/fts_terms.py) and computes FTS5's formula in SQL:
- `lexical_terms`: per (term, chunk) the term's count in the title, section and text columns, and the
  chunk's length. Its primary key includes every column a query reads, so scoring a term reads its
  postings from the index in term order (an index-only scan), never from the heap where each write left
  them scattered: at 100k chunks a query's BM25 took 133 ms with heap reads and a join to `lexical_rows`
  for the length, 22 ms from the covering index alone (bench/stores.py's machine);
- `lexical_rows`: per chunk its token count over all columns (BM25's document length);
- `lexical_df`: per term the number of chunks holding it, and `lexical_totals`: chunks and tokens in all,
  kept by every write in its own transaction (so a search sees the statistics of the rows it sees).
Column weights are query parameters, as with FTS5. `postings` hands terms' postings to the in-memory
arrays that score a query without SQL (index/lexical_arrays.py, issue 26). tests/index/test_pg_lexical.py holds the scores to
FTS5's on real text, on a real server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from index.fts_terms import K1, B, RowTerms
from index.records import LexicalPostings, TermPostings

SCHEMA = """
CREATE TABLE IF NOT EXISTS lexical_terms (
    term text NOT NULL,
    chunk_id bigint NOT NULL,
    title_tf integer NOT NULL,
    section_tf integer NOT NULL,
    text_tf integer NOT NULL,
    length integer NOT NULL,  -- the chunk's token count (lexical_rows.length), kept here too: see below
    PRIMARY KEY (term, chunk_id) INCLUDE (title_tf, section_tf, text_tf, length)
);
CREATE INDEX IF NOT EXISTS lexical_terms_chunk ON lexical_terms (chunk_id);
CREATE TABLE IF NOT EXISTS lexical_rows (chunk_id bigint PRIMARY KEY, length integer NOT NULL);
CREATE TABLE IF NOT EXISTS lexical_df (term text PRIMARY KEY, rows bigint NOT NULL);
CREATE TABLE IF NOT EXISTS lexical_totals (one boolean PRIMARY KEY DEFAULT true CHECK (one),
                                           rows bigint NOT NULL, tokens bigint NOT NULL);
INSERT INTO lexical_totals (rows, tokens) VALUES (0, 0) ON CONFLICT DO NOTHING;
"""


def create_lexical_tables(conn: Any) -> None:
    conn.execute(SCHEMA)


def write_rows(conn: Any, rows: Sequence[tuple[int, RowTerms]]) -> None:
    """Index chunks (id, terms). Call inside the write transaction that writes the chunks."""
    if not rows:
        return
    with conn.cursor() as cur:  # COPY: a bulk load (`cwg migrate`) writes millions of postings
        with cur.copy("COPY lexical_terms (term, chunk_id, title_tf, section_tf, text_tf, length) FROM STDIN") as copy:
            for chunk_id, terms in rows:
                length = sum(terms.lengths)
                for term, counts in terms.counts.items():
                    copy.write_row((term, chunk_id, *counts, length))
        with cur.copy("COPY lexical_rows (chunk_id, length) FROM STDIN") as copy:
            for chunk_id, terms in rows:
                copy.write_row((chunk_id, sum(terms.lengths)))
    added: dict[str, int] = {}
    for _, terms in rows:
        for term in terms.counts:
            added[term] = added.get(term, 0) + 1
    # in term order: two writers lock the rows they share in one order, never each other's in reverse
    conn.cursor().executemany("INSERT INTO lexical_df (term, rows) VALUES (%s, %s) "
                              "ON CONFLICT (term) DO UPDATE SET rows = lexical_df.rows + excluded.rows",
                              sorted(added.items()))
    conn.execute("UPDATE lexical_totals SET rows = rows + %s, tokens = tokens + %s",
                 [len(rows), sum(sum(terms.lengths) for _, terms in rows)])


def delete_rows(conn: Any, chunk_ids: Sequence[int]) -> None:
    """Take chunks out of the lexical index (inside the transaction that deletes them)."""
    ids = [int(i) for i in chunk_ids]
    if not ids:
        return
    conn.execute("UPDATE lexical_df d SET rows = d.rows - gone.n FROM (SELECT term, count(*) AS n FROM "
                 "lexical_terms WHERE chunk_id = ANY(%s) GROUP BY term ORDER BY term) gone "
                 "WHERE d.term = gone.term", [ids])
    conn.execute("DELETE FROM lexical_df WHERE rows <= 0")
    row = conn.execute("DELETE FROM lexical_rows WHERE chunk_id = ANY(%s) RETURNING length", [ids]).fetchall()
    conn.execute("DELETE FROM lexical_terms WHERE chunk_id = ANY(%s)", [ids])
    conn.execute("UPDATE lexical_totals SET rows = rows - %s, tokens = tokens - %s",
                 [len(row), sum(int(r[0]) for r in row)])


def row_counts(conn: Any, terms: Sequence[str]) -> dict[str, int]:
    """term → the number of chunks holding it (0 for a term no chunk has)."""
    found = dict(conn.execute("SELECT term, rows FROM lexical_df WHERE term = ANY(%s)", [list(terms)]).fetchall())
    return {t: int(found.get(t, 0)) for t in terms}


def postings(conn: Any, terms: Sequence[str]) -> LexicalPostings:
    """The postings of `terms` (index-only scans of the primary key) and the totals. Each term's columns come
    as arrays: 100k postings in ~0.1 s, where as many rows took up to 1 s."""
    totals = conn.execute("SELECT rows, tokens FROM lexical_totals").fetchone()
    wanted = list(dict.fromkeys(terms))
    found = conn.execute(
        "SELECT term, array_agg(chunk_id ORDER BY chunk_id), array_agg(title_tf ORDER BY chunk_id), "
        "array_agg(section_tf ORDER BY chunk_id), array_agg(text_tf ORDER BY chunk_id), "
        "array_agg(length ORDER BY chunk_id) FROM lexical_terms WHERE term = ANY(%s) GROUP BY term", [wanted]).fetchall()
    held = {r[0]: TermPostings(np.array(r[1], dtype=np.int64), np.array(r[2:5], dtype=np.int32).T.copy(),
                               np.array(r[5], dtype=np.int32)) for r in found}
    empty = TermPostings(np.zeros(0, np.int64), np.zeros((0, 3), np.int32), np.zeros(0, np.int32))
    return LexicalPostings(int(totals[0]) if totals else 0, int(totals[1]) if totals else 0,
                           {t: held.get(t, empty) for t in wanted})


def bm25_candidates(conn: Any, terms: Sequence[str], weights: tuple[float, float, float], limit: int,
                    allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The best `limit` chunks for the query terms (one entry per query phrase, repeats counted as FTS5
    counts them), by FTS5's BM25 with these column weights: (chunk ids, scores; higher is better), best first,
    ties by chunk id. Only chunks in `allowed` when given."""
    if not terms or limit <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    totals = conn.execute("SELECT rows, tokens FROM lexical_totals").fetchone()
    rows, tokens = (int(totals[0]), int(totals[1])) if totals else (0, 0)
    if rows == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    hits = row_counts(conn, terms)
    phrases: dict[str, int] = {}
    for term in terms:  # a term asked twice counts twice, as two FTS5 phrases do
        phrases[term] = phrases.get(term, 0) + 1
    idf = {t: max(float(np.log((rows - hits[t] + 0.5) / (hits[t] + 0.5))), 1e-6) for t in phrases}
    names = list(phrases)
    # the allowed chunks as a relation joined by hash (`= ANY(array)` tests every posting against the whole array)
    join, params = ("JOIN unnest(%s::bigint[]) a(id) ON a.id = t.chunk_id",
                    [np.asarray(allowed, dtype=np.int64).tolist()]) if allowed is not None else ("", [])
    sql = (
        "WITH q(term, weight) AS (SELECT * FROM unnest(%s::text[], %s::float8[])) "
        "SELECT t.chunk_id, SUM(q.weight * f.freq * %s / (f.freq + %s * (1 - %s + %s * t.length / %s))) AS s "
        "FROM lexical_terms t JOIN q ON q.term = t.term "
        "CROSS JOIN LATERAL (SELECT t.title_tf * %s + t.section_tf * %s + t.text_tf * %s AS freq) f "
        f"{join} WHERE t.term = ANY(%s) GROUP BY t.chunk_id ORDER BY s DESC, t.chunk_id LIMIT %s")
    found = conn.execute(sql, [names, [idf[t] * phrases[t] for t in names], K1 + 1, K1, B, B, tokens / rows,
                               *map(float, weights), *params, names, int(limit)],
                         prepare=False).fetchall()  # planned for its own terms and allowed set, never generically
    return (np.array([r[0] for r in found], dtype=np.int64), np.array([r[1] for r in found], dtype=np.float32))
