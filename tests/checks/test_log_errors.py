"""The log_errors check against moto: cursors that neither skip nor repeat, and when error groups alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from bot.core.findings import LogCursorState
from bot.core.log_cursors import load_cursors, save_cursors
from bot.store import Database, make_engine, upgrade
from sandbox.aws.server import MotoHandle
from scheduler.checks.log_errors import LogErrorsParams, log_errors, read_since
from scheduler.registry import CheckContext

GROUP = "/aws/lambda/orders-api"
# Three days back, so that "two days later" is still in the past: CloudWatch Logs refuses events from the future.
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
def logs(moto: MotoHandle):  # type: ignore[no-untyped-def]
    client = boto3.client("logs", endpoint_url=moto.endpoint, region_name="us-east-1")
    client.create_log_group(logGroupName=GROUP)
    client.create_log_stream(logGroupName=GROUP, logStreamName="a")
    client.create_log_stream(logGroupName=GROUP, logStreamName="b")
    return client


def put(logs, stream: str, at: datetime, *messages: str) -> None:  # type: ignore[no-untyped-def]
    ms = int(at.timestamp() * 1000)
    logs.put_log_events(
        logGroupName=GROUP, logStreamName=stream, logEvents=[{"timestamp": ms, "message": m} for m in messages]
    )


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def read(logs, cursor: LogCursorState | None, now: datetime):  # type: ignore[no-untyped-def]
    return read_since(logs, GROUP, cursor, now_ms=ms(now), first_look_back_ms=600_000, max_pages=20)


def test_a_cursor_reads_each_event_once_even_when_new_ones_share_the_newest_timestamp(logs) -> None:  # type: ignore[no-untyped-def]
    t = NOW - timedelta(minutes=3)
    put(logs, "a", t, "[ERROR] one", "[ERROR] two")
    events, cursor = read(logs, None, NOW)
    assert [e.message for e in events] == ["[ERROR] one", "[ERROR] two"]

    put(logs, "b", t, "[ERROR] same instant, other stream")
    put(logs, "a", t + timedelta(seconds=1), "[ERROR] three")
    events, cursor = read(logs, cursor, NOW)
    assert [e.message for e in events] == ["[ERROR] same instant, other stream", "[ERROR] three"]
    assert read(logs, cursor, NOW)[0] == []


def test_an_event_ingested_late_within_the_overlap_is_still_read_once(logs) -> None:  # type: ignore[no-untyped-def]
    put(logs, "a", NOW - timedelta(seconds=30), "[ERROR] on time")
    _, cursor = read(logs, None, NOW)
    put(logs, "b", NOW - timedelta(seconds=60), "[ERROR] late but older")
    events, cursor = read(logs, cursor, NOW + timedelta(seconds=5))
    assert [e.message for e in events] == ["[ERROR] late but older"]
    assert read(logs, cursor, NOW + timedelta(seconds=10))[0] == []


def test_the_cursor_survives_a_restart_through_the_database(logs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    put(logs, "a", NOW - timedelta(minutes=1), "[ERROR] before the restart")
    _, cursor = read(logs, None, NOW)
    engine = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    upgrade(engine)
    db = Database(engine)
    with db.transaction() as session:
        save_cursors(session, {("default", "us-east-1", GROUP): cursor}, now=NOW)
    db.close()

    put(logs, "b", NOW - timedelta(seconds=20), "[ERROR] while it was down")
    db = Database(make_engine(f"sqlite:///{tmp_path / 'b.db'}"))
    with db.transaction() as session:
        restored = load_cursors(session, account="default", region="us-east-1")[GROUP]
    db.close()
    assert restored == cursor
    assert [e.message for e in read(logs, restored, NOW)[0]] == ["[ERROR] while it was down"]


def context(moto: MotoHandle, now: datetime, cursors: dict) -> CheckContext:  # type: ignore[type-arg]
    return CheckContext(
        account="default",
        account_id="123456789012",
        region="us-east-1",
        now=now,
        client_for=lambda service: boto3.client(service, endpoint_url=moto.endpoint, region_name="us-east-1"),
        cursors=cursors,
    )


def run(moto: MotoHandle, now: datetime, cursors: dict, **params: object):  # type: ignore[no-untyped-def,type-arg]
    result = log_errors(context(moto, now, cursors), LogErrorsParams(log_groups=["/aws/lambda/*"], **params))
    return result, {key[2]: state for key, state in result.cursors.items()}


TRACEBACK = (
    "[ERROR] KeyError: '{}'\nTraceback (most recent call last):\n"
    '  File "/var/task/app.py", line 9, in handler\n    x = e["{}"]\n'
)


def test_a_new_error_group_alerts_keeps_alerting_while_it_recurs_and_resolves_when_quiet(moto, logs) -> None:  # type: ignore[no-untyped-def]
    put(
        logs,
        "a",
        NOW - timedelta(seconds=30),
        TRACEBACK.format("id", "id"),
        "INFO all good",
        "[WARN] retrying after transient error",
    )
    result, cursors = run(moto, NOW, {})
    assert [(f.title, f.firing) for f in result.findings] == [("orders-api: KeyError: 'id'", True)]

    put(logs, "b", NOW + timedelta(minutes=5), TRACEBACK.format("user", "user"))
    result, cursors = run(moto, NOW + timedelta(minutes=6), cursors)
    assert [f.firing for f in result.findings] == [True]
    assert result.findings[0].evidence["Group"] == "ongoing"

    result, cursors = run(moto, NOW + timedelta(minutes=30), cursors)
    assert [f.firing for f in result.findings] == [False]


def test_with_notify_new_a_known_group_stays_quiet_until_it_regresses_a_day_later(moto, logs) -> None:  # type: ignore[no-untyped-def]
    put(logs, "a", NOW - timedelta(seconds=30), "[ERROR] Task timed out after 3.00 seconds")
    _, cursors = run(moto, NOW, {})
    _, cursors = run(moto, NOW + timedelta(minutes=30), cursors)  # quiet: resolved
    put(logs, "a", NOW + timedelta(minutes=40), "[ERROR] Task timed out after 3.01 seconds")
    result, cursors = run(moto, NOW + timedelta(minutes=41), cursors)
    assert result.findings == []
    put(logs, "a", NOW + timedelta(days=2), "[ERROR] Task timed out after 3.02 seconds")
    result, _ = run(moto, NOW + timedelta(days=2, minutes=1), cursors)
    assert [(f.firing, f.evidence["Group"]) for f in result.findings] == [(True, "regressed")]


def test_with_notify_all_every_recurrence_alerts(moto, logs) -> None:  # type: ignore[no-untyped-def]
    put(logs, "a", NOW - timedelta(seconds=30), "[ERROR] Task timed out after 3.00 seconds")
    _, cursors = run(moto, NOW, {}, notify="all")
    _, cursors = run(moto, NOW + timedelta(minutes=30), cursors, notify="all")
    put(logs, "a", NOW + timedelta(minutes=40), "[ERROR] Task timed out after 3.01 seconds")
    result, _ = run(moto, NOW + timedelta(minutes=41), cursors, notify="all")
    assert [f.firing for f in result.findings] == [True]
