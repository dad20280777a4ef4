"""Log cursors only move forward: a run that loaded a cursor before another process moved it (a Live Tail session
past the events it streamed) cannot take it back when it saves what it loaded."""

from __future__ import annotations

from bot.core.findings import LogCursorState
from bot.core.log_cursors import load_cursors, save_cursors
from bot.store import Database
from tests.alerting import NOW

GROUP = "/aws/lambda/orders"
KEY = ("default", "us-east-1", GROUP)
OTHER = "/aws/lambda/payments"


def save(db: Database, *cursors: tuple[str, LogCursorState]) -> None:
    with db.transaction() as session:
        save_cursors(session, {("default", "us-east-1", group): c for group, c in cursors}, now=NOW)


def load(db: Database) -> dict[str, LogCursorState]:
    with db.transaction() as session:
        return load_cursors(session, account="default", region="us-east-1")


def test_a_stale_save_does_not_take_a_cursor_back_and_the_others_of_its_run_are_saved(db: Database) -> None:
    aged = {"groups": {"sig": {"alerting": False}}}
    save(db, (GROUP, LogCursorState(1_000, ("~1000:a",), {"groups": {}})))
    loaded = load(db)[GROUP]  # a scheduled run loads the cursor, and only ages the group meanwhile...

    streamed = LogCursorState(2_000, ("~2000:b",), {"groups": {"sig": {"alerting": True}}})
    save(db, (GROUP, streamed))  # ...while a Live Tail session elsewhere moves it past what it streamed

    save(db, (GROUP, LogCursorState(loaded.timestamp_ms, loaded.seen_event_ids, aged)), (OTHER, LogCursorState(5)))
    assert load(db) == {GROUP: streamed, OTHER: LogCursorState(5)}


def test_a_save_at_the_same_timestamp_or_later_replaces_the_cursor(db: Database) -> None:
    save(db, (GROUP, LogCursorState(1_000, ("a",), {})))
    read_again = LogCursorState(1_000, ("a", "b"), {"read_at": 7})  # nothing newer: the ids and memory change
    save(db, (GROUP, read_again))
    assert load(db)[GROUP] == read_again
    later = LogCursorState(3_000, ("c",), {"read_at": 9})
    save(db, (GROUP, later))
    assert load(db)[GROUP] == later
