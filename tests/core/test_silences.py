"""Silences on a real database: which labels they match, when they are active, and the audit trail they leave."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.silences import create_silence, expire_silence, matches, silence_for
from bot.store import Database
from bot.store.models import AuditEvent, Silence
from bot.views.status_queries import active_silences
from tests.alerting import NOW

LABELS = {"check": "alarms", "resource": "orders-api", "region": "us-east-1"}


def test_an_equality_matcher_needs_the_exact_value() -> None:
    assert matches([{"label": "resource", "value": "orders-api"}], LABELS)
    assert not matches([{"label": "resource", "value": "orders"}], LABELS)


def test_a_regex_matcher_must_match_the_whole_value() -> None:
    assert matches([{"label": "resource", "regex": "orders-.*"}], LABELS)
    assert not matches([{"label": "resource", "regex": "orders"}], LABELS)


def test_every_matcher_must_hold() -> None:
    both = [{"label": "resource", "value": "orders-api"}, {"label": "region", "value": "eu-west-1"}]
    assert not matches(both, LABELS)


def test_a_missing_label_matches_only_an_empty_value() -> None:
    assert not matches([{"label": "team", "value": "payments"}], LABELS)
    assert matches([{"label": "team", "value": ""}], LABELS)


def test_no_matchers_match_nothing() -> None:
    assert not matches([], LABELS)


def create(db: Database, *, until: timedelta, label: str = "resource", value: str = "orders-api") -> int:
    with db.transaction() as session:
        silence = create_silence(
            session, matchers=[{"label": label, "value": value}], until=NOW + until, reason="deploy", author="U0BOB",
            now=NOW,
        )  # fmt: skip
        return silence.id


def active_ids(db: Database, *, at: timedelta) -> list[int]:
    with db.transaction() as session:
        return [silence.id for silence in active_silences(session, NOW + at)]


def audit(db: Database) -> list[tuple[str, str, str]]:
    with db.transaction() as session:
        return [(e.actor, e.action, e.subject) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_silence_is_active_from_its_creation_until_its_end(db: Database) -> None:
    silence_id = create(db, until=timedelta(hours=1))

    assert active_ids(db, at=timedelta(0)) == [silence_id]
    assert active_ids(db, at=timedelta(minutes=59)) == [silence_id]
    assert active_ids(db, at=timedelta(hours=1)) == []


def test_a_silence_that_has_not_started_is_not_active(db: Database) -> None:
    with db.transaction() as session:
        session.add(Silence(matchers=[{"label": "resource", "value": "x"}], starts_at=NOW + timedelta(hours=1),
                            ends_at=NOW + timedelta(hours=2), author="U0BOB"))  # fmt: skip

    assert active_ids(db, at=timedelta(minutes=30)) == []
    assert len(active_ids(db, at=timedelta(hours=1))) == 1


def test_creating_a_silence_is_audited_with_its_matchers_and_end(db: Database) -> None:
    silence_id = create(db, until=timedelta(hours=2))

    with db.transaction() as session:
        event = session.scalars(select(AuditEvent)).one()
        assert (event.actor, event.action, event.subject) == ("U0BOB", "silence_created", f"silence:{silence_id}")
        assert event.detail == {
            "matchers": [{"label": "resource", "value": "orders-api"}],
            "until": (NOW + timedelta(hours=2)).isoformat(),
            "reason": "deploy",
        }


def test_a_silence_without_matchers_is_refused(db: Database) -> None:
    with db.transaction() as session, pytest.raises(ValueError, match="at least one matcher"):
        create_silence(session, matchers=[], until=NOW + timedelta(hours=1), reason="", author="U0BOB", now=NOW)


def test_expiring_a_silence_ends_it_at_once_and_is_audited(db: Database) -> None:
    silence_id = create(db, until=timedelta(hours=4))
    with db.transaction() as session:
        expired = expire_silence(session, silence_id=silence_id, author="U0CAROL", now=NOW + timedelta(minutes=5))

    assert expired is not None
    assert active_ids(db, at=timedelta(minutes=6)) == []
    assert audit(db)[-1] == ("U0CAROL", "silence_expired", f"silence:{silence_id}")


def test_expiring_twice_or_an_unknown_silence_does_nothing(db: Database) -> None:
    silence_id = create(db, until=timedelta(hours=4))
    with db.transaction() as session:
        expire_silence(session, silence_id=silence_id, author="U0CAROL", now=NOW)
    with db.transaction() as session:
        again = expire_silence(session, silence_id=silence_id, author="U0CAROL", now=NOW)
        unknown = expire_silence(session, silence_id=999, author="U0CAROL", now=NOW)

    assert again is None and unknown is None
    assert [action for _, action, _ in audit(db)] == ["silence_created", "silence_expired"]


def test_the_oldest_matching_silence_is_the_one_an_alert_is_silenced_by(db: Database) -> None:
    create(db, until=timedelta(hours=1), label="region", value="eu-west-1")
    first = create(db, until=timedelta(hours=1), label="check", value="alarms")
    create(db, until=timedelta(hours=1))

    with db.transaction() as session:
        silence = silence_for(active_silences(session, NOW), LABELS)
        assert silence is not None and silence.id == first
        assert silence_for(active_silences(session, NOW), {"check": "lambda_errors"}) is None
