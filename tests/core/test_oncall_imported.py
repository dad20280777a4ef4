"""An imported calendar as a schedule's top layer: its shifts win over the rotations, an override wins over it, a
shift of no one falls through, the next handoffs and the handoff notes follow it across the spring clock change;
`schedules[].ics` is checked when the config loads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from bot.blocks.oncall import handoff_note
from bot.config import describe_validation_error
from bot.core.oncall import Override, Schedule, answer, on_call
from bot.core.oncall_calendar import read_calendar
from bot.core.oncall_settings import ScheduleSettings, redact_url
from bot.core.oncall_store import announce_handoffs
from bot.store import Database
from bot.store.models import OutboxItem

# Rotation: Alice and Bob daily at 09:00 Berlin. Calendar: Carol's nights 22:00-06:00 from Thu 26 March, across
# the night the clocks go forward (Sun 29 March 02:00 CET → 03:00 CEST), and a shift of someone not in `users`.
CALENDAR = """BEGIN:VCALENDAR\r
VERSION:2.0\r
BEGIN:VEVENT\r
UID:nights\r
DTSTART;TZID=Europe/Berlin:20260326T220000\r
DTEND;TZID=Europe/Berlin:20260327T060000\r
RRULE:FREQ=DAILY;COUNT=5\r
ATTENDEE;CN=Carol:mailto:carol@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:stranger\r
DTSTART:20260401T100000Z\r
DTEND:20260401T120000Z\r
SUMMARY:Dave on call\r
END:VEVENT\r
END:VCALENDAR\r
"""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def primary(calendar: str = CALENDAR, channel: str | None = None) -> Schedule:
    settings = ScheduleSettings.model_validate({
        "name": "primary", "timezone": "Europe/Berlin", "channel": channel,
        "rotations": [{"users": ["U0ALICE", "U0BOB"], "every": "daily", "handoff": "09:00", "start": "2026-03-26"}],
    })  # fmt: skip
    imported = read_calendar(calendar, users={"carol@example.com": "U0CAROL"}, timezone="Europe/Berlin")
    return replace(settings.build(), calendar=imported, awaits_calendar=False)


def test_an_imported_shift_wins_over_the_rotation_and_an_override_over_both() -> None:
    schedule = primary()
    assert on_call(schedule, [], utc("2026-03-26T20:59:59")).user == "U0ALICE"
    assert on_call(schedule, [], utc("2026-03-26T21:00:00")) == on_call(schedule, [], utc("2026-03-27T04:59:59"))
    assert on_call(schedule, [], utc("2026-03-26T21:00:00")).why == "calendar"
    assert on_call(schedule, [], utc("2026-03-27T05:00:00")).user == "U0ALICE"  # Thursday's turn until 09:00
    override = Override("U0DAN", utc("2026-03-26T23:00:00"), utc("2026-03-27T00:00:00"))
    assert on_call(schedule, [override], utc("2026-03-26T23:30:00")).user == "U0DAN"
    assert on_call(schedule, [override], utc("2026-03-27T00:00:00")).user == "U0CAROL"


def test_a_shift_of_someone_not_in_users_falls_through_to_the_rotation() -> None:
    schedule = primary()
    assert (
        on_call(schedule, [], utc("2026-04-01T11:00:00")).user == on_call(schedule, [], utc("2026-04-01T09:00:00")).user
    )
    assert on_call(schedule, [], utc("2026-04-01T11:00:00")).why == "rotation"


def test_the_next_handoffs_follow_the_calendar_across_the_spring_change() -> None:
    handoffs = answer(primary(), [], utc("2026-03-28T12:00:00"), count=4).next
    assert [(h.at, h.user, h.why) for h in handoffs] == [
        (utc("2026-03-28T21:00:00"), "U0CAROL", "calendar"),  # 22:00 CET
        (utc("2026-03-29T04:00:00"), "U0ALICE", "rotation"),  # 06:00 CEST (Saturday's turn), the clocks an hour on
        (utc("2026-03-29T07:00:00"), "U0BOB", "rotation"),  # 09:00 CEST
        (utc("2026-03-29T20:00:00"), "U0CAROL", "calendar"),  # 22:00 CEST
    ]


async def test_an_imported_shift_change_is_told_as_a_handoff(db: Database) -> None:
    schedule = primary(channel="#ops")

    async def look(at: str, book: Schedule = schedule) -> int:
        now = utc(at)
        return int(
            await db.run(lambda s: announce_handoffs(s, schedules={"primary": book}, now=now, words=handoff_note))
        )

    assert await look("2026-03-26T20:00:00") == 0
    assert await look("2026-03-26T21:00:00") == 1
    assert await look("2026-03-27T05:00:00") == 1
    texts = await db.run(lambda s: [i.payload["text"] for i in s.scalars(select(OutboxItem).order_by(OutboxItem.id))])
    assert "<@U0CAROL> is now on call" in texts[0] and "(then <@U0ALICE>)" in texts[0]
    assert "<@U0ALICE> is now on call" in texts[1]
    # A schedule whose calendar has not loaded yet tells nothing (its rotation's answer would be wrong).
    assert await look("2026-03-27T21:00:00", replace(schedule, calendar=None, awaits_calendar=True)) == 0


def schedule_with(ics: dict[str, Any]) -> ScheduleSettings:
    return ScheduleSettings.model_validate({"name": "primary", "ics": ics})


def test_a_schedule_may_be_a_calendar_alone(tmp_path: Path) -> None:
    (tmp_path / "oncall.ics").write_text(CALENDAR)
    built = schedule_with({"file": str(tmp_path / "oncall.ics"), "users": {"carol@example.com": "U0CAROL"}}).build()
    assert (built.layers, built.awaits_calendar, built.calendar) == ((), True, None)


@pytest.mark.parametrize(
    ("ics", "problem"),
    [
        ({"url": "http://calendar.example.com/feed.ics?token=s3cret"}, "not an https:// URL"),
        ({"url": "ftp://calendar.example.com/feed.ics"}, "not an https:// URL"),
        ({"file": "/nowhere/oncall.ics"}, "'/nowhere/oncall.ics' is not a file"),
        ({}, "either `url` or `file`"),
        ({"url": "https://x.example.com/a.ics", "users": {"alice@example.com": "alice"}}, "not a Slack user id"),
        ({"url": "https://x.example.com/a.ics", "refresh": "10s"}, "shorter than a minute"),
    ],
)
def test_a_bad_ics_setting_is_refused_with_a_reason_and_no_secret(ics: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        schedule_with(ics)
    said = "\n".join(describe_validation_error(caught.value))  # what `boltwatch run` prints
    assert problem in said
    assert "s3cret" not in said


def test_a_plain_http_url_is_allowed_only_to_this_machine() -> None:
    assert schedule_with({"url": "http://127.0.0.1:8080/oncall.ics"}).ics is not None
    assert schedule_with({"url": "https://calendar.example.com/oncall.ics"}).ics is not None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://calendar.google.com/calendar/ical/c_5f1e%40group.calendar.google.com/private-9f8e7d/basic.ics",
            "https://calendar.google.com/…/basic.ics",
        ),
        ("https://acme.pagerduty.com/private/0a1b2c3d/feed/PABC123", "https://acme.pagerduty.com/…/PABC123"),
        ("https://user:pw@cal.example.com:8443/oncall.ics?token=s3cret#x", "https://cal.example.com:8443/oncall.ics?…"),
    ],
)
def test_a_calendar_url_is_shown_without_its_secrets(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_refresh_defaults_to_a_quarter_hour() -> None:
    ics = schedule_with({"url": "https://calendar.example.com/oncall.ics"}).ics
    assert ics is not None and ics.every == timedelta(minutes=15)


async def test_a_replica_with_an_older_calendar_does_not_tell_the_old_answer_back(db: Database) -> None:
    """Replica A has read the edited calendar (Dave's shift instead of Carol's night), replica B has not yet."""
    edited = CALENDAR.replace("mailto:carol@example.com", "mailto:dave@example.com")
    users = {"carol@example.com": "U0CAROL", "dave@example.com": "U0DAVE"}
    zone = "Europe/Berlin"
    old = replace(primary(channel="#ops"), calendar_read_at=utc("2026-03-26T21:00:00"))
    new = replace(
        old, calendar=read_calendar(edited, users=users, timezone=zone), calendar_read_at=utc("2026-03-26T22:00:00")
    )

    async def look(book: Schedule, at: str) -> tuple[int, list[str]]:
        behind: list[str] = []
        now = utc(at)
        told = await db.run(lambda s: announce_handoffs(
            s, schedules={"primary": book}, now=now, words=handoff_note, behind=behind
        ))  # fmt: skip
        return int(told), behind

    assert await look(old, "2026-03-26T21:30:00") == (0, [])  # B remembers Carol's night
    assert await look(new, "2026-03-26T22:00:30") == (1, [])  # A read the edit after that: it tells Dave
    assert await look(old, "2026-03-26T22:00:35") == (0, ["primary"])  # B read before Dave was told: it asks to read
    assert await look(new, "2026-03-26T22:00:40") == (0, [])
    # B, its calendar read again, agrees; the morning handoff to the rotation is told once, by either.
    caught_up = replace(new, calendar_read_at=utc("2026-03-26T22:01:00"))
    assert await look(caught_up, "2026-03-27T05:00:30") == (1, [])
    assert await look(old, "2026-03-27T05:00:35") == (0, [])
