"""Who is on call, from schedules as the config writes them: rotations hand over at local wall-clock time across
Europe/Berlin's clock changes, restricted layers cover only their hours, overrides win while they hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core.oncall import Override, Schedule, answer, next_handoffs, on_call
from bot.core.oncall_settings import ScheduleSettings
from bot.wallclock import instant_of


def schedule(*rotations: dict[str, Any], timezone: str = "Europe/Berlin") -> Schedule:
    return ScheduleSettings.model_validate(
        {"name": "primary", "timezone": timezone, "rotations": list(rotations)}
    ).build()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def who(s: Schedule, at: str, overrides: list[Override] | None = None) -> str | None:
    return on_call(s, overrides or [], utc(at)).user


# 2026 in Europe/Berlin: summer time begins Sun 29 March (02:00 CET → 03:00 CEST) and ends Sun 25 October
# (03:00 CEST → 02:00 CET). Mondays 09:00 local are 08:00 UTC in winter and 07:00 UTC in summer.
WEEKLY = {"users": ["U0ALICE", "U0BOB"], "every": "weekly", "handoff": "Mon 09:00", "start": "2026-03-02"}


def test_a_weekly_handoff_stays_at_nine_local_across_the_spring_change() -> None:
    primary = schedule(WEEKLY)
    # Alice from Mon 2 March, Bob 9th, Alice 16th, Bob 23rd (09:00 CET = 08:00 UTC), Alice 30th (09:00 CEST).
    assert who(primary, "2026-03-23T07:59:59") == "U0ALICE"
    assert who(primary, "2026-03-23T08:00:00") == "U0BOB"
    assert who(primary, "2026-03-30T06:59:59") == "U0BOB"
    assert who(primary, "2026-03-30T07:00:00") == "U0ALICE"  # an hour earlier in UTC: 09:00 summer time


def test_a_weekly_handoff_stays_at_nine_local_across_the_autumn_change() -> None:
    primary = schedule(WEEKLY)
    # 19 October is 33 weeks after 2 March (odd: Bob's turn); the 26th is after the change back to CET.
    assert who(primary, "2026-10-19T06:59:59") == "U0ALICE"
    assert who(primary, "2026-10-19T07:00:00") == "U0BOB"
    assert who(primary, "2026-10-26T07:59:59") == "U0BOB"
    assert who(primary, "2026-10-26T08:00:00") == "U0ALICE"


def test_the_next_handoffs_are_told_at_their_instants_across_the_change() -> None:
    handoffs = next_handoffs(schedule(WEEKLY), [], utc("2026-03-25T12:00:00"), count=3)
    assert [(h.at, h.user) for h in handoffs] == [
        (utc("2026-03-30T07:00:00"), "U0ALICE"),
        (utc("2026-04-06T07:00:00"), "U0BOB"),
        (utc("2026-04-13T07:00:00"), "U0ALICE"),
    ]


def test_a_daily_handoff_in_the_hour_the_spring_change_skips_happens_when_the_clocks_jump() -> None:
    nightly = schedule({"users": ["U0ALICE", "U0BOB"], "every": "daily", "handoff": "02:30", "start": "2026-03-27"})
    # 02:30 on 29 March does not exist: the turn passes when 02:00 becomes 03:00 (01:00 UTC).
    assert instant_of(nightly.zone, datetime(2026, 3, 29, 2, 30)) == utc("2026-03-29T01:00:00")
    assert who(nightly, "2026-03-29T00:59:59") == "U0BOB"
    assert who(nightly, "2026-03-29T01:00:00") == "U0ALICE"
    [first, second] = next_handoffs(nightly, [], utc("2026-03-28T12:00:00"), count=2)
    assert (first.at, first.user) == (utc("2026-03-29T01:00:00"), "U0ALICE")
    assert (second.at, second.user) == (utc("2026-03-30T00:30:00"), "U0BOB")  # 02:30 CEST


def test_a_handoff_in_the_hour_the_autumn_change_repeats_happens_once() -> None:
    nightly = schedule({"users": ["U0ALICE", "U0BOB"], "every": "daily", "handoff": "02:30", "start": "2026-10-23"})
    # 02:30 on 25 October happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET): the first one hands over.
    assert who(nightly, "2026-10-25T00:29:59") == "U0BOB"
    assert who(nightly, "2026-10-25T00:30:00") == "U0ALICE"
    assert who(nightly, "2026-10-25T01:15:00") == "U0ALICE"  # 02:15 again on the wall clock: still Alice
    assert who(nightly, "2026-10-26T01:30:00") == "U0BOB"  # 02:30 CET the next night


def test_a_custom_length_counts_from_its_start_date() -> None:
    every3 = schedule({"users": ["U0A", "U0B", "U0C"], "every": "3d", "handoff": "08:00", "start": "2026-01-01"},
                      timezone="UTC")  # fmt: skip
    assert who(every3, "2026-01-01T08:00:00") == "U0A"
    assert who(every3, "2026-01-04T07:59:00") == "U0A"
    assert who(every3, "2026-01-04T08:00:00") == "U0B"
    assert who(every3, "2026-01-07T08:00:00") == "U0C"
    assert who(every3, "2026-01-10T08:00:00") == "U0A"


def test_a_business_hours_layer_covers_the_rotation_below_only_in_its_hours() -> None:
    layered = schedule(
        {"users": ["U0NIGHT"], "every": "weekly"},
        {"users": ["U0DAY1", "U0DAY2"], "every": "weekly", "handoff": "Mon 09:00", "start": "2026-03-02",
         "restrict": {"days": "Mon-Fri", "hours": "09:00-17:00"}},
    )  # fmt: skip
    assert on_call(layered, [], utc("2026-03-04T08:00:00")).user == "U0DAY1"  # Wed 09:00 CET
    assert on_call(layered, [], utc("2026-03-04T08:00:00")).why == "layer 2"
    assert who(layered, "2026-03-04T16:00:00") == "U0NIGHT"  # Wed 17:00 CET
    assert who(layered, "2026-03-07T10:00:00") == "U0NIGHT"  # Saturday
    assert who(layered, "2026-03-09T08:30:00") == "U0DAY2"  # the next Monday, the next day person
    handoffs = next_handoffs(layered, [], utc("2026-03-06T12:00:00"), count=3)  # Friday 13:00 CET
    assert [(h.at, h.user) for h in handoffs] == [
        (utc("2026-03-06T16:00:00"), "U0NIGHT"),
        (utc("2026-03-09T08:00:00"), "U0DAY2"),
        (utc("2026-03-09T16:00:00"), "U0NIGHT"),
    ]


def test_an_override_wins_while_it_holds_and_its_end_is_a_handoff() -> None:
    primary = schedule(WEEKLY)
    cover = Override("U0CAROL", utc("2026-03-24T10:00:00"), utc("2026-03-24T14:00:00"))
    assert who(primary, "2026-03-24T09:59:59", [cover]) == "U0BOB"
    assert on_call(primary, [cover], utc("2026-03-24T10:00:00")).why == "override"
    assert who(primary, "2026-03-24T13:59:59", [cover]) == "U0CAROL"
    assert who(primary, "2026-03-24T14:00:00", [cover]) == "U0BOB"
    told = answer(primary, [cover], utc("2026-03-24T11:00:00"))
    assert told.now.user == "U0CAROL"
    assert [(h.at, h.user) for h in told.next[:2]] == [
        (utc("2026-03-24T14:00:00"), "U0BOB"),
        (utc("2026-03-30T07:00:00"), "U0ALICE"),
    ]


def test_a_later_override_wins_over_an_earlier_one() -> None:
    primary = schedule(WEEKLY)
    first = Override("U0CAROL", utc("2026-03-24T10:00:00"), utc("2026-03-24T18:00:00"))
    second = Override("U0DAVE", utc("2026-03-24T12:00:00"), utc("2026-03-24T13:00:00"))
    assert who(primary, "2026-03-24T12:30:00", [first, second]) == "U0DAVE"
    assert who(primary, "2026-03-24T13:30:00", [first, second]) == "U0CAROL"


@pytest.mark.parametrize(
    ("rotation", "problem"),
    [
        ({"users": ["U1"], "every": "fortnightly"}, "is not daily, weekly or a length like 3d"),
        ({"users": ["U1"], "every": "30m"}, "shorter than an hour"),
        ({"users": ["U1"], "handoff": "Monday 9am"}, "is not a handoff like"),
        ({"users": ["U1"], "handoff": "Mon 25:00"}, "is not a time of day"),
        ({"users": []}, "at least 1 item"),
        ({"users": ["U1"], "restrict": {"days": "Mon-Fry"}}, "is not a day or a range of days"),
        ({"users": ["U1"], "restrict": {"hours": "9-5"}}, "is not a span of hours"),
    ],
)
def test_a_malformed_rotation_is_refused_with_what_is_wrong(rotation: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        schedule(rotation)


def test_a_night_restriction_runs_past_midnight() -> None:
    nights = schedule({"users": ["U0OWL"], "restrict": {"days": "Fri", "hours": "22:00-06:00"}}, timezone="UTC")
    assert who(nights, "2026-03-06T21:59:00") is None  # Friday before 22:00
    assert who(nights, "2026-03-06T23:00:00") == "U0OWL"
    assert who(nights, "2026-03-07T05:59:00") == "U0OWL"  # Saturday morning
    assert who(nights, "2026-03-07T23:00:00") is None  # Saturday night is not Friday's
