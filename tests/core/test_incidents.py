"""`observe` and `remind` on a real database: findings become alerts and incidents, and each change queues
exactly the Slack operation it needs (one post per incident, then updates of that one message)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.access import Action
from bot.core.alert_states import LAST_SEEN_STEP
from bot.core.decisions import Reason
from bot.core.incident_actions import act
from bot.core.incidents import remind
from bot.core.oncall_settings import RotationSettings, ScheduleSettings, build_schedules
from bot.core.oncall_store import add_override
from bot.core.silences import create_silence, expire_silence
from bot.enums import Severity
from bot.store import Database
from tests.alerting import (
    CHANNEL,
    NOW,
    alert,
    finding,
    incidents,
    outbox_items,
    pending,
    record_delivered,
    routes,
    run_check,
    timeline,
)


def open_one(db: Database, name: str = "orders-api") -> int:
    """An incident for `name`, posted to Slack; returns its id."""
    run_check(db, [finding(name)], now=NOW)
    record_delivered(db, now=NOW)
    return incidents(db)[-1].id


def reminders(db: Database) -> list[str | None]:
    return [item.text for item in outbox_items(db) if item.operation == "thread_reply" and item.status == "pending"]


# --- opening -----------------------------------------------------------------------------------------------------


def test_a_first_finding_opens_an_incident_and_queues_one_post(db: Database) -> None:
    observation = run_check(db, [finding("orders-api")], now=NOW)

    assert observation.reasons == {Reason.FIRST_NOTIFICATION: 1}
    [incident] = incidents(db)
    assert (incident.status, incident.title, incident.channel) == ("open", "Alarm orders-api", CHANNEL)
    assert timeline(db, incident.id) == [("boltwatch", "opened")]
    [item] = outbox_items(db)
    assert (item.operation, item.incident_id, item.next_attempt_at) == ("post_incident", incident.id, NOW)


def test_the_first_post_waits_for_the_routes_group_wait(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW, routing=routes(group_wait="30s"))

    [item] = outbox_items(db)
    assert item.next_attempt_at == NOW + timedelta(seconds=30)


def test_a_finding_reported_again_queues_nothing_more(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    observation = run_check(db, [finding("orders-api")], now=NOW + timedelta(minutes=1))

    assert observation.reasons == {Reason.UNCHANGED: 1}
    assert len(incidents(db)) == 1 and len(outbox_items(db)) == 1
    stored = alert(db, "orders-api")
    assert stored is not None and stored.count == 1 and stored.last_seen == NOW, "an unchanged alert costs no write"


def test_an_unchanged_alerts_last_seen_is_written_once_it_is_a_step_old(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    for minutes in (1, 2, 4):
        run_check(db, [finding("orders-api")], now=NOW + timedelta(minutes=minutes))
    assert (stored := alert(db, "orders-api")) is not None and stored.last_seen == NOW

    run_check(db, [finding("orders-api")], now=NOW + LAST_SEEN_STEP)

    assert (stored := alert(db, "orders-api")) is not None and stored.last_seen == NOW + LAST_SEEN_STEP
    assert stored.count == 1 and len(outbox_items(db)) == 1


def test_an_alert_in_another_group_opens_an_incident_of_its_own(db: Database) -> None:
    run_check(db, [finding("orders-api"), finding("orders-api", region="eu-west-1")], now=NOW)

    assert len(incidents(db)) == 2
    assert [item.operation for item in outbox_items(db)] == ["post_incident", "post_incident"]


# --- a second alert in the group -----------------------------------------------------------------------------------


def test_a_second_alert_after_the_post_queues_one_update_of_the_same_incident(db: Database) -> None:
    incident_id = open_one(db)
    later = NOW + timedelta(minutes=1)
    observation = run_check(db, [finding("orders-api"), finding("payments")], now=later)

    assert observation.reasons[Reason.NEW_ALERT_IN_GROUP] == 1
    assert len(incidents(db)) == 1
    assert pending(db) == [("update_incident", incident_id)]
    payments = alert(db, "payments")
    assert payments is not None and payments.incident_id == incident_id


def test_a_second_alert_before_the_post_is_sent_rides_on_the_pending_post(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    run_check(db, [finding("orders-api"), finding("payments")], now=NOW + timedelta(seconds=1))

    assert [item.operation for item in outbox_items(db)] == ["post_incident"]


def test_alerts_arriving_within_group_interval_share_one_update_sent_when_the_interval_ends(db: Database) -> None:
    incident_id = open_one(db)
    run_check(db, [finding("orders-api"), finding("payments")], now=NOW + timedelta(seconds=2))
    run_check(db, [finding("orders-api"), finding("payments"), finding("billing")], now=NOW + timedelta(seconds=4))

    updates = [item for item in outbox_items(db) if item.status == "pending"]
    assert [(u.operation, u.incident_id) for u in updates] == [("update_incident", incident_id)]
    assert updates[0].next_attempt_at == NOW + timedelta(seconds=10)


def test_a_more_severe_alert_raises_the_incidents_severity(db: Database) -> None:
    open_one(db)
    run_check(db, [finding("orders-api"), finding("payments", severity=Severity.CRITICAL)], now=NOW)

    assert incidents(db)[0].severity == "critical"


def test_a_new_alert_in_a_snoozed_incident_joins_it_without_an_update(db: Database) -> None:
    incident_id = open_one(db)
    with db.transaction() as session:
        act(session, action=Action.SNOOZE, incident_id=incident_id, user="U0BOB", channel=CHANNEL, rules=[], now=NOW,
            snooze_until=NOW + timedelta(hours=1))  # fmt: skip
    record_delivered(db, now=NOW)

    observation = run_check(db, [finding("orders-api"), finding("payments")], now=NOW + timedelta(minutes=5))

    assert observation.reasons[Reason.SNOOZED] == 1
    payments = alert(db, "payments")
    assert payments is not None and payments.incident_id == incident_id
    assert pending(db) == []


def test_new_counts_in_a_firing_alerts_title_queue_one_update_of_its_message(db: Database) -> None:
    incident_id = open_one(db)
    observation = run_check(db, [replace(finding("orders-api"), title="orders-api: 7 errors in 15m")], now=NOW)

    assert observation.reasons == {Reason.ALERT_CHANGED: 1}
    assert pending(db) == [("update_incident", incident_id)]
    stored = alert(db, "orders-api")
    assert stored is not None and stored.title == "orders-api: 7 errors in 15m" and stored.count == 1


def test_a_firing_alert_that_reads_the_same_with_new_evidence_queues_nothing(db: Database) -> None:
    open_one(db)
    observation = run_check(db, [finding("orders-api", evidence={"Window": "12:01–12:16 UTC"})], now=NOW)

    assert observation.reasons == {Reason.UNCHANGED: 1}
    assert pending(db) == []


def test_an_alert_changing_before_its_incident_is_posted_rides_on_the_pending_post(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    run_check(db, [replace(finding("orders-api"), title="orders-api: 7 errors in 15m")], now=NOW + timedelta(seconds=1))

    assert [item.operation for item in outbox_items(db)] == ["post_incident"]


def test_a_firing_alert_turning_critical_raises_the_incidents_severity(db: Database) -> None:
    open_one(db)
    run_check(db, [finding("orders-api", severity=Severity.CRITICAL)], now=NOW + timedelta(minutes=1))

    assert incidents(db)[0].severity == "critical"


# --- resolving -----------------------------------------------------------------------------------------------------


def test_a_covered_fingerprint_no_longer_reported_resolves_the_incident(db: Database) -> None:
    incident_id = open_one(db)
    later = NOW + timedelta(minutes=3)
    observation = run_check(db, [], now=later, covered=["orders-api"])

    assert observation.reasons == {Reason.ALL_RESOLVED: 1}
    [incident] = incidents(db)
    assert (incident.status, incident.resolved_at, incident.resolved_by) == ("resolved", later, None)
    assert timeline(db, incident_id)[-1] == ("boltwatch", "resolved")
    stored = alert(db, "orders-api")
    assert stored is not None and stored.status == "resolved"
    assert pending(db) == [("update_incident", incident_id), ("thread_reply", incident_id)]
    assert reminders(db) == ["Resolved: every alert cleared."]


def test_an_incident_resolved_before_its_post_was_sent_is_posted_resolved_without_a_reply(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    run_check(db, [], now=NOW + timedelta(minutes=3), covered=["orders-api"])

    [incident] = incidents(db)
    assert incident.status == "resolved"
    assert pending(db) == [("post_incident", incident.id)]  # the post renders the incident as it is then: resolved


def test_a_finding_reported_as_not_firing_resolves_its_alert(db: Database) -> None:
    open_one(db)
    run_check(db, [finding("orders-api", firing=False)], now=NOW + timedelta(minutes=3))

    assert incidents(db)[0].status == "resolved"


def test_a_firing_alert_the_run_did_not_cover_stays_firing(db: Database) -> None:
    open_one(db)
    observation = run_check(db, [], now=NOW + timedelta(minutes=3))

    assert observation.reasons == {}
    assert incidents(db)[0].status == "open"
    assert pending(db) == []


def test_resolving_one_of_two_alerts_updates_the_message_and_keeps_the_incident_open(db: Database) -> None:
    run_check(db, [finding("orders-api"), finding("payments")], now=NOW)
    record_delivered(db, now=NOW)
    observation = run_check(db, [finding("payments")], now=NOW + timedelta(minutes=3), covered=["orders-api"])

    assert observation.reasons[Reason.NEWLY_RESOLVED] == 1
    [incident] = incidents(db)
    assert incident.status == "open"
    assert pending(db) == [("update_incident", incident.id)]


def test_a_route_without_send_resolved_resolves_quietly(db: Database) -> None:
    quiet = routes(send_resolved=False)
    run_check(db, [finding("orders-api")], now=NOW, routing=quiet)
    record_delivered(db, now=NOW)
    run_check(db, [], now=NOW + timedelta(minutes=3), covered=["orders-api"], routing=quiet)

    assert incidents(db)[0].status == "resolved"
    assert pending(db) == []


def test_an_alert_firing_again_after_its_incident_resolved_opens_a_new_incident(db: Database) -> None:
    first = open_one(db)
    run_check(db, [], now=NOW + timedelta(minutes=3), covered=["orders-api"])
    record_delivered(db, now=NOW + timedelta(minutes=3))
    observation = run_check(db, [finding("orders-api")], now=NOW + timedelta(minutes=10))

    assert observation.reasons == {Reason.FIRST_NOTIFICATION: 1}
    second = incidents(db)[-1]
    assert second.id != first and second.status == "open"
    stored = alert(db, "orders-api")
    assert stored is not None and stored.incident_id == second.id and stored.count == 2
    assert pending(db) == [("post_incident", second.id)]


# --- silences ------------------------------------------------------------------------------------------------------


def silence_orders_api(db: Database, *, until: timedelta) -> int:
    with db.transaction() as session:
        silence = create_silence(
            session,
            matchers=[{"label": "resource", "value": "orders-api"}],
            until=NOW + until,
            reason="deploying",
            author="U0BOB",
            now=NOW,
        )
        return silence.id


def test_a_silenced_alert_is_recorded_but_not_notified(db: Database) -> None:
    silence_id = silence_orders_api(db, until=timedelta(hours=1))
    observation = run_check(db, [finding("orders-api")], now=NOW + timedelta(minutes=1))

    assert observation.reasons == {Reason.SILENCED: 1}
    stored = alert(db, "orders-api")
    assert stored is not None and stored.status == "firing" and stored.silenced_by == silence_id
    assert incidents(db) == [] and outbox_items(db) == []


def test_the_end_of_a_silence_lets_the_still_firing_alert_notify(db: Database) -> None:
    silence_orders_api(db, until=timedelta(hours=1))
    run_check(db, [finding("orders-api")], now=NOW + timedelta(minutes=1))
    observation = run_check(db, [finding("orders-api")], now=NOW + timedelta(hours=1))

    assert observation.reasons == {Reason.FIRST_NOTIFICATION: 1}
    stored = alert(db, "orders-api")
    assert stored is not None and stored.silenced_by is None
    assert [item.operation for item in outbox_items(db)] == ["post_incident"]


def test_expiring_a_silence_early_lets_the_alert_notify_on_the_next_run(db: Database) -> None:
    silence_id = silence_orders_api(db, until=timedelta(hours=4))
    run_check(db, [finding("orders-api")], now=NOW + timedelta(minutes=1))
    with db.transaction() as session:
        expire_silence(session, silence_id=silence_id, author="U0BOB", now=NOW + timedelta(minutes=2))
    run_check(db, [finding("orders-api")], now=NOW + timedelta(minutes=3))

    assert [item.operation for item in outbox_items(db)] == ["post_incident"]


def test_a_silence_leaves_other_alerts_of_the_run_notified(db: Database) -> None:
    silence_orders_api(db, until=timedelta(hours=1))
    run_check(db, [finding("orders-api"), finding("payments")], now=NOW + timedelta(minutes=1))

    [incident] = incidents(db)
    assert incident.title == "Alarm payments"
    assert [item.operation for item in outbox_items(db)] == ["post_incident"]


def test_a_finding_marked_not_to_notify_is_recorded_without_an_incident(db: Database) -> None:
    run_check(db, [finding("orders-api", notify=False)], now=NOW)

    stored = alert(db, "orders-api")
    assert stored is not None and stored.status == "firing"
    assert incidents(db) == [] and outbox_items(db) == []


# --- reminders -----------------------------------------------------------------------------------------------------


def test_no_reminder_before_the_repeat_interval(db: Database) -> None:
    open_one(db)
    with db.transaction() as session:
        sent = remind(session, routes=routes(), now=NOW + timedelta(hours=4) - timedelta(seconds=1))

    assert sent == 0 and reminders(db) == []


def test_a_reminder_after_the_repeat_interval_goes_in_the_thread_with_the_routes_mentions(db: Database) -> None:
    routing = routes(mentions={"warning": ["U0ONCALL"]})
    run_check(db, [finding("orders-api")], now=NOW, routing=routing)
    record_delivered(db, now=NOW)
    with db.transaction() as session:
        sent = remind(session, routes=routing, now=NOW + timedelta(hours=4))

    assert sent == 1
    assert reminders(db) == ["Still firing and not acknowledged. <@U0ONCALL>"]
    assert incidents(db)[0].last_reminded_at == NOW + timedelta(hours=4)


def test_a_schedule_in_the_routes_mentions_mentions_whoever_is_on_call_at_the_reminder(db: Database) -> None:
    schedules = build_schedules([ScheduleSettings(name="primary", rotations=[RotationSettings(users=["U0ALICE"])])])
    routing = routes(mentions={"warning": ["schedule:primary", "U0LEAD", "schedule:gone"]})
    run_check(db, [finding("orders-api")], now=NOW, routing=routing)
    record_delivered(db, now=NOW)
    with db.transaction() as session:
        assert remind(session, routes=routing, now=NOW + timedelta(hours=4), schedules=schedules) == 1
        add_override(session, schedule="primary", user="U0BOB", starts=NOW + timedelta(hours=5),
                     ends=NOW + timedelta(hours=9), by="U0LEAD", channel=CHANNEL)  # fmt: skip
    with db.transaction() as session:
        assert remind(session, routes=routing, now=NOW + timedelta(hours=8), schedules=schedules) == 1

    assert reminders(db) == [
        "Still firing and not acknowledged. <@U0ALICE> <@U0LEAD>",
        "Still firing and not acknowledged. <@U0BOB> <@U0LEAD>",
    ]


def test_the_next_reminder_waits_a_whole_repeat_interval_after_the_last(db: Database) -> None:
    open_one(db)
    sent = []
    for hours in (4, 5, 7.9, 8):
        with db.transaction() as session:
            sent.append(remind(session, routes=routes(), now=NOW + timedelta(hours=hours)))

    assert sent == [1, 0, 0, 1]


def test_an_acknowledged_incident_is_not_reminded(db: Database) -> None:
    incident_id = open_one(db)
    with db.transaction() as session:
        act(session, action=Action.ACKNOWLEDGE, incident_id=incident_id, user="U0BOB", channel=CHANNEL, rules=[],
            now=NOW)  # fmt: skip
    record_delivered(db, now=NOW)
    with db.transaction() as session:
        assert remind(session, routes=routes(), now=NOW + timedelta(hours=5)) == 0


def test_an_incident_never_posted_is_not_reminded(db: Database) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    with db.transaction() as session:
        assert remind(session, routes=routes(), now=NOW + timedelta(hours=5)) == 0


def test_the_end_of_a_snooze_reminds_once_and_updates_the_message(db: Database) -> None:
    incident_id = open_one(db)
    with db.transaction() as session:
        act(session, action=Action.SNOOZE, incident_id=incident_id, user="U0BOB", channel=CHANNEL, rules=[], now=NOW,
            snooze_until=NOW + timedelta(hours=1))  # fmt: skip
    record_delivered(db, now=NOW)

    with db.transaction() as session:
        during = remind(session, routes=routes(), now=NOW + timedelta(minutes=59))
    with db.transaction() as session:
        after = remind(session, routes=routes(), now=NOW + timedelta(hours=1))

    assert (during, after) == (0, 1)
    assert reminders(db) == ["Snooze over: still firing."]
    assert incidents(db)[0].snoozed_until is None
    assert ("update_incident", incident_id) in pending(db)


# --- a run as a set -------------------------------------------------------------------------------------------------


def test_new_evidence_of_an_unchanged_alert_is_stored_without_a_new_message(db: Database) -> None:
    run_check(db, [finding("orders-api", evidence={"errors": 3})], now=NOW)
    observation = run_check(db, [finding("orders-api", evidence={"errors": 7})], now=NOW + timedelta(minutes=1))

    assert observation.reasons == {Reason.UNCHANGED: 1}
    assert len(outbox_items(db)) == 1
    stored = alert(db, "orders-api")
    assert stored is not None and stored.evidence == {"errors": 7}


def test_one_run_of_a_whole_group_opens_one_incident_and_the_run_clearing_it_resolves_it_once(db: Database) -> None:
    names = [f"fn-{i}" for i in range(25)]
    run_check(db, [finding(name) for name in names], now=NOW)
    record_delivered(db, now=NOW)

    observation = run_check(db, [], now=NOW + timedelta(minutes=1), covered=names)

    assert observation.reasons == {Reason.NEWLY_RESOLVED: 24, Reason.ALL_RESOLVED: 1}
    [incident] = incidents(db)
    assert incident.status == "resolved"
    kinds = [kind for _, kind in timeline(db, incident.id)]
    assert kinds == ["opened"] + ["alert_firing"] * 24 + ["alert_resolved"] * 24 + ["resolved"]
    assert pending(db) == [("update_incident", incident.id), ("thread_reply", incident.id)]
