"""`/boltwatch status` under the distributed engine reads Procrastinate's own tables: workers alive and gone, jobs
waiting and for how long (the queue's lag), running, and stalled on a gone worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from procrastinate.schema import SchemaManager
from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.views.status_queries import queue_line


def queue_tables(session: Session) -> None:
    raw: Any = session.connection().connection.driver_connection
    raw.execute(SchemaManager.get_schema())  # the test's own schema (search_path), inside its transaction


def worker(session: Session, beat_seconds_ago: float) -> int:
    sql = "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - make_interval(secs => :ago)) RETURNING id"
    return int(session.scalar(text(sql), {"ago": beat_seconds_ago}))


def job(session: Session, status: str, *, due_seconds_ago: float | None = None, worker_id: int | None = None) -> None:
    scheduled = "now() - make_interval(secs => :ago)" if due_seconds_ago is not None else "NULL"
    session.execute(
        text(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, status, scheduled_at, worker_id) "
            f"VALUES ('boltwatch-checks', 'boltwatch.check_target', CAST(:status AS procrastinate_job_status), "
            f"{scheduled}, :worker)"
        ),
        {"status": status, "ago": due_seconds_ago, "worker": worker_id},
    )


def test_without_procrastinates_tables_there_is_no_queue_to_show(session: Session) -> None:
    """SQLite (the embedded engine), or PostgreSQL before any worker has created the queue's tables."""
    assert queue_line(session) is None


def test_workers_and_the_queues_lag_come_from_procrastinates_tables(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("Procrastinate keeps its queue in PostgreSQL")
    queue_tables(session)
    alive = worker(session, beat_seconds_ago=1)
    gone = worker(session, beat_seconds_ago=300)
    worker(session, beat_seconds_ago=2 * 3600)  # long gone: not counted any more
    job(session, "todo", due_seconds_ago=45)
    job(session, "todo", due_seconds_ago=5)
    job(session, "todo", due_seconds_ago=-60)  # scheduled a minute ahead: not waiting yet
    job(session, "doing", worker_id=alive)
    job(session, "doing", worker_id=gone)
    job(session, "succeeded", due_seconds_ago=600)

    line = queue_line(session)

    assert line is not None
    assert (line.workers_alive, line.workers_gone) == (1, 1)
    assert line.last_beat is not None and timedelta(seconds=0.5) <= line.last_beat < timedelta(seconds=5)
    assert (line.waiting, line.running, line.stalled) == (2, 2, 1)
    assert timedelta(seconds=44) <= line.oldest_waiting < timedelta(seconds=50)
    assert line.lagging(timedelta(seconds=30)) and not line.lagging(timedelta(minutes=1))


def test_an_idle_queue_has_no_lag(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("Procrastinate keeps its queue in PostgreSQL")
    queue_tables(session)
    worker(session, beat_seconds_ago=0)

    line = queue_line(session)

    assert line is not None
    assert (line.workers_alive, line.waiting, line.running, line.stalled) == (1, 0, 0, 0)
    assert line.oldest_waiting == timedelta(0) and not line.lagging(timedelta(seconds=1))
