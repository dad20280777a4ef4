"""Leases: one holder at a time, and a stopping replica gives all of its leases up at once."""

from __future__ import annotations

from datetime import timedelta

from bot.core import leases
from bot.store import Database
from tests.alerting import NOW

TTL = timedelta(minutes=5)


def acquire(db: Database, name: str, holder: str, at_offset: timedelta = timedelta(0)) -> bool:
    with db.transaction() as session:
        return leases.try_acquire(session, name=name, holder=holder, now=NOW + at_offset, ttl=TTL)


def test_a_live_lease_is_its_holders_alone(db: Database) -> None:
    assert acquire(db, "retention", "replica-a")
    assert not acquire(db, "retention", "replica-b")
    assert acquire(db, "retention", "replica-b", TTL), "expired, it is anyone's"


def test_release_all_frees_every_lease_of_the_holder_and_only_those(db: Database) -> None:
    for name in ("retention", "live-tail:log_errors:default:eu-west-1"):
        assert acquire(db, name, "replica-a")
    assert acquire(db, "live-tail:lambda_logs:default:us-east-1", "replica-b")

    with db.transaction() as session:
        assert leases.release_all(session, holder="replica-a") == 2

    # At once, and even for a replica whose clock is behind the stopping one's.
    assert acquire(db, "retention", "replica-c", -timedelta(minutes=1))
    assert acquire(db, "live-tail:log_errors:default:eu-west-1", "replica-c", -timedelta(minutes=1))
    assert not acquire(db, "live-tail:lambda_logs:default:us-east-1", "replica-c")


def test_release_gives_up_one_lease_only_for_its_holder(db: Database) -> None:
    assert acquire(db, "live-tail:log_errors:default:us-east-1", "replica-a")
    with db.transaction() as session:
        assert not leases.release(session, name="live-tail:log_errors:default:us-east-1", holder="replica-b")
    assert not acquire(db, "live-tail:log_errors:default:us-east-1", "replica-b")
    with db.transaction() as session:
        assert leases.release(session, name="live-tail:log_errors:default:us-east-1", holder="replica-a")
    assert acquire(db, "live-tail:log_errors:default:us-east-1", "replica-b")


def test_a_holder_holds_exactly_the_names_it_says_under_a_prefix(db: Database) -> None:
    prefix = "live-group:log_errors:default:us-east-1:"
    assert acquire(db, "live-group:logXerrors:default:us-east-1:/x", "replica-a"), "`_` is no wildcard here"
    assert acquire(db, prefix + "/taken", "replica-b")
    with db.transaction() as session:
        leases.hold_only(session, prefix=prefix, names={prefix + "/a", prefix + "/b", prefix + "/taken"},
                         holder="replica-a", now=NOW, ttl=TTL)  # fmt: skip
        assert leases.held_under(session, prefix=prefix, now=NOW) == {
            prefix + "/a": "replica-a",
            prefix + "/b": "replica-a",
            prefix + "/taken": "replica-b",
        }
    with db.transaction() as session:
        leases.hold_only(session, prefix=prefix, names={prefix + "/b"}, holder="replica-a", now=NOW, ttl=TTL)
        assert set(leases.held_under(session, prefix=prefix, now=NOW)) == {prefix + "/b", prefix + "/taken"}
        assert leases.held_under(session, prefix=prefix, now=NOW + TTL) == {}, "expired ones are nobody's"
