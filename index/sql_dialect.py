"""What differs between the two stores' SQL where their queries are otherwise one (index/store_tables.py).

The SQLite store (index/store.py) and the PostgreSQL store (index/pg_store.py) share the shape of their tables
(documents, chunks, labels, quality signals, curation, state): the statements over them differ only in the
fragments named here, and each store passes its own `Dialect`. SQL that only one engine has (FTS5, pgvector,
COPY, advisory locks) is written in that store's module, in that engine's own placeholder style.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    name: str
    mark: str  # a parameter's placeholder (sqlite3: "?", psycopg: "%s")
    join_in_order: str  # a join the planner takes in the order written (documents first, then their chunks)
    quality_cast: str  # the stored quality score as both compare it: as written (4 decimals), see `quality`
    modulo: str  # `left` modulo `right` (psycopg reads a bare `%` as the start of a placeholder)

    def marks(self, count: int) -> str:
        """`count` placeholders, comma-separated (for `IN (...)` and `VALUES (...)`)."""
        return ", ".join([self.mark] * count)

    def quality(self, alias: str) -> str:
        """The quality score of documents `alias`, compared in double precision as it was written. PostgreSQL
        keeps it as `real`: a `real` cast straight to double is off (0.7 → 0.69999998807) and a bound cast to
        `real` overflows (1e-50); the decimal of a `real` (its 6 significant digits) is the written score."""
        return self.quality_cast.format(alias=alias)

    def mod(self, left: str, right: str) -> str:
        return self.modulo.format(left=left, right=right)


SQLITE = Dialect("sqlite", "?", "CROSS JOIN", "{alias}.quality", "({left} % {right})")  # joins as written
POSTGRESQL = Dialect("postgresql", "%s", "JOIN", "CAST({alias}.quality AS numeric)", "mod({left}, {right})")
