"""Vector search in PostgreSQL with pgvector: top-k among the chunks a filter allows, never fewer than asked.

The PostgreSQL store (issue 13) keeps each vector space in a table `vectors_<space>` (chunk id, vector)
with an HNSW index for inner product over unit vectors (= cosine). pgvector 0.6 applies a WHERE clause
*after* its HNSW scan: the scan yields `hnsw.ef_search` candidates and the filter keeps those it allows,
so a filtered query can return fewer rows than asked, or none. Measured here on 20,000 vectors (k = 10,
default ef_search 40): a 10% filter returned 4 rows, a 1% filter 0. So:
- no filter: HNSW, with ef_search at least `MIN_EF_SEARCH` and at least k (exact search in a space small
  enough that scoring every vector costs less, `EXACT_PER_EF`);
- a filter allowing at most `EXACT_UP_TO` chunks, or less than `HNSW_SHARE` of them: exact search over the
  allowed rows only (primary-key lookups, then the distances; the HNSW index is not used);
- a broader filter: HNSW with ef_search raised by the filter's selectivity (up to pgvector's 1,000), and
  exact search whenever that still returns fewer than k rows.
tests/index/test_pg_vectors.py holds every case to brute force on a real server.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

# How a PostgreSQL index answers a vector search: "memory", each process's FAISS copy of the vectors (exact, as
# the embedded store; the copy is the one `similar` keeps, so it costs no more memory), or "pgvector" (below).
VECTOR_SEARCHES = ("memory", "pgvector")
MIN_EF_SEARCH = 200  # 40 (pgvector's default) gave recall@10 0.6 without a filter on 20k vectors; 200 gave 1.0
MAX_EF_SEARCH = 1000  # pgvector's limit
EXACT_UP_TO = 20_000  # allowed chunks scored exactly (a few ms of distances in the server)
# Without a filter, a space of at most this many vectors per unit of ef_search is searched exactly: on 6,408
# SciFact vectors exact search took 9.6 ms at k=1000 (HNSW at ef 1000: 20.2 ms) and 7.7 ms at k=100 (HNSW
# at ef 200: 6.5 ms; bench/stores.py's machine)
EXACT_PER_EF = 10
HNSW_SHARE = 0.2  # a filter allowing less than this share of the chunks is searched exactly
_SPACE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def table_name(space: str) -> str:
    if not space or not set(space) <= _SPACE_CHARS:
        raise ValueError(f"not a vector space name: {space!r}")
    return f"vectors_{space}"


def has_table(conn: Any, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0] is True


def space_tables(conn: Any) -> list[str]:
    """The tables of every vector space in the database."""
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                        "AND tablename LIKE 'vectors\\_%'").fetchall()
    return [str(r[0]) for r in rows]


def ensure_space(conn: Any, space: str, dimension: int, with_index: bool = True) -> bool:
    """The table of a vector space, made with its change trigger (index/pg_schema.py) the first time the space
    is written; True when it was there already (committed: a table made now is known once its write commits)."""
    table = table_name(space)
    if has_table(conn, table):
        return True
    create_vector_table(conn, space, dimension, with_index)
    conn.execute(f"CREATE OR REPLACE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
                 f"FOR EACH ROW EXECUTE FUNCTION cwg_vector_changed('{space}')")
    return False


def vector_rows(conn: Any, space: str, where: str, params: Sequence[Any]) -> list[tuple[int, np.ndarray]]:
    """(chunk id, vector) of the rows of `space` that `where` (and its `params`) selects; none without a table."""
    table = table_name(space)
    if not has_table(conn, table):
        return []
    with conn.cursor(binary=True) as cursor:
        rows = cursor.execute(f"SELECT chunk_id, embedding FROM {table} {where}", list(params)).fetchall()
    return [(int(r[0]), _vector(r[1])) for r in rows]


def _vector(value: Any) -> np.ndarray:
    """A vector as pgvector's loaders give it (its binary loader: a `Vector`; its text loader: an array)."""
    return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=np.float32)


def create_vector_table(conn: Any, space: str, dimension: int, with_index: bool = True) -> None:
    """The table of one vector space and (unless `with_index` is false: a bulk load builds it after the
    rows, `create_vector_index`) its HNSW index for inner product over unit vectors."""
    table = table_name(space)
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (chunk_id bigint PRIMARY KEY, "
                 f"embedding vector({int(dimension)}) NOT NULL)")
    if with_index:
        create_vector_index(conn, space)


def create_vector_index(conn: Any, space: str) -> None:
    table = table_name(space)
    conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_hnsw ON {table} USING hnsw (embedding vector_ip_ops)")


def top_k(conn: Any, space: str, query: np.ndarray, k: int, allowed: np.ndarray | None = None,
          total: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """(chunk ids, inner products; best first, method used) for a unit `query`, among `allowed` chunk ids
    when given. `total`: the number of vectors in the space (counted when not given). The connection must
    have pgvector's types registered (`pgvector.psycopg.register_vector`)."""
    table = table_name(space)
    vector = np.asarray(query, dtype=np.float32).ravel()
    if k <= 0 or (allowed is not None and len(allowed) == 0):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), "none"
    if allowed is None:
        ef = max(MIN_EF_SEARCH, k)
        if _count(conn, table, total) <= EXACT_PER_EF * ef:  # a small space: scoring every vector is cheaper
            return _arrays(_exact(conn, table, vector, k, None)) + ("exact",)
        rows = _hnsw(conn, table, vector, k, ef, None)
        if len(rows) >= k or len(rows) >= _count(conn, table, total):
            return _arrays(rows) + ("hnsw",)
        return _arrays(_exact(conn, table, vector, k, None)) + ("exact",)
    ids = np.asarray(allowed, dtype=np.int64)
    share = len(ids) / max(_count(conn, table, total), 1)
    if len(ids) <= EXACT_UP_TO or share < HNSW_SHARE:
        return _arrays(_exact(conn, table, vector, k, ids)) + ("exact",)
    ef = min(MAX_EF_SEARCH, max(MIN_EF_SEARCH, math.ceil(2 * k / share)))
    rows = _hnsw(conn, table, vector, k, ef, ids)
    if len(rows) >= min(k, len(ids)):
        return _arrays(rows) + ("hnsw",)
    return _arrays(_exact(conn, table, vector, k, ids)) + ("exact",)


def _count(conn: Any, table: str, total: int | None) -> int:
    if total is not None:
        return total
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _hnsw(conn: Any, table: str, vector: np.ndarray, k: int, ef: int,
          ids: np.ndarray | None) -> list[tuple[int, float]]:
    where, params = ("WHERE chunk_id = ANY(%s)", [ids.tolist()]) if ids is not None else ("", [])
    with conn.transaction():
        conn.execute(f"SET LOCAL hnsw.ef_search = {int(min(ef, MAX_EF_SEARCH))}")
        conn.execute("SET LOCAL enable_seqscan = off")  # the planner must take the HNSW index
        rows = conn.execute(f"SELECT chunk_id, embedding <#> %s AS d FROM {table} {where} ORDER BY d LIMIT %s",
                            [vector, *params, int(k)], prepare=False).fetchall()
        # SET LOCAL lasts to the end of the transaction, not of this savepoint: inside a caller's read
        # transaction the planner must get its defaults back for the statements that follow
        conn.execute("SET LOCAL enable_seqscan TO DEFAULT")
    return [(int(r[0]), -float(r[1])) for r in rows]


def _exact(conn: Any, table: str, vector: np.ndarray, k: int, ids: np.ndarray | None) -> list[tuple[int, float]]:
    where, params = ("WHERE chunk_id = ANY(%s)", [ids.tolist()]) if ids is not None else ("", [])
    with conn.transaction():
        conn.execute("SET LOCAL enable_indexscan = off")  # the HNSW index only ever answers an index scan
        rows = conn.execute(f"SELECT chunk_id, embedding <#> %s AS d FROM {table} {where} "
                            f"ORDER BY d, chunk_id LIMIT %s", [vector, *params, int(k)], prepare=False).fetchall()
        conn.execute("SET LOCAL enable_indexscan TO DEFAULT")
    return [(int(r[0]), -float(r[1])) for r in rows]


def _arrays(rows: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.float32))
