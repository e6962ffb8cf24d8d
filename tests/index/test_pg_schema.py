"""The PostgreSQL store's schema: numbered migrations, applied once, also by replicas starting together."""

from __future__ import annotations

import threading

import pytest

from index.pg_schema import migrate, schema_version


@pytest.fixture
def database(postgres_uri: str):
    """A fresh database on the session's server."""
    psycopg = pytest.importorskip("psycopg")
    admin = psycopg.connect(postgres_uri, autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS schema_test")
    admin.execute("CREATE DATABASE schema_test")
    uri = postgres_uri.replace("/postgres?", "/schema_test?")
    yield psycopg, uri
    admin.execute("DROP DATABASE schema_test WITH (FORCE)")
    admin.close()


def test_migrations_make_the_tables_once_and_record_the_version(database) -> None:
    psycopg, uri = database
    with psycopg.connect(uri) as conn:
        assert migrate(conn) == schema_version()
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").fetchall()}
        assert {"documents", "files", "chunks", "labels", "quality_signals", "curation", "vector_changes",
                "state", "schema_version"} <= tables
        state = dict(conn.execute("SELECT key, value FROM state").fetchall())
        assert state["generation"] == "0" and state["marks"] == "0" and len(state["store_id"]) == 32
        assert migrate(conn) == schema_version()  # again: nothing to do, nothing duplicated
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM state").fetchone()[0] == 3


def test_replicas_starting_together_apply_each_migration_once(database) -> None:
    psycopg, uri = database
    versions, errors = [], []

    def start() -> None:
        try:
            with psycopg.connect(uri) as conn:
                versions.append(migrate(conn))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and versions == [schema_version()] * 4
    with psycopg.connect(uri) as conn:
        assert conn.execute("SELECT count(*) FROM state").fetchone()[0] == 3  # the inserts ran once
