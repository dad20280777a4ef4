"""A `/logs … live` tail's lease: its replica renews it, a Stop from another replica turns it into a stop marker the
owner finds at its next renewal, and a tail whose replica died (lease expired) is stopped by nobody."""

from __future__ import annotations

from datetime import timedelta

from bot.core import live_log_tails
from bot.store import Database
from tests.alerting import NOW

TTL = timedelta(seconds=30)


def keep(db: Database, holder: str = "replica-a", at: timedelta = timedelta(0)) -> str | None:
    with db.transaction() as session:
        return live_log_tails.keep_running(session, tail_id="t1", holder=holder, now=NOW + at, ttl=TTL)


def ask(db: Database, user: str, at: timedelta = timedelta(0)) -> bool:
    with db.transaction() as session:
        return live_log_tails.ask_to_stop(session, tail_id="t1", user=user, now=NOW + at)


def test_a_stop_asked_elsewhere_reaches_the_owner_at_its_next_renewal(db: Database) -> None:
    assert keep(db) is None
    assert keep(db, at=timedelta(seconds=2)) is None
    assert ask(db, "U0BOB")
    assert not ask(db, "U0CAROL"), "asked once; the first click's user is the one shown"
    assert keep(db, at=timedelta(seconds=4)) == "U0BOB"


def test_a_tail_that_ended_or_whose_replica_died_is_stopped_by_nobody(db: Database) -> None:
    assert not ask(db, "U0BOB"), "never ran"
    assert keep(db) is None
    assert not ask(db, "U0BOB", TTL), "its lease expired: its replica died"
    with db.transaction() as session:
        live_log_tails.ended(session, tail_id="t1")
    assert not ask(db, "U0BOB")
