"""Losing the database connection: a transaction that never reached its commit runs again on a fresh connection,
once; a commit whose outcome is unknown is not run again; the failure is known until a transaction succeeds."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.core.silences import create_silence
from bot.store import Database, make_engine, upgrade
from bot.store.database import CommitUnknown, _lost_connection
from bot.store.models import Silence
from tests.conftest import PG_URL, postgres_schema

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
needs_postgres = pytest.mark.skipif(PG_URL is None, reason="needs BOLTWATCH_TEST_DATABASE_URL (PostgreSQL)")


@pytest.fixture
def pg() -> Iterator[Database]:
    assert PG_URL is not None
    for url in postgres_schema(PG_URL):
        database = Database(make_engine(url), retry_delays=(0.05, 0.05))
        upgrade(database.engine)
        yield database
        database.close()


def _silence(session: Session) -> None:
    create_silence(
        session, matchers={"function": "orders-api"}, until=NOW + timedelta(hours=1), reason="deploy", author="U1",
        now=NOW,
    )  # fmt: skip


def _silences(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Silence)) or 0


def _terminate(pid: int) -> None:
    assert PG_URL is not None
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


@needs_postgres
async def test_a_transaction_whose_connection_is_terminated_runs_again_and_writes_once(pg: Database) -> None:
    tries: list[int] = []

    def silence_after_losing_the_connection_once(session: Session) -> None:
        tries.append(1)
        if len(tries) == 1:
            _terminate(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        _silence(session)

    await pg.run(silence_after_losing_the_connection_once)

    assert len(tries) == 2
    assert _silences(pg) == 1
    assert pg.failing_for() == 0 and pg.failure is None


@needs_postgres
async def test_a_commit_whose_outcome_is_unknown_is_not_run_again(pg: Database) -> None:
    tries: list[int] = []

    def silence_and_lose_the_connection_at_commit(session: Session) -> None:
        tries.append(1)
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        event.listen(session, "before_commit", lambda _session: _terminate(pid))
        _silence(session)

    with pytest.raises(CommitUnknown):
        await pg.run(silence_and_lose_the_connection_at_commit)

    assert len(tries) == 1
    assert pg.failing_for() > 0 and pg.failure
    await pg.run(_silence)
    assert pg.failing_for() == 0 and pg.failure is None


@needs_postgres
async def test_a_database_that_stays_away_fails_after_the_retries_and_says_why(pg: Database) -> None:
    tries: list[int] = []

    def always_lose_the_connection(session: Session) -> None:
        tries.append(1)
        _terminate(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        _silence(session)

    with pytest.raises(OperationalError):
        await pg.run(always_lose_the_connection)

    assert len(tries) == 3  # the first try and one for each of the two retry delays
    assert _silences(pg) == 0
    assert pg.failing_for() > 0 and "terminating connection" in (pg.failure or "")


def test_a_locked_sqlite_database_counts_as_a_lost_connection_and_a_broken_statement_does_not() -> None:
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    broken = OperationalError("INSERT", {}, sqlite3.OperationalError("no such table: outbox"))
    assert _lost_connection(locked)
    assert not _lost_connection(broken)
