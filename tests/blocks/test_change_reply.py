"""The thread reply that records who did what to an incident, worded from the change the outbox carries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.blocks.incident import change_reply
from bot.core.incident_actions import ALLOWED_FROM
from bot.views.incident import IncidentChange

UNTIL = datetime(2026, 11, 27, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "reply"),
    [
        (IncidentChange("acknowledge", "U0BOB"), "<@U0BOB> acknowledged this incident."),
        (IncidentChange("resolve", "U0BOB"), "<@U0BOB> resolved this incident."),
        (IncidentChange("reopen", "U0BOB"), "<@U0BOB> reopened this incident."),
        (
            IncidentChange("snooze", "U0BOB", snoozed_until=UNTIL),
            "<@U0BOB> snoozed this incident until <!date^1795779000^{date_short_pretty} {time}|2026-11-27 11:30 UTC>.",
        ),
        (
            IncidentChange("resolve", "U0BOB", reason="fixed <!channel> & deployed"),
            "<@U0BOB> resolved this incident. Reason: fixed &lt;!channel&gt; &amp; deployed",
        ),
    ],
)
def test_each_change_reads_as_who_did_what(change: IncidentChange, reply: str) -> None:
    assert change_reply(change) == reply


def test_a_change_reads_the_same_after_a_trip_through_the_outbox_json() -> None:
    change = IncidentChange("snooze", "U0BOB", snoozed_until=UNTIL, reason="deploy")
    stored = json.loads(json.dumps(change.to_payload()))
    assert IncidentChange.from_payload(stored) == change
    assert change_reply(IncidentChange.from_payload(stored)) == change_reply(change)


def test_a_user_id_that_is_not_one_cannot_ping_anyone() -> None:
    assert change_reply(IncidentChange("acknowledge", "<!here>")) == "&lt;!here&gt; acknowledged this incident."


def test_every_incident_action_a_person_can_take_has_its_words() -> None:
    for action in ALLOWED_FROM:
        assert change_reply(IncidentChange(action.value, "U0BOB", snoozed_until=UNTIL)).startswith("<@U0BOB> ")
