"""Imported on-call calendars read from real-world-shaped iCalendar: a Google Calendar export (VTIMEZONE, TZID,
folded lines, a fortnightly RRULE with BYDAY, an EXDATE, a moved RECURRENCE-ID instance across the spring clock
change, a cancelled instance, an all-day swap, an unmapped person) and a PagerDuty feed (UTC, quoted CN)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.ical import CalendarError, components, content_line, duration, text_value, unfold
from bot.core.oncall_calendar import ImportedCalendar, read_calendar

SAMPLES = Path(__file__).parent / "calendars"
USERS = {"alice@example.com": "U0ALICE", "Bob Jones": "U0BOB", "carol": "U0CAROL"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def google() -> ImportedCalendar:
    text = (SAMPLES / "google_primary.ics").read_text()
    return read_calendar(text, users=USERS, timezone="Europe/Berlin")


def test_folded_lines_are_joined_and_text_is_unescaped() -> None:
    lines = unfold("BEGIN:VCALENDAR\r\nSUMMARY:On call\\; Bob\r\n  Jones\\, then\r\n\thandoff\\nnext\r\n")
    assert lines == ["BEGIN:VCALENDAR", "SUMMARY:On call\\; Bob Jones\\, thenhandoff\\nnext"]
    assert text_value(lines[1].partition(":")[2]) == "On call; Bob Jones, thenhandoff\nnext"
    prop = content_line('ATTENDEE;CN="Smith: Alice; SRE";PARTSTAT=ACCEPTED:mailto:alice@example.com')
    assert (prop.name, prop.params["CN"], prop.value) == ("ATTENDEE", "Smith: Alice; SRE", "mailto:alice@example.com")


def test_a_fortnightly_byday_rule_hands_over_on_mondays_at_nine_berlin_time(google: ImportedCalendar) -> None:
    assert google.user_at(utc("2026-03-02T07:59:59")) is None
    assert google.user_at(utc("2026-03-02T08:00:00")) == "U0ALICE"  # the attendee's address
    assert google.user_at(utc("2026-03-10T12:00:00")) == "U0BOB"  # "Primary on call\; Bob Jones\, …" (escaped)
    assert google.user_at(utc("2026-03-16T07:59:59")) == "U0BOB"
    assert google.user_at(utc("2026-03-16T08:00:00")) == "U0ALICE"
    assert google.user_at(utc("2026-04-20T07:00:00")) == "U0BOB"  # 09:00 summer time


def test_an_exdate_leaves_its_week_to_nobody(google: ImportedCalendar) -> None:
    assert google.user_at(utc("2026-03-31T12:00:00")) is None  # Alice's 30 March week is struck out
    assert google.user_at(utc("2026-04-14T12:00:00")) == "U0ALICE"


def test_a_moved_instance_replaces_its_original_and_ends_at_nine_summer_time(google: ImportedCalendar) -> None:
    assert google.user_at(utc("2026-03-23T10:00:00")) is None  # Bob's week starts a day late
    assert google.user_at(utc("2026-03-24T07:59:59")) is None
    assert google.user_at(utc("2026-03-24T08:00:00")) == "U0BOB"  # 09:00 CET
    assert google.user_at(utc("2026-03-30T06:59:59")) == "U0BOB"
    assert google.user_at(utc("2026-03-30T07:00:00")) is None  # 09:00 CEST, after the clocks went forward


def test_a_cancelled_instance_is_gone_and_the_series_goes_on(google: ImportedCalendar) -> None:
    assert google.user_at(utc("2026-04-08T12:00:00")) is None
    assert google.user_at(utc("2026-04-22T12:00:00")) == "U0BOB"


def test_an_all_day_swap_covers_the_local_day_on_top_of_the_week(google: ImportedCalendar) -> None:
    assert google.user_at(utc("2026-03-16T22:59:59")) == "U0ALICE"
    assert google.user_at(utc("2026-03-16T23:00:00")) == "U0CAROL"  # midnight in Berlin; the title names Carol first
    assert google.user_at(utc("2026-03-17T22:59:59")) == "U0CAROL"
    assert google.user_at(utc("2026-03-17T23:00:00")) == "U0ALICE"


def test_a_person_not_in_users_counts_as_nobody_and_is_named(google: ImportedCalendar) -> None:
    assert google.user_at(utc("2026-03-11T18:00:00")) == "U0BOB"  # Erin's evening: Bob's week shows through
    [line] = google.unmapped
    assert "erin@example.com" in line and "Erin shadows" in line


def test_boundaries_are_every_start_and_end_in_the_window(google: ImportedCalendar) -> None:
    assert sorted(google.boundaries(utc("2026-03-15T00:00:00"), utc("2026-03-25T00:00:00"))) == [
        utc("2026-03-16T08:00:00"), utc("2026-03-16T23:00:00"), utc("2026-03-17T23:00:00"),
        utc("2026-03-23T08:00:00"), utc("2026-03-24T08:00:00"),
    ]  # fmt: skip


def test_a_pagerduty_feed_in_utc_names_people_by_their_quoted_cn() -> None:
    text = (SAMPLES / "pagerduty_primary.ics").read_text()
    calendar = read_calendar(text, users={"Alice Smith": "U0ALICE", "bob.jones@example.com": "U0BOB"}, timezone="UTC")
    assert calendar.user_at(utc("2026-03-02T08:00:00")) == "U0ALICE"
    assert calendar.user_at(utc("2026-03-03T07:59:59")) == "U0ALICE"
    assert calendar.user_at(utc("2026-03-03T08:00:00")) == "U0BOB"  # the folded address, unfolded
    assert calendar.user_at(utc("2026-03-04T08:00:00")) is None


CALENDAR = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{}END:VCALENDAR\r\n"


def event(*lines: str) -> str:
    return "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n"


def test_a_floating_time_is_read_in_the_schedule_zone_and_a_duration_counts() -> None:
    text = CALENDAR.format(event("UID:1", "DTSTART:20260105T090000", "DURATION:PT8H", "SUMMARY:Carol"))
    calendar = read_calendar(text, users=USERS, timezone="America/New_York")
    assert calendar.user_at(utc("2026-01-05T13:59:59")) is None
    assert calendar.user_at(utc("2026-01-05T14:00:00")) == "U0CAROL"  # 09:00 EST
    assert calendar.user_at(utc("2026-01-05T22:00:00")) is None


def test_a_daily_rule_with_a_utc_until_stops_after_its_last_day() -> None:
    text = CALENDAR.format(event(
        "UID:2", "DTSTART;TZID=Europe/Berlin:20260326T220000", "DTEND;TZID=Europe/Berlin:20260327T060000",
        "RRULE:FREQ=DAILY;UNTIL=20260329T205959Z", "ORGANIZER;CN=Carol:mailto:carol@example.com",
    ))  # fmt: skip
    calendar = read_calendar(text, users=USERS, timezone="UTC")
    nights = [(s.starts, s.ends) for s in calendar.shifts(utc("2026-03-20T00:00:00"), utc("2026-04-05T00:00:00"))]
    assert nights == [
        (utc("2026-03-26T21:00:00"), utc("2026-03-27T05:00:00")),
        (utc("2026-03-27T21:00:00"), utc("2026-03-28T05:00:00")),
        (utc("2026-03-28T21:00:00"), utc("2026-03-29T04:00:00")),  # 06:00 CEST: the night the clocks go forward
        (utc("2026-03-29T20:00:00"), utc("2026-03-30T04:00:00")),  # 22:00 CEST, the last before UNTIL
    ]


def test_an_event_without_dtstart_is_left_out_and_said_why() -> None:
    text = CALENDAR.format(event("UID:3", "SUMMARY:Carol") + event("UID:4", "DTSTART:20260101", "SUMMARY:carol"))
    calendar = read_calendar(text, users=USERS, timezone="UTC")
    assert calendar.events == 1
    assert calendar.problems == ("'Carol' of ?: no DTSTART",)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<html>Sign in</html>", "BEGIN:VCALENDAR"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260101\r\n", "never ended"),
        ("BEGIN:VCALENDAR\r\nno colon here\r\nEND:VCALENDAR", "no ':'"),
    ],
)
def test_what_is_not_a_calendar_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(CalendarError, match=reason):
        components(text)


def test_durations_split_nominal_days_from_exact_time() -> None:
    assert duration("P1W") == duration("P7D")
    parsed = duration("P1DT12H")
    assert (parsed.days, parsed.exact.total_seconds()) == (1, 12 * 3600)
    with pytest.raises(CalendarError):
        duration("P")
