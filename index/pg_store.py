"""The PostgreSQL store (issue 13): the embedded store's named operations over one PostgreSQL database.

Chosen by the index location (`--index postgresql://USER@HOST:PORT/DB`, or `CWG_INDEX`). Every API replica
opens the same database; nothing a replica keeps locally is truth:
- writes are transactions, serialized by one advisory lock (as SQLite's `BEGIN IMMEDIATE` serializes them),
  so the document a write replaces and the id it takes are decided against every committed write, and
  a replica killed mid-write leaves the database as it was;
- every write bumps a counter in `state` (`generation`, or `marks` for curation and quality), and each
  replica keys its caches by them: a write through one replica is seen by the next request to any other;
- reads run in REPEATABLE READ snapshots (the embedded store's `snapshot()`), on pooled connections;
- a connection that fails (the server stopped, restarted or dropped it) is `IndexUnavailable` (HTTP 503);
  it is discarded with every idle one, and a read that had not begun runs once more on a new connection
  (a write transaction is never run twice: its caller hears that it failed);
- lexical ranking is FTS5's BM25 over our own postings (index/pg_lexical.py), vectors live in pgvector
  tables searched before top-k filters (index/pg_vectors.py), originals in the `files` table.

Most named operations are the embedded store's own, unchanged: their SQL is common to both engines, and
`_Connection` runs it here (`?` marks become psycopg's `%s`). What differs is overridden below.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from index import pg_lexical, pg_vectors
from index.filters import Filters
from index.fts_terms import FtsTerms
from index.pg_schema import migrate
from index.records import COPIED_TABLES
from index.store import Store
from ingest.errors import IndexOpenError, IndexUnavailable, QueryError
from ingest.records import PreparedDocument

WRITE_LOCK = 0x63776702  # pg_advisory_xact_lock key of every write transaction ("cwg" + 2)
IDLE_CONNECTIONS = 16  # pooled connections kept open between reads (more are opened under load, then closed)
URI_SCHEMES = ("postgresql://", "postgres://")
READ_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
T = TypeVar("T")


def is_database_uri(location: object) -> bool:
    return isinstance(location, str) and location.startswith(URI_SCHEMES)


class _Row(tuple):  # type: ignore[type-arg]
    """A row read by position or by column name, as `sqlite3.Row` is (and `dict(row)` works)."""

    _names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> _Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _rows(cursor: Any) -> Any:
    names = {c.name: i for i, c in enumerate(cursor.description or ())}
    return lambda values: _Row(values, names)


def is_connection_error(exc: BaseException) -> bool:
    """Whether `exc` says the connection failed (server stopped, restarting, unreachable, connection dropped),
    not the statement: psycopg's InterfaceError, and OperationalErrors of SQLSTATE class 08 or 57P, or none."""
    import psycopg

    if isinstance(exc, psycopg.InterfaceError):
        return True
    state = getattr(exc, "sqlstate", None)
    return isinstance(exc, psycopg.OperationalError) and (state is None or state.startswith(("08", "57P")))


def unavailable(exc: BaseException) -> IndexUnavailable:
    return IndexUnavailable(f"the index database is not reachable: {' '.join(str(exc).split())}")


NUL_REFUSED = "text with a NUL character (\\x00) cannot be kept or looked up in a PostgreSQL index: remove it"


def _no_nul(params: Sequence[Any]) -> list[Any]:
    """The parameters, refused when a text holds NUL (PostgreSQL's text cannot: a 400, never a DataError)."""
    values = list(params)
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise QueryError(NUL_REFUSED)
    return values


@functools.lru_cache(maxsize=512)
def _dialect(sql: str) -> str:
    """The embedded store's SQL with psycopg's marks: `?` → `%s`, a literal `%` doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Connection:
    """A psycopg connection answering the calls the embedded store makes on `sqlite3.Connection`."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        from psycopg.errors import UntranslatableCharacter

        try:
            return self.raw.cursor(row_factory=_rows).execute(_dialect(sql), _no_nul(params))
        except UntranslatableCharacter as exc:  # jsonb refuses "\u0000" in JSON text
            raise QueryError(NUL_REFUSED) from exc

    def executemany(self, sql: str, rows: Any) -> Any:
        from psycopg.errors import UntranslatableCharacter

        cursor = self.raw.cursor(row_factory=_rows)
        try:
            cursor.executemany(_dialect(sql), [_no_nul(r) for r in rows])
        except UntranslatableCharacter as exc:
            raise QueryError(NUL_REFUSED) from exc
        return cursor

    @property
    def usable(self) -> bool:
        return not self.raw.closed and not self.raw.broken

    @property
    def in_transaction(self) -> bool:
        from psycopg import pq

        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


class _Result:
    """The rows of one statement run outside a snapshot (its connection is back in the pool already)."""

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


class _Pooled:
    """Statements outside any snapshot or transaction: each on a pooled connection, in autocommit."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Result:
        def run(conn: _Connection) -> _Result:
            cursor = conn.execute(sql, params)
            return _Result(cursor.fetchall() if cursor.description else [])

        return self._store._on_pooled(run, retry=sql.lstrip()[:6].upper() == "SELECT")


POSTGRES_EXTRA = "pip install cwg-search[postgres]"


def _require_driver() -> None:
    """The driver and pgvector's adapter are an optional extra: without them, say what to install."""
    try:
        import pgvector.psycopg  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise IndexOpenError(f"a PostgreSQL index needs the PostgreSQL driver ({exc}): {POSTGRES_EXTRA}") from exc


class PostgresStore(Store):
    """The store in a PostgreSQL database (with pgvector). See the module's doc for what it guarantees."""

    JOIN_IN_ORDER = "JOIN"
    SQL_DIALECT = "postgresql"

    def __init__(self, uri: str) -> None:
        _require_driver()
        self.uri = uri
        self.path = None  # type: ignore[assignment]  # no file: the database is the store
        self._init_caches()
        self._pool: list[_Connection] = []
        self._pool_lock = threading.Lock()
        self._closed = False
        self._executor: ThreadPoolExecutor | None = None  # vector searches beside the caller's reads
        self._terms = FtsTerms()
        self._word_terms: dict[str, list[str]] = {}
        self._spaces: dict[str, bool] = {}  # vector spaces whose table exists
        self._vector_counts: dict[str, tuple[int, int]] = {}  # space → (generation, vectors)
        try:
            raw = self._connect(register=False)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is said in full, as an open error
            raise IndexOpenError(f"cannot open the PostgreSQL index {safe_location(uri)}: {exc}") from exc
        self._main = _Connection(raw)
        self._statements = _Pooled(self)
        try:
            migrate(raw)
            _register(raw)
            self._backfill_actor_types()
            self._backfill_quality()
        except Exception as exc:
            if is_connection_error(exc) or isinstance(exc, IndexUnavailable):
                raise IndexOpenError(f"cannot open the PostgreSQL index {safe_location(uri)}: {exc}") from exc
            raise

    # --- connections -------------------------------------------------------------------------------
    def _connect(self, register: bool = True) -> Any:
        import psycopg

        try:
            raw = psycopg.connect(self.uri, autocommit=True)
        except psycopg.OperationalError as exc:
            raise unavailable(exc) from exc
        if register:
            _register(raw)
        return raw

    def _checkout(self) -> _Connection:
        with self._pool_lock:
            if self._pool:
                return self._pool.pop()
        return _Connection(self._connect())

    def _checkin(self, conn: _Connection) -> None:
        if not conn.usable or conn.in_transaction:
            conn.raw.close()  # broken, or left inside a transaction: never handed out again
            return
        with self._pool_lock:
            if len(self._pool) < IDLE_CONNECTIONS and not self._closed:
                self._pool.append(conn)
                return
        conn.close()

    def _discard(self, failed: _Connection) -> None:
        """Close a connection that failed, and every idle one: a server that stopped or restarted dropped them
        all, and each would fail its next request (its next read runs on a new connection)."""
        with self._pool_lock:
            idle, self._pool = self._pool, []
        for conn in (failed, *idle):
            try:
                conn.raw.close()
            except Exception:  # noqa: BLE001 - closing a dead connection: nothing more to do
                pass

    def _on_pooled(self, work: Callable[[_Connection], T], *, retry: bool, begin: str | None = None) -> T:
        """`work` on a pooled connection (after `begin`, when given). A connection that fails is discarded;
        the work runs once more on a new one when `retry` says running it twice is running it once (a read),
        else, or when that fails too, `IndexUnavailable`."""
        for attempt in (1, 2):
            conn = self._checkout()
            try:
                if begin is not None:
                    conn.execute(begin)
                result = work(conn)
            except BaseException as exc:
                if not is_connection_error(exc):
                    self._checkin(conn)
                    raise
                self._discard(conn)
                if not retry or attempt == 2:
                    raise unavailable(exc) from exc
                continue
            self._checkin(conn)
            return result
        raise AssertionError("unreachable")

    def _begun(self, begin: str) -> _Connection:
        """A pooled connection inside a transaction begun with `begin`; a dead one (nothing ran on it yet) is
        replaced once by a new one."""
        for attempt in (1, 2):
            conn = self._checkout()
            try:
                conn.execute(begin)
                return conn
            except BaseException as exc:
                if not is_connection_error(exc):
                    self._checkin(conn)
                    raise
                self._discard(conn)
                if attempt == 2:
                    raise unavailable(exc) from exc
        raise AssertionError("unreachable")

    @property
    def conn(self) -> Any:
        """The connection for this thread's next statement: the writer's inside `transaction()`, the
        snapshot's inside `snapshot()`, else a pooled one for that statement alone."""
        local = self._local
        if getattr(local, "writing", False):
            return self._main
        if getattr(local, "depth", 0):
            return local.reader
        return self._statements

    @conn.setter
    def conn(self, value: Any) -> None:
        self._main = value

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            pooled, self._pool = self._pool, []
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        for conn in pooled:
            conn.close()
        with self._lock:
            self._main.close()

    @contextmanager
    def transaction(self, counter: str = "generation") -> Iterator[Any]:
        """One write transaction, after every other writer's (any process, any replica): see Store."""
        with self._lock:
            conn = self._main
            if not conn.usable:  # the server restarted, or dropped us: the next write reconnects
                self._main = conn = _Connection(self._connect())
            try:
                conn.execute("BEGIN")
            except BaseException as exc:  # dropped unseen (a restart): nothing was done, so begin on a new one
                if not is_connection_error(exc):
                    raise
                self._main = conn = _Connection(self._connect())
                try:
                    conn.execute("BEGIN")
                except BaseException as again:
                    raise (unavailable(again) if is_connection_error(again) else again) from again
            self._local.writing, self._local.placed = True, set()
            try:
                conn.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK])
                yield conn
                conn.execute("INSERT INTO state (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
                             "SET value = (CAST(state.value AS bigint) + 1)::text", [counter])
                conn.execute("COMMIT")
            except BaseException as exc:
                try:
                    if conn.usable and conn.in_transaction:
                        conn.execute("ROLLBACK")
                except Exception as failed:  # noqa: BLE001 - the connection died meanwhile: the server rolls back
                    if not is_connection_error(failed):
                        raise
                if is_connection_error(exc):  # never run again: the caller hears that the write failed
                    raise unavailable(exc) from exc
                raise
            finally:
                self._local.writing = False

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A read transaction (REPEATABLE READ): every query inside sees one committed state. Nests."""
        local = self._local
        if getattr(local, "depth", 0) or getattr(local, "writing", False):
            local.depth = getattr(local, "depth", 0) + 1
            try:
                yield self.conn
            finally:
                local.depth -= 1
            return
        reader = self._begun(READ_BEGIN)
        local.reader, local.depth = reader, 1
        try:
            yield reader
        except BaseException as exc:
            if is_connection_error(exc):
                self._discard(reader)
                raise unavailable(exc) from exc
            raise
        finally:
            local.depth, local.reader, local.exported = 0, None, None
            try:
                if reader.usable and reader.in_transaction:
                    reader.execute("ROLLBACK")  # read only: nothing to commit
            except Exception as exc:  # noqa: BLE001 - the connection died at the end: it is not pooled again
                if not is_connection_error(exc):
                    raise
            finally:
                self._checkin(reader)

    def _raw(self) -> Any:
        """The psycopg connection of this thread's snapshot or transaction (for the modules that take one)."""
        conn = self.conn
        if isinstance(conn, _Pooled):
            raise RuntimeError("open a snapshot() first")
        return conn.raw

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        """A raw connection for a few reads: this thread's snapshot or transaction, else a snapshot of its own."""
        with self.snapshot():
            yield self._raw()

    # --- what differs between dialects -------------------------------------------------------------------
    @staticmethod
    def _set_state(conn: Any, key: str, value: str) -> None:
        conn.execute("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                     "SET value = excluded.value", [key, value])

    # --- writing documents ----------------------------------------------------------------------------
    def _insert_document(self, conn: Any, doc_id: str, key: str, stored_file: str | None,
                         prepared: PreparedDocument, entry: dict[str, str], embed_hashes: list[str],
                         vectors: dict[str, np.ndarray]) -> None:
        self._insert_document_row(conn, doc_id, key, stored_file, prepared, entry)
        m = prepared.meta
        chunks = prepared.chunks
        if not chunks:
            return
        ids = self._new_chunk_ids(conn, len(chunks))
        conn.executemany(
            "INSERT INTO chunks (id, document_id, ordinal, text, section, page_start, page_end, char_start, "
            "char_end, content_hash, embed_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(chunk_id, doc_id, c.ordinal, c.text, c.section, c.page_start, c.page_end, c.char_start, c.char_end,
              c.content_hash, h) for chunk_id, c, h in zip(ids, chunks, embed_hashes)])
        pg_lexical.write_rows(conn.raw, [(chunk_id, self._terms.row(m.title, c.section, c.text))
                                         for chunk_id, c in zip(ids, chunks)])
        for space, matrix in vectors.items():
            self._write_vectors(conn, space, ids, np.asarray(matrix, dtype=np.float32)[[c.ordinal for c in chunks]])

    @staticmethod
    def _new_chunk_ids(conn: Any, count: int) -> list[int]:
        """`count` new chunk ids, ascending (one run: writers take turns, see `chunk_ids`)."""
        rows = conn.execute("SELECT nextval(pg_get_serial_sequence('chunks', 'id')) FROM generate_series(1, ?)",
                            [count]).fetchall()
        return sorted(int(r[0]) for r in rows)

    def _write_vectors(self, conn: Any, space: str, ids: Sequence[int], matrix: np.ndarray) -> None:
        self._ensure_space(conn, space, matrix.shape[1])
        with conn.raw.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {pg_vectors.table_name(space)} (chunk_id, embedding) VALUES (%s, %s)",
                               [(int(i), v) for i, v in zip(ids, matrix)])

    def _ensure_space(self, conn: Any, space: str, dimension: int, with_index: bool = True) -> None:
        """The table of a vector space, made with its change trigger the first time the space is written."""
        if self._spaces.get(space):
            return
        table = pg_vectors.table_name(space)
        if self._has_table(conn, table):
            self._spaces[space] = True  # committed before (a table made now is known once its write commits)
            return
        pg_vectors.create_vector_table(conn.raw, space, dimension, with_index)
        conn.raw.execute(f"CREATE OR REPLACE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
                         f"FOR EACH ROW EXECUTE FUNCTION cwg_vector_changed('{space}')")

    @staticmethod
    def _has_table(conn: Any, table: str) -> bool:
        return conn.execute("SELECT to_regclass(?) IS NOT NULL", [table]).fetchone()[0] is True

    def _space_tables(self, conn: Any) -> list[str]:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                            "AND tablename LIKE 'vectors\\_%'").fetchall()
        return [str(r[0]) for r in rows]

    def _delete(self, conn: Any, doc_id: str) -> None:  # type: ignore[override]
        ids = [int(r[0]) for r in conn.execute("SELECT id FROM chunks WHERE document_id = ?", [doc_id]).fetchall()]
        if ids:
            pg_lexical.delete_rows(conn.raw, ids)
            for table in self._space_tables(conn):
                conn.execute(f"DELETE FROM {table} WHERE chunk_id = ANY(?)", [ids])
        placed = list(getattr(self._local, "placed", ()))  # a copy this write just placed may bear the same name
        conn.execute("DELETE FROM files WHERE name IN (SELECT stored_file FROM documents WHERE id = ?) "
                     "AND NOT name = ANY(?)", [doc_id, placed])
        conn.execute("DELETE FROM documents WHERE id = ?", [doc_id])  # cascades to chunks, labels, signals

    # --- copying a whole store (`cwg migrate`) --------------------------------------------------------------
    def import_rows(self, conn: Any, table: str, rows: list[tuple[object, ...]]) -> None:
        columns = COPIED_TABLES[table]
        if table == "quality_signals":  # 0/1 in SQLite, a boolean here
            rows = [(*r[:2], bool(r[2]), *r[3:]) for r in rows]
        with conn.raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if table == "chunks" and rows:
            titles = dict(conn.execute("SELECT id, title FROM documents WHERE id = ANY(?)",
                                       [sorted({str(r[1]) for r in rows})]).fetchall())
            pg_lexical.write_rows(conn.raw, [(int(r[0]), self._terms.row(titles[r[1]], str(r[4]), str(r[3])))  # type: ignore[arg-type]
                                             for r in rows])
            conn.execute("SELECT setval(pg_get_serial_sequence('chunks', 'id'), (SELECT MAX(id) FROM chunks))")

    def import_vectors(self, conn: Any, space: str, ids: np.ndarray, matrix: np.ndarray) -> None:
        """Bulk-load vectors; the HNSW index of a space made here is built once after them (`finish_import`)."""
        self._ensure_space(conn, space, matrix.shape[1], with_index=False)
        table = pg_vectors.table_name(space)
        with conn.raw.cursor() as cursor, cursor.copy(f"COPY {table} (chunk_id, embedding) FROM STDIN") as copy:
            for chunk_id, vector in zip(ids.tolist(), np.asarray(matrix, dtype=np.float32)):
                copy.write_row((chunk_id, vector))

    def finish_import(self, conn: Any) -> None:
        for table in self._space_tables(conn):
            pg_vectors.create_vector_index(conn.raw, table.removeprefix("vectors_"))

    # --- originals ---------------------------------------------------------------------------------------
    def put_file(self, name: str, data: bytes) -> None:
        """Keep an original (inside the write transaction that points a document to it)."""
        self._raw().execute("INSERT INTO files (name, data) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
                            "SET data = excluded.data", [name, data])
        self._local.placed.add(name)

    def open_file(self, name: str) -> io.BytesIO:
        """An original, as the snapshot sees it; `FileNotFoundError` when it is not kept."""
        row = self.conn.execute("SELECT data FROM files WHERE name = ?", [name]).fetchone()
        if row is None:
            raise FileNotFoundError(name)
        return io.BytesIO(bytes(row[0]))

    # --- lexical ---------------------------------------------------------------------------------------
    def _tokens(self, word: str) -> list[str]:
        """The terms FTS5 indexes for a query word (a word the tokenizer splits gives several); kept, as
        running the tokenizer costs ~0.5 ms a word and query words recur."""
        found = self._word_terms.get(word)
        if found is None:
            found = self._terms.terms(word)
            if len(self._word_terms) > 100_000:
                self._word_terms.clear()
            self._word_terms[word] = found
        return found

    def fts_row_counts(self, words: list[str]) -> dict[str, int]:
        tokens = {w: self._tokens(w) for w in dict.fromkeys(words)}
        with self._reading() as raw:
            counts = pg_lexical.row_counts(raw, sorted({t for ts in tokens.values() for t in ts}))
        # a word FTS5 would match as a phrase of several terms is in at most as many rows as its rarest term
        return {w: min((counts[t] for t in tokens[w]), default=0) for w in words}

    def bm25_candidates(self, terms: list[str], weights: tuple[float, ...], limit: int, *,
                        allowed: np.ndarray | None = None, filters: Filters | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        tokens = [t for word in terms for t in self._tokens(word)]
        if allowed is None and filters is not None and not filters.is_empty():
            allowed = self.chunk_ids(filters)
        with self._reading() as raw:
            return pg_lexical.bm25_candidates(raw, tokens, tuple(float(w) for w in weights)[:3], limit,  # type: ignore[arg-type]
                                              allowed)

    # --- vectors ---------------------------------------------------------------------------------------
    def nearest(self, space: str, query: np.ndarray, k: int, allowed: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` chunks nearest to a unit `query` in `space` (pgvector), among `allowed` when given."""
        total = self.vector_count(space)
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        with self._reading() as raw:
            ids, scores, _method = pg_vectors.top_k(raw, space, query, k, allowed, total)
        return ids, scores

    def nearest_soon(self, space: str, query: np.ndarray | Future[np.ndarray], k: int,
                     allowed: np.ndarray | None = None) -> Future[tuple[np.ndarray, np.ndarray]]:
        """`nearest`, started now on a pooled connection of its own, in this thread's snapshot (exported
        to it), so that the caller's next reads run beside it. `query` may be the encoder's future."""
        if getattr(self._local, "writing", False):  # a write's own rows are not in an exported snapshot
            done: Future[tuple[np.ndarray, np.ndarray]] = Future()
            done.set_result(self.nearest(space, query.result() if isinstance(query, Future) else query, k, allowed))
            return done
        total = self.vector_count(space)
        snapshot = self._exported_snapshot()
        return self._workers().submit(self._nearest_in, snapshot, space, query, k, allowed, total)

    def _exported_snapshot(self) -> str | None:
        """This thread's snapshot, exported for other connections (once per snapshot); None outside one."""
        local = self._local
        if not getattr(local, "depth", 0):
            return None
        if getattr(local, "exported", None) is None:
            local.exported = str(local.reader.execute("SELECT pg_export_snapshot()").fetchone()[0])
        return local.exported  # type: ignore[no-any-return]

    def _nearest_in(self, snapshot: str | None, space: str, query: np.ndarray | Future[np.ndarray], k: int,
                    allowed: np.ndarray | None, total: int) -> tuple[np.ndarray, np.ndarray]:
        from psycopg import sql

        vector = query.result() if isinstance(query, Future) else query
        if total == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)

        def search(conn: _Connection) -> tuple[np.ndarray, np.ndarray]:
            try:
                if snapshot is not None:
                    conn.raw.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
                ids, scores, _method = pg_vectors.top_k(conn.raw, space, vector, k, allowed, total)
                return ids, scores
            finally:
                if conn.usable and conn.in_transaction:
                    conn.execute("ROLLBACK")

        # a read: run again on a new connection when a pooled one was dead (the caller's snapshot still holds)
        return self._on_pooled(search, retry=True, begin=READ_BEGIN if snapshot is not None else None)

    def _workers(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=IDLE_CONNECTIONS, thread_name_prefix="cwg-pgvector")
            return self._executor

    def vector_count(self, space: str) -> int:
        generation = self.generation()
        cached = self._vector_counts.get(space)
        if cached is not None and cached[0] == generation:
            return cached[1]
        table = pg_vectors.table_name(space)
        with self._reading() as raw:
            exists = self._has_table(self.conn, table)
            count = int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) if exists else 0
        self._vector_counts[space] = (generation, count)
        return count

    def _vector_rows(self, space: str, sql: str, params: Sequence[Any]) -> list[tuple[int, np.ndarray]]:
        table = pg_vectors.table_name(space)
        with self._reading() as raw:
            if not self._has_table(self.conn, table):
                return []
            with raw.cursor(binary=True) as cursor:
                rows = cursor.execute(sql.format(table=table), list(params)).fetchall()
        return [(int(r[0]), _array(r[1])) for r in rows]

    def cached_vectors(self, document_id: str, space: str) -> dict[str, np.ndarray]:
        rows = self.conn.execute("SELECT embed_hash, id FROM chunks WHERE document_id = ?", [document_id]).fetchall()
        hashes = {int(r[1]): str(r[0]) for r in rows}
        found = self._vector_rows(space, "SELECT chunk_id, embedding FROM {table} WHERE chunk_id = ANY(%s)",
                                  [list(hashes)])
        return {hashes[cid]: v for cid, v in found}

    def vector_batches(self, space: str, dimension: int, batch: int = 65_536
                       ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        after = -1
        while True:
            rows = self._vector_rows(space, "SELECT chunk_id, embedding FROM {table} WHERE chunk_id > %s "
                                            "ORDER BY chunk_id LIMIT %s", [after, batch])
            if not rows:
                return
            after = rows[-1][0]
            yield (np.array([r[0] for r in rows], dtype=np.int64),
                   np.stack([r[1] for r in rows]).reshape(len(rows), dimension))

    def all_vectors(self, space: str, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        parts = list(self.vector_batches(space, dimension))
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def vectors_of(self, space: str, chunk_ids: np.ndarray, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self._vector_rows(space, "SELECT chunk_id, embedding FROM {table} WHERE chunk_id = ANY(%s) "
                                        "ORDER BY chunk_id", [np.asarray(chunk_ids, dtype=np.int64).tolist()])
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
        return np.array([r[0] for r in rows], dtype=np.int64), np.stack([r[1] for r in rows])

    def vectors_for(self, space: str, chunk_ids: list[int], dimension: int) -> np.ndarray:
        out = np.zeros((len(chunk_ids), dimension), dtype=np.float32)
        pos = {cid: i for i, cid in enumerate(chunk_ids)}
        for cid, vector in self._vector_rows(space, "SELECT chunk_id, embedding FROM {table} WHERE chunk_id = ANY(%s)",
                                             [[int(c) for c in chunk_ids]]):
            out[pos[cid]] = vector
        return out

    def prune_vector_changes(self, upto: int) -> None:
        """As the embedded store's; a database that refuses the write (a read-only user, a standby) keeps
        its log, and the next save of a cache prunes it."""
        import psycopg

        try:
            super().prune_vector_changes(upto)
        except (psycopg.Error, IndexUnavailable):
            pass

    def vector_seq(self) -> int:
        """The number of the last committed vector change (writers take turns, so numbers commit in order)."""
        row = self.conn.execute("SELECT MAX(seq) FROM vector_changes").fetchone()
        return int(row[0]) if row and row[0] is not None else self.vector_log_floor()


def _array(value: Any) -> np.ndarray:
    """A vector as pgvector's loaders give it (its binary loader: a `Vector`; its text loader: an array)."""
    return np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value, dtype=np.float32)


def _register(raw: Any) -> None:
    from pgvector.psycopg import register_vector

    register_vector(raw)


def safe_location(uri: str) -> str:
    """The URI without its password (error messages are shown to users); a folder's path as it is."""
    if not is_database_uri(uri):
        return uri
    scheme, _, rest = uri.partition("://")
    user, at, host = rest.rpartition("@")
    name, colon, password = user.partition(":")
    if at and colon and password:
        user = f"{name}:***"
    return f"{scheme}://{user}{at}{host}"
