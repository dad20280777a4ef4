"""Engine and transactions; all database work runs on a small thread pool, off the event loop.

A transaction that fails because its connection was lost (PostgreSQL restarted or terminated the backend, a network
blip) or because SQLite stayed locked is run again on a fresh connection, a few times with backoff: nothing was
committed, so running it again changes nothing twice. A failure during COMMIT is different: the commit may have
happened, so it is not retried (`CommitUnknown`), and whatever reports the result must not assume either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime.daemon_pool import DaemonPool

T = TypeVar("T")
log = logging.getLogger(__name__)
CONNECT_TIMEOUT_SECONDS = 10
RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0)
"""Seconds before each new try of a transaction whose connection was lost (about 4 s in all)."""


def take_turns(session: Session, key: int | str) -> None:
    """Serialise the transactions that pass the same `key` until they end: a transaction-scoped advisory lock on
    PostgreSQL (a text key hashed by the server); on SQLite, a first write takes the database's write lock before
    anything is read (a write that changes no row still does), which serialises every writer."""
    if session.get_bind().dialect.name == "postgresql":
        lock = "pg_advisory_xact_lock(hashtext(:key))" if isinstance(key, str) else "pg_advisory_xact_lock(:key)"
        session.execute(text(f"SELECT {lock}"), {"key": key})
    else:
        session.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 0"))


def upsert(session: Session, model: type[Any]) -> Any:
    """INSERT into `model`'s table in the dialect that takes ON CONFLICT (PostgreSQL and SQLite both do). Each
    dialect's module is imported when its database is first written this way, not both at import: the one a process
    does not use would hold ~2 MB of its RSS."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no INSERT ... ON CONFLICT on {dialect}")
    return import_module(f"sqlalchemy.dialects.{dialect}").insert(model)


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (`Session.execute` is typed as returning a plain `Result`)."""
    return int(cast(CursorResult[Any], result).rowcount)


class CommitUnknown(Exception):
    """The connection failed during COMMIT: the transaction may or may not have been committed."""


def _lost_connection(exc: BaseException) -> bool:
    """The connection went away or SQLite stayed locked, before anything was committed."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


SQLITE_CACHE_KIB = 1024


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the settings each backend needs to be shared by threads."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A server that stopped answering must not hold a connection attempt for ever (libpq waits indefinitely).
    connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=connect_args, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # 1 MiB of page cache a connection rather than SQLite's 2 MiB: the pool holds several, the operating system
    # caches the file too, and resident memory is what an embedded bot is judged by (bench soak).
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


class Database:
    """Owns the engine; `run(fn)` executes `fn(session)` in one transaction on a worker thread."""

    def __init__(self, engine: Engine, *, max_workers: int = 4, retry_delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._pool = DaemonPool(max_workers, name="boltwatch-db")
        self._retry_delays = retry_delays
        self._lock = threading.Lock()
        self._failing_since: float | None = None
        self.failure: str | None = None
        """Why the latest transaction failed on a database error other than a conflict (None once one succeeds)."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url), **kwargs)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    async def run(self, fn: Callable[[Session], T]) -> T:
        """`fn(session)` in one transaction on a worker thread, run again on a fresh connection when the first one
        was lost before the commit."""
        return await self._pool.run(self._with_retries, fn)

    def _with_retries(self, fn: Callable[[Session], T]) -> T:
        for delay in (*self._retry_delays, None):
            try:
                result = self._once(fn)
            except CommitUnknown as exc:
                self._failed(exc)
                raise
            except DBAPIError as exc:
                if not isinstance(exc, IntegrityError):
                    self._failed(exc)  # a conflict is an answer; anything else means writes are failing
                if delay is None or not _lost_connection(exc):
                    raise
                log.warning("database connection lost (%s); trying the transaction again in %.1fs", exc.orig, delay)
                time.sleep(delay)
                continue
            with self._lock:
                self._failing_since, self.failure = None, None
            return result
        raise AssertionError("unreachable: the last try raises or returns")

    def _once(self, fn: Callable[[Session], T]) -> T:
        with self._sessions() as session:
            try:
                result = fn(session)
                session.flush()
            except BaseException:
                session.rollback()
                raise
            try:
                session.commit()
            except DBAPIError as exc:
                raise CommitUnknown(f"the commit's outcome is unknown: {exc.orig}") from exc
            return result

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            if self._failing_since is None:
                self._failing_since = time.monotonic()
            self.failure = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]

    def failing_for(self) -> float:
        """Seconds since transactions began failing on database errors without one succeeding since; 0 if none."""
        with self._lock:
            return 0.0 if self._failing_since is None else time.monotonic() - self._failing_since

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def healthy(self) -> bool:
        return await self._pool.run(self.ping)

    def close(self) -> None:
        """Take no more transactions; one still running (a database that stopped answering) is abandoned to its
        daemon thread rather than waited for, so that stopping stays within its seconds."""
        self._pool.shutdown()
        self.engine.dispose()
