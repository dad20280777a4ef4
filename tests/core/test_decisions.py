from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.decisions import IncidentView, Reason, decide_alert, decide_reminder, next_update_at

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def incident(**overrides: object) -> IncidentView:
    fields: dict[str, object] = {
        "status": "open",
        "posted": True,
        "snoozed_until": None,
        "firing_alerts": 1,
        "last_reminded_at": None,
        "opened_at": NOW - timedelta(minutes=10),
    }
    fields.update(overrides)
    return IncidentView(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("was_firing", "firing", "silenced", "view", "reason"),
    [
        (False, True, False, None, Reason.FIRST_NOTIFICATION),
        (False, True, False, incident(), Reason.NEW_ALERT_IN_GROUP),
        (True, True, False, incident(), Reason.UNCHANGED),
        (True, False, False, incident(firing_alerts=1), Reason.ALL_RESOLVED),
        (True, False, False, incident(firing_alerts=3), Reason.NEWLY_RESOLVED),
        (False, True, True, None, Reason.SILENCED),
        (False, True, False, incident(snoozed_until=NOW + timedelta(hours=1)), Reason.SNOOZED),
        (False, True, False, incident(snoozed_until=NOW - timedelta(hours=1)), Reason.NEW_ALERT_IN_GROUP),
        (False, False, False, None, Reason.UNCHANGED),
    ],
)
def test_each_observation_of_an_alert_has_one_named_reason(
    was_firing: bool, firing: bool, silenced: bool, view: IncidentView | None, reason: Reason
) -> None:
    assert decide_alert(was_firing=was_firing, firing=firing, silenced=silenced, incident=view, now=NOW) is reason


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        (incident(), Reason.ALERT_CHANGED),
        (incident(posted=False), Reason.UNCHANGED),
        (incident(snoozed_until=NOW + timedelta(hours=1)), Reason.SNOOZED),
        (None, Reason.UNCHANGED),
    ],
)
def test_a_firing_alert_that_reads_differently_updates_its_posted_message(
    view: IncidentView | None, reason: Reason
) -> None:
    assert decide_alert(was_firing=True, firing=True, silenced=False, incident=view, now=NOW, changed=True) is reason


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        (incident(opened_at=NOW - timedelta(hours=5)), Reason.REPEAT_DUE),
        (incident(opened_at=NOW - timedelta(hours=1)), Reason.UNCHANGED),
        (incident(opened_at=NOW - timedelta(hours=9), last_reminded_at=NOW - timedelta(hours=1)), Reason.UNCHANGED),
        (incident(status="acknowledged", opened_at=NOW - timedelta(days=1)), Reason.UNCHANGED),
        (incident(firing_alerts=0, opened_at=NOW - timedelta(days=1)), Reason.UNCHANGED),
        (incident(snoozed_until=NOW + timedelta(minutes=5), opened_at=NOW - timedelta(days=1)), Reason.SNOOZED),
        (incident(snoozed_until=NOW - timedelta(minutes=5)), Reason.SNOOZE_OVER),
        (incident(posted=False, opened_at=NOW - timedelta(days=1)), Reason.UNCHANGED),
    ],
)
def test_reminders_come_only_for_firing_unacknowledged_incidents_after_the_repeat_interval(
    view: IncidentView, reason: Reason
) -> None:
    assert decide_reminder(view, repeat_interval=timedelta(hours=4), now=NOW) is reason


def test_updates_in_a_group_are_held_to_one_per_group_interval() -> None:
    interval = timedelta(seconds=10)
    assert next_update_at(last_update_at=None, group_interval=interval, now=NOW) == NOW
    assert next_update_at(
        last_update_at=NOW - timedelta(seconds=3), group_interval=interval, now=NOW
    ) == NOW + timedelta(seconds=7)
    assert next_update_at(last_update_at=NOW - timedelta(minutes=3), group_interval=interval, now=NOW) == NOW
