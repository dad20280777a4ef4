"""What people do to incidents (acknowledge, snooze, resolve, reopen) on a real database: the state change, its
timeline event and audit row, and the message update and thread reply it queues; refusals change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.access import AccessRule, Action
from bot.core.incident_actions import Outcome, act
from bot.store import Database
from bot.store.models import AuditEvent, SlackChannel
from tests.alerting import (
    CHANNEL,
    NOW,
    alert,
    finding,
    incidents,
    outbox_items,
    pending,
    record_delivered,
    run_check,
    timeline,
)

LATER = NOW + timedelta(minutes=5)


@pytest.fixture
def incident_id(db: Database) -> int:
    """An open incident whose message is in Slack, with nothing left to send."""
    run_check(db, [finding("orders-api")], now=NOW)
    record_delivered(db, now=NOW)
    return incidents(db)[0].id


def click(
    db: Database,
    incident_id: int,
    action: Action,
    *,
    user: str = "U0BOB",
    channel: str = CHANNEL,
    rules: list[AccessRule] | None = None,
    now: datetime = LATER,
    **options: object,
) -> Outcome:
    with db.transaction() as session:
        return act(
            session,
            action=action,
            incident_id=incident_id,
            user=user,
            channel=channel,
            rules=rules or [],
            now=now,
            **options,  # type: ignore[arg-type]
        )


def replies(db: Database) -> list[str | None]:
    return [item.text for item in outbox_items(db) if item.operation == "thread_reply" and item.status == "pending"]


def audit(db: Database) -> list[tuple[str, str, str]]:
    with db.transaction() as session:
        return [(e.actor, e.action, e.subject) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_acknowledge_records_who_and_queues_the_update_and_a_thread_reply(db: Database, incident_id: int) -> None:
    outcome = click(db, incident_id, Action.ACKNOWLEDGE)

    assert outcome == Outcome(True)
    [incident] = incidents(db)
    assert (incident.status, incident.acknowledged_by, incident.acknowledged_at) == ("acknowledged", "U0BOB", LATER)
    assert timeline(db, incident_id)[-1] == ("U0BOB", "acknowledge")
    assert audit(db) == [("U0BOB", "acknowledge", f"incident:{incident_id}")]
    assert pending(db) == [("update_incident", incident_id), ("thread_reply", incident_id)]
    assert replies(db) == ["<@U0BOB> acknowledged this incident."]


def test_the_message_update_is_due_at_once(db: Database, incident_id: int) -> None:
    click(db, incident_id, Action.ACKNOWLEDGE)

    assert all(item.next_attempt_at == LATER for item in outbox_items(db) if item.status == "pending")


def test_snooze_sets_the_end_and_keeps_the_incident_open(db: Database, incident_id: int) -> None:
    until = LATER + timedelta(hours=1)
    click(db, incident_id, Action.SNOOZE, snooze_until=until)

    [incident] = incidents(db)
    assert (incident.status, incident.snoozed_until) == ("open", until)
    assert timeline(db, incident_id)[-1] == ("U0BOB", "snooze")
    [reply] = replies(db)
    assert reply is not None
    assert reply.startswith(f"<@U0BOB> snoozed this incident until <!date^{int(until.timestamp())}^")


def test_a_snooze_ending_in_the_past_is_refused_before_anything_changes(db: Database, incident_id: int) -> None:
    with pytest.raises(ValueError, match="future"):
        click(db, incident_id, Action.SNOOZE, snooze_until=LATER)

    assert incidents(db)[0].snoozed_until is None
    assert pending(db) == [] and audit(db) == []


def test_resolve_by_hand_resolves_the_firing_alerts_too(db: Database, incident_id: int) -> None:
    click(db, incident_id, Action.RESOLVE)

    [incident] = incidents(db)
    assert (incident.status, incident.resolved_by, incident.resolved_at) == ("resolved", "U0BOB", LATER)
    stored = alert(db, "orders-api")
    assert stored is not None and stored.status == "resolved"
    assert timeline(db, incident_id)[-1] == ("U0BOB", "resolve")
    assert replies(db) == ["<@U0BOB> resolved this incident."]


def test_resolve_ends_a_snooze(db: Database, incident_id: int) -> None:
    click(db, incident_id, Action.SNOOZE, snooze_until=LATER + timedelta(hours=1))
    click(db, incident_id, Action.RESOLVE)

    assert incidents(db)[0].snoozed_until is None


def test_an_alert_still_firing_after_a_manual_resolve_opens_a_fresh_incident(db: Database, incident_id: int) -> None:
    click(db, incident_id, Action.RESOLVE)
    record_delivered(db, now=LATER)
    run_check(db, [finding("orders-api")], now=LATER + timedelta(minutes=1))

    first, second = incidents(db)
    assert (first.id, first.status, second.status) == (incident_id, "resolved", "open")
    assert pending(db) == [("post_incident", second.id)]


def test_reopen_clears_who_acknowledged_and_resolved(db: Database, incident_id: int) -> None:
    click(db, incident_id, Action.ACKNOWLEDGE)
    click(db, incident_id, Action.RESOLVE)
    outcome = click(db, incident_id, Action.REOPEN, user="U0CAROL")

    assert outcome.changed
    [incident] = incidents(db)
    assert incident.status == "open"
    assert (incident.acknowledged_by, incident.acknowledged_at, incident.resolved_by, incident.resolved_at) == (
        None, None, None, None,
    )  # fmt: skip
    assert [kind for _, kind in timeline(db, incident_id)] == ["opened", "acknowledge", "resolve", "reopen"]
    assert replies(db)[-1] == "<@U0CAROL> reopened this incident."


def test_actions_queued_before_a_send_share_one_message_update(db: Database, incident_id: int) -> None:
    click(db, incident_id, Action.ACKNOWLEDGE)
    click(db, incident_id, Action.RESOLVE)

    assert [operation for operation, _ in pending(db)] == ["update_incident", "thread_reply", "thread_reply"]


@pytest.mark.parametrize(
    ("before", "action", "status"),
    [
        ([Action.RESOLVE], Action.ACKNOWLEDGE, "resolved"),
        ([Action.ACKNOWLEDGE], Action.ACKNOWLEDGE, "acknowledged"),
        ([Action.RESOLVE], Action.SNOOZE, "resolved"),
        ([Action.RESOLVE], Action.RESOLVE, "resolved"),
        ([], Action.REOPEN, "open"),
    ],
)
def test_an_impossible_transition_is_refused_and_changes_nothing(
    db: Database, incident_id: int, before: list[Action], action: Action, status: str
) -> None:
    for earlier in before:
        click(db, incident_id, earlier)
    record_delivered(db, now=LATER)
    events, audited = timeline(db, incident_id), audit(db)

    outcome = click(db, incident_id, action, snooze_until=LATER + timedelta(hours=1))

    assert outcome == Outcome(False, f"Incident #{incident_id} is already {status}; nothing changed.")
    assert incidents(db)[0].status == status
    assert timeline(db, incident_id) == events and audit(db) == audited
    assert pending(db) == []


def test_an_incident_that_no_longer_exists_is_explained(db: Database) -> None:
    outcome = click(db, 404, Action.ACKNOWLEDGE)

    assert outcome == Outcome(False, "Incident #404 no longer exists.")


def test_a_click_from_another_channel_is_refused(db: Database, incident_id: int) -> None:
    outcome = click(db, incident_id, Action.ACKNOWLEDGE, channel="#random")

    assert not outcome.changed and "this button only works in #alerts" in outcome.explanation
    assert incidents(db)[0].status == "open" and pending(db) == []


def test_an_access_rule_limits_an_action_to_its_users(db: Database, incident_id: int) -> None:
    rules = [AccessRule(actions=[Action.RESOLVE], users=["U0LEAD"])]

    refused = click(db, incident_id, Action.RESOLVE, rules=rules)
    allowed = click(db, incident_id, Action.RESOLVE, rules=rules, user="U0LEAD")

    assert not refused.changed and "only <@U0LEAD> may resolve here" in refused.explanation
    assert allowed.changed and incidents(db)[0].resolved_by == "U0LEAD"


def test_a_reason_is_kept_in_the_timeline_and_escaped_in_the_reply(db: Database, incident_id: int) -> None:
    click(db, incident_id, Action.RESOLVE, reason="<!channel> fixed by <http://evil.example|rollback> & retry")

    [reply] = replies(db)
    assert reply == (
        "<@U0BOB> resolved this incident. Reason: &lt;!channel&gt; fixed by "
        "&lt;http://evil.example|rollback&gt; &amp; retry"
    )
    with db.transaction() as session:
        detail = session.scalars(select(AuditEvent.detail)).one()
    assert detail == {"status": "resolved", "reason": "<!channel> fixed by <http://evil.example|rollback> & retry"}


def test_a_click_is_matched_by_channel_id_once_the_name_is_known(db: Database, incident_id: int) -> None:
    with db.transaction() as session:
        session.add(SlackChannel(ref=CHANNEL, channel_id="C0ALERTS"))

    assert click(db, incident_id, Action.ACKNOWLEDGE, channel="C0ALERTS").changed


def test_a_click_is_matched_by_the_channel_name_slack_signed_before_its_id_is_known(
    db: Database, incident_id: int
) -> None:
    assert not click(db, incident_id, Action.ACKNOWLEDGE, channel="C0ALERTS").changed
    assert click(db, incident_id, Action.ACKNOWLEDGE, channel="C0ALERTS", channel_name="alerts").changed
