"""The scheduler lock: of the processes sharing one database, the one that holds it runs the embedded engine's checks.

It is the database's own primitive, not a row with an expiry, so that a holder that dies gives it up at once:
- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a connection of its own for the
  process's life. The server releases it when that connection ends — the process exits or is killed, or the
  connection is cut (TCP keepalives on both ends notice a vanished peer within about half a minute). The key is
  derived from "boltwatch:scheduler" and the schema, since an advisory lock is per database and two deployments (or
  two tests) may share one in different schemas. The connection's `application_name` is the holder's name, so that
  any replica can say who holds the lock (`lock_holder`).
- SQLite on a file: an OS file lock (`flock`, non-blocking) on `<database>.scheduler.lock`, which the kernel releases
  when the process ends; the file holds the holder's name.
- In-memory SQLite: one process is all there is; no lock.

Every call blocks (network, file system): run them off the event loop.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
LOCK_NAME = "boltwatch:scheduler"
APPLICATION_NAME_PREFIX = "boltwatch scheduler "
APPLICATION_NAME_LENGTH = 63
"""PostgreSQL keeps the first 63 bytes of `application_name`."""
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 5, "keepalives_count": 3}
"""libpq's side: a server gone without a word fails the lock connection's next query within ~20 s."""
SERVER_KEEPALIVE_SQL = "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3"
"""The server's side: a holder's host gone without a word loses the lock within ~25 s, not the kernel's 2 hours."""
CONNECT_TIMEOUT_SECONDS = 10


def lock_key(schema: str) -> int:
    """The advisory lock's 64-bit key (signed, as PostgreSQL's bigint) for the schema the tables live in."""
    digest = hashlib.sha256(f"{LOCK_NAME}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_path(engine: Engine) -> str | None:
    """The lock file beside a SQLite database file; None for an in-memory database (and for PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return f"{database}.scheduler.lock"


class SchedulerLock(Protocol):
    def take(self) -> bool:
        """Take the lock if it is free, or confirm this process still holds it: True while it does. Raises when it
        cannot tell (the database does not answer) and did not hold it."""

    def release(self) -> None:
        """Give it up (if held); another process may take it at once."""


class PostgresLock:
    """The advisory lock on a connection of its own: not the pool's, whose connections come and go."""

    def __init__(self, engine: Engine, *, holder: str) -> None:
        url = make_url(engine.url.render_as_string(hide_password=False))
        name = (APPLICATION_NAME_PREFIX + holder).encode()[:APPLICATION_NAME_LENGTH].decode(errors="ignore")
        connect_args: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": name, **KEEPALIVE,
        }  # fmt: skip
        self._engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        self._connection: Connection | None = None
        self._held = False

    def take(self) -> bool:
        try:
            if self._connection is None:
                connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                self._connection = connection
                connection.exec_driver_sql(SERVER_KEEPALIVE_SQL)
            if self._held:
                self._connection.execute(text("SELECT 1"))  # the lock lives as long as this connection does
            else:
                schema = self._connection.scalar(text("SELECT current_schema()"))
                key = lock_key(str(schema))
                self._held = bool(self._connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        except Exception as exc:  # the connection is lost: so is the lock, if it was held
            held = self._held
            self._discard()
            if not held:
                raise  # not "another process holds it": nobody here can tell
            log.warning("lost the scheduler lock's connection: %s", str(exc).splitlines()[0])
        return self._held

    def release(self) -> None:
        self._discard()  # ending the session releases its advisory locks
        self._engine.dispose()

    def _discard(self) -> None:
        self._held = False
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()  # never back to a pool (there is none): closed for good
                connection.close()
            except Exception as exc:
                log.debug("closing the scheduler lock's connection: %s", exc)


class FileLock:
    """`flock` on a file beside the SQLite database."""

    def __init__(self, path: str, *, holder: str) -> None:
        self._path = path
        self._holder = holder
        self._fd: int | None = None

    def take(self) -> bool:
        if self._fd is not None:
            if self._still_the_file():
                return True
            log.warning("the scheduler lock file %s was removed or replaced: giving up the lock", self._path)
            self.release()
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, self._holder.encode(), 0)
        self._fd = fd
        return True

    def _still_the_file(self) -> bool:
        """A lock on a file someone deleted locks nothing: another process would create and lock a new one."""
        assert self._fd is not None
        try:
            return os.stat(self._path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # the file stays: deleting it would race a process opening it to take the lock


class NoLock:
    """In-memory SQLite: no other process can share the database."""

    def take(self) -> bool:
        return True

    def release(self) -> None:
        pass


def scheduler_lock(engine: Engine, *, holder: str) -> SchedulerLock:
    if engine.dialect.name == "postgresql":
        return PostgresLock(engine, holder=holder)
    path = lock_path(engine)
    return NoLock() if path is None else FileLock(path, holder=holder)


_HOLDER_SQL = text("""
SELECT a.application_name
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = :high AND l.objid::bigint = :low
""")


class Unlocked:
    """`lock_holder`'s answer where there is no lock to hold (in-memory SQLite)."""


UNLOCKED = Unlocked()


def lock_holder(session: Session) -> str | Unlocked | None:
    """Who holds the scheduler lock, as it named itself (None: nobody; UNLOCKED: there is no lock)."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    if engine.dialect.name == "postgresql":
        key = lock_key(str(session.scalar(text("SELECT current_schema()"))))
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
        name = session.scalar(_HOLDER_SQL, {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF})
        return None if name is None else str(name).removeprefix(APPLICATION_NAME_PREFIX)
    path = lock_path(engine)
    return UNLOCKED if path is None else _file_holder(path)


def _file_holder(path: str) -> str | None:
    """The name in the lock file if a process holds its lock. Probing takes a shared lock for an instant: a process
    trying to take the lock just then fails once and tries again at its next turn."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode(errors="replace") or "another process"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
