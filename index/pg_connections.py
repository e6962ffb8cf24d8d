"""The PostgreSQL store's connections: one writer, a pool of readers, snapshots, and what a failure means.

- writes are transactions on one connection, serialized by an advisory lock (as SQLite's `BEGIN IMMEDIATE`
  serializes them), so whatever a write decides is decided against every committed write (any replica), and
  a replica killed mid-write leaves the database as it was; each bumps a counter in `state`;
- reads run in REPEATABLE READ snapshots on pooled connections; a read outside any snapshot runs on a pooled
  connection of its own, in autocommit;
- a connection that fails (the server stopped, restarted or dropped it) is `IndexUnavailable` (HTTP 503); it
  is discarded with every idle one, and a read that had not begun runs once more on a new connection (a write
  is never run twice: its caller hears that it failed);
- every connection refuses text holding NUL before it is sent (PostgreSQL's text cannot hold one): a
  `QueryError` (HTTP 400), never a `DataError` (a 500).
psycopg is imported when a connection is made: it is an extra (`pip install cwg-search[postgres]`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from ingest.errors import IndexOpenError, IndexUnavailable, QueryError

WRITE_LOCK = 0x63776702  # pg_advisory_xact_lock key of every write transaction ("cwg" + 2)
IDLE_CONNECTIONS = 16  # pooled connections kept open between reads (more are opened under load, then closed)
READ_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
NUL_REFUSED = "text with a NUL character (\\x00) cannot be kept or looked up in a PostgreSQL index: remove it"
URI_SCHEMES = ("postgresql://", "postgres://")
POSTGRES_EXTRA = "pip install cwg-search[postgres]"
T = TypeVar("T")


def require_driver() -> None:
    """The driver and pgvector's adapter are an optional extra: without them, say what to install."""
    try:
        import pgvector.psycopg  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise IndexOpenError(f"a PostgreSQL index needs the PostgreSQL driver ({exc}): {POSTGRES_EXTRA}") from exc


def is_database_uri(location: object) -> bool:
    return isinstance(location, str) and location.startswith(URI_SCHEMES)


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


def connect(uri: str, vectors: bool = True) -> Any:
    """A new autocommit connection refusing NUL, with pgvector's types registered (`vectors`: not before the
    migrations made the extension)."""
    import psycopg

    try:
        raw = psycopg.connect(uri, autocommit=True)
    except psycopg.OperationalError as exc:
        raise unavailable(exc) from exc
    refuse_nul(raw)
    if vectors:
        register_vectors(raw)
    return raw


def register_vectors(raw: Any) -> None:
    from pgvector.psycopg import register_vector

    register_vector(raw)


def refuse_nul(raw: Any) -> None:
    """Make `raw` refuse any text parameter holding NUL, in either format (lists and COPY rows included)."""
    from psycopg.types.string import StrBinaryDumper, StrDumperUnknown

    class NoNul(StrDumperUnknown):
        def dump(self, obj: str) -> Any:
            if "\x00" in obj:
                raise QueryError(NUL_REFUSED)
            return super().dump(obj)

    class NoNulBinary(StrBinaryDumper):
        def dump(self, obj: str) -> Any:
            if "\x00" in obj:
                raise QueryError(NUL_REFUSED)
            return super().dump(obj)

    raw.adapters.register_dumper(str, NoNulBinary)
    raw.adapters.register_dumper(str, NoNul)  # the last registered is `%s`'s: as psycopg's, text of unknown type


def usable(raw: Any) -> bool:
    return not raw.closed and not raw.broken


def in_transaction(raw: Any) -> bool:
    from psycopg import pq

    return bool(raw.info.transaction_status != pq.TransactionStatus.IDLE)


class PgConnections:
    """The writer, the pool and this thread's snapshot or transaction, for one database."""

    def __init__(self, uri: str, main: Any) -> None:
        self.uri = uri
        self._main = main  # the writer's connection
        self._lock = threading.RLock()  # one write transaction at a time in this process
        self._local = threading.local()  # per thread: writing, snapshot depth, its reader, its exported snapshot
        self._pool: list[Any] = []
        self._pool_lock = threading.Lock()
        self._closed = False
        self._executor: ThreadPoolExecutor | None = None  # work beside this thread's reads (`beside`)

    # --- the pool ------------------------------------------------------------------------------------------
    def _checkout(self) -> Any:
        with self._pool_lock:
            if self._pool:
                return self._pool.pop()
        return connect(self.uri)

    def _checkin(self, raw: Any) -> None:
        if not usable(raw) or in_transaction(raw):
            raw.close()  # broken, or left inside a transaction: never handed out again
            return
        with self._pool_lock:
            if len(self._pool) < IDLE_CONNECTIONS and not self._closed:
                self._pool.append(raw)
                return
        raw.close()

    def _discard(self, failed: Any) -> None:
        """Close a connection that failed, and every idle one: a server that stopped or restarted dropped them
        all, and each would fail its next request (its next read runs on a new connection)."""
        with self._pool_lock:
            idle, self._pool = self._pool, []
        for raw in (failed, *idle):
            try:
                raw.close()
            except Exception:  # noqa: BLE001 - closing a dead connection: nothing more to do
                pass

    def on_pooled(self, work: Callable[[Any], T], *, retry: bool, begin: str | None = None) -> T:
        """`work` on a pooled connection (after `begin`, when given). A connection that fails is discarded;
        the work runs once more on a new one when `retry` says running it twice is running it once (a read),
        else, or when that fails too, `IndexUnavailable`."""
        for attempt in (1, 2):
            raw = self._checkout()
            try:
                if begin is not None:
                    raw.execute(begin)
                result = work(raw)
            except BaseException as exc:
                if not is_connection_error(exc):
                    self._checkin(raw)
                    raise
                self._discard(raw)
                if not retry or attempt == 2:
                    raise unavailable(exc) from exc
                continue
            self._checkin(raw)
            return result
        raise AssertionError("unreachable")

    def _begun(self, begin: str) -> Any:
        """A pooled connection inside a transaction begun with `begin`; a dead one (nothing ran on it yet) is
        replaced once by a new one."""
        for attempt in (1, 2):
            raw = self._checkout()
            try:
                raw.execute(begin)
                return raw
            except BaseException as exc:
                if not is_connection_error(exc):
                    self._checkin(raw)
                    raise
                self._discard(raw)
                if attempt == 2:
                    raise unavailable(exc) from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            pooled, self._pool = self._pool, []
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        for raw in pooled:
            raw.close()
        with self._lock:
            self._main.close()

    # --- this thread's connection ------------------------------------------------------------------------------
    def writing(self) -> bool:
        return bool(getattr(self._local, "writing", False))

    def memo(self) -> dict[object, object] | None:
        """What this thread's snapshot has read that cannot change inside it (its state's counters, …); None
        outside a snapshot or inside a write transaction."""
        local = self._local
        if getattr(local, "depth", 0) and not getattr(local, "writing", False):
            return getattr(local, "memo", None)  # type: ignore[no-any-return]
        return None

    def current(self) -> Any | None:
        """The connection of this thread's write transaction or snapshot; None outside both."""
        local = self._local
        if getattr(local, "writing", False):
            return self._main
        if getattr(local, "depth", 0):
            return local.reader
        return None

    def read(self, work: Callable[[Any], T]) -> T:
        """`work` on this thread's transaction or snapshot, else alone on a pooled connection (run again on a
        new one if that one was dead)."""
        conn = self.current()
        return work(conn) if conn is not None else self.on_pooled(work, retry=True)

    @contextmanager
    def transaction(self, counter: str) -> Iterator[Any]:
        """One write transaction, after every other writer's (any process, any replica), bumping `counter`."""
        from psycopg.errors import UntranslatableCharacter

        with self._lock:
            raw = self._main
            if not usable(raw):  # the server restarted, or dropped us: the next write reconnects
                self._main = raw = connect(self.uri)
            try:
                raw.execute("BEGIN")
            except BaseException as exc:  # dropped unseen (a restart): nothing was done, so begin on a new one
                if not is_connection_error(exc):
                    raise
                self._main = raw = connect(self.uri)
                try:
                    raw.execute("BEGIN")
                except BaseException as again:
                    raise (unavailable(again) if is_connection_error(again) else again) from again
            self._local.writing = True
            try:
                raw.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
                yield raw
                raw.execute("INSERT INTO state (key, value) VALUES (%s, '1') ON CONFLICT (key) DO UPDATE "
                            "SET value = (CAST(state.value AS bigint) + 1)::text", [counter])
                raw.execute("COMMIT")
            except BaseException as exc:
                try:
                    if usable(raw) and in_transaction(raw):
                        raw.execute("ROLLBACK")
                except Exception as failed:  # noqa: BLE001 - the connection died meanwhile: the server rolls back
                    if not is_connection_error(failed):
                        raise
                if is_connection_error(exc):  # never run again: the caller hears that the write failed
                    raise unavailable(exc) from exc
                if isinstance(exc, UntranslatableCharacter):  # jsonb refuses "\u0000" in JSON text
                    raise QueryError(NUL_REFUSED) from exc
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
                yield self.current()
            finally:
                local.depth -= 1
            return
        reader = self._begun(READ_BEGIN)
        local.reader, local.depth, local.memo = reader, 1, {}
        try:
            yield reader
        except BaseException as exc:
            if is_connection_error(exc):
                self._discard(reader)
                raise unavailable(exc) from exc
            raise
        finally:
            local.depth, local.reader, local.exported, local.memo = 0, None, None, None
            try:
                if usable(reader) and in_transaction(reader):
                    reader.execute("ROLLBACK")  # read only: nothing to commit
            except Exception as exc:  # noqa: BLE001 - the connection died at the end: it is not pooled again
                if not is_connection_error(exc):
                    raise
            finally:
                self._checkin(reader)

    def exported_snapshot(self) -> str | None:
        """This thread's snapshot, exported for other connections (once per snapshot); None outside one."""
        local = self._local
        if not getattr(local, "depth", 0) or getattr(local, "writing", False):
            return None
        if getattr(local, "exported", None) is None:
            local.exported = str(local.reader.execute("SELECT pg_export_snapshot()").fetchone()[0])
        return local.exported  # type: ignore[no-any-return]

    def beside(self, work: Callable[[Any], T]) -> Future[T]:
        """`work` started now on a pooled connection of its own, in this thread's snapshot (exported to it, so it
        sees what the caller sees), while the caller goes on with its next reads. Inside a write transaction
        (whose rows no exported snapshot holds), done at once on the writer's connection."""
        if self.writing():
            done: Future[T] = Future()
            done.set_result(work(self._main))
            return done
        snapshot = self.exported_snapshot()

        def run(raw: Any) -> T:
            from psycopg import sql

            try:
                if snapshot is not None:
                    raw.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
                return work(raw)
            finally:
                if usable(raw) and in_transaction(raw):
                    raw.execute("ROLLBACK")

        with self._pool_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=IDLE_CONNECTIONS, thread_name_prefix="cwg-pgvector")
            executor = self._executor
        # a read: run again on a new connection when a pooled one was dead (the caller's snapshot still holds)
        return executor.submit(self.on_pooled, run, retry=True, begin=READ_BEGIN if snapshot is not None else None)
