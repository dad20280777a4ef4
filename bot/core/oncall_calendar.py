"""An on-call calendar imported from iCalendar (`schedules[].ics`): each VEVENT is a shift of the person it names.
Pure: the text comes in, shifts at instants come out (the loading is scheduler/oncall_calendars.py's).

Who a shift is: the first ATTENDEE (mailto: address or CN; one who declined is skipped), else a name or address
in its SUMMARY, else its ORGANIZER, found in `users` (case-insensitive) — ORGANIZER comes last because a shared
calendar's events are often organized by whoever keeps the calendar, while the title names who is on call. A shift
no one in `users` matches counts as nobody: the rotations below decide there, and `unmapped` says who it named.

Times: a TZID is an IANA zone (a Mozilla-style `/mozilla.org/…/Europe/Berlin` prefix is dropped); a floating time
and an all-day DATE are read in the schedule's zone. Recurrences (RRULE, RDATE, EXDATE) are counted on the local
calendar of the event's zone, so a weekly Monday 09:00 shift starts at 09:00 on both sides of a clock change, and
each instance keeps the wall-clock length DTSTART–DTEND shows (DURATION: days nominal, hours exact, §3.3.6). An
instance moved or changed by a RECURRENCE-ID event is replaced by it; STATUS:CANCELLED removes an event or an
instance. Where shifts overlap, the one that began last holds (a one-day swap on top of a week).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from bot.core.ical import CalendarError, Component, Moment, components, duration, moment, moments, text_value
from bot.wallclock import instant_of, local_naive

WINDOW = timedelta(days=66)
"""How far ahead of a question the shifts are worked out at once (past the on-call answer's two-month horizon)."""
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)


@dataclass(frozen=True)
class Shift:
    starts: datetime
    ends: datetime
    user: str


@dataclass(frozen=True)
class _Event:
    zone: ZoneInfo
    start: datetime
    """Naive, on the clock of `zone`."""
    nominal: timedelta
    exact: timedelta
    user: str
    rule: Any = None
    """A dateutil rrule over naive local times, or None for a single shift."""
    extra: tuple[datetime, ...] = ()
    """RDATE starts, naive local."""
    skipped: frozenset[datetime] = frozenset()
    """Instants of starts that EXDATE removes or a RECURRENCE-ID event replaces."""

    def end(self, local_start: datetime) -> datetime:
        return instant_of(self.zone, local_start + self.nominal) + self.exact

    def starts_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Naive local starts of instances that may overlap [start, end] (a day's slack either side for DST)."""
        low = local_naive(self.zone, start) - self.nominal - self.exact - timedelta(days=1)
        high = local_naive(self.zone, end) + timedelta(days=1)
        found = list(self.rule.between(low, high, inc=True)) if self.rule is not None else [self.start]
        return found + [s for s in self.extra if low <= s <= high]


class ImportedCalendar:
    """The shifts of one imported calendar. `user_at` and `boundaries` make it a layer above the rotations."""

    def __init__(self, events: list[_Event], unmapped: list[str], problems: list[str]) -> None:
        self._events = events
        self.unmapped = tuple(unmapped)
        """What each shift no one in `users` matches named, for the warning."""
        self.problems = tuple(problems)
        """Events left out, and why (no DTSTART, an RRULE dateutil cannot read, an unknown TZID read locally)."""
        self._cached: tuple[datetime, datetime, tuple[Shift, ...]] | None = None

    @property
    def events(self) -> int:
        return len(self._events)

    def shifts(self, start: datetime, end: datetime) -> tuple[Shift, ...]:
        """The shifts that overlap [start, end], by when they start."""
        cached = self._cached
        if cached is None or not (cached[0] <= start and end <= cached[1]):
            low, high = start - timedelta(days=1), max(end, start + WINDOW)
            cached = (low, high, self._expand(low, high))
            self._cached = cached  # one assignment: a reader in another thread sees the old window or the new
        return tuple(s for s in cached[2] if s.starts <= end and s.ends > start)

    def _expand(self, start: datetime, end: datetime) -> tuple[Shift, ...]:
        found = []
        for event in self._events:
            for local in event.starts_between(start, end):
                starts = instant_of(event.zone, local)
                if starts in event.skipped:
                    continue
                ends = event.end(local)
                if ends > starts and starts <= end and ends > start:
                    found.append(Shift(starts, ends, event.user))
        return tuple(sorted(set(found), key=lambda s: (s.starts, s.ends)))

    def user_at(self, at: datetime) -> str | None:
        holding = [s for s in self.shifts(at, at) if s.starts <= at < s.ends]
        return max(holding, key=lambda s: (s.starts, -s.ends.timestamp())).user if holding else None

    def boundaries(self, start: datetime, end: datetime) -> set[datetime]:
        """Instants in (start, end] at which a shift begins or ends."""
        return {t for s in self.shifts(start, end) for t in (s.starts, s.ends) if start < t <= end}


def read_calendar(text: str, *, users: dict[str, str], timezone: str) -> ImportedCalendar:
    """The shifts of an iCalendar text. Raises CalendarError when it is not one."""
    by_name = {key.strip().lower(): user for key, user in users.items()}
    home = ZoneInfo(timezone)
    events = components(text)
    problems: list[str] = []
    moved: dict[str, set[datetime]] = {}
    for event in events:
        if (recurrence := event.first("RECURRENCE-ID")) is not None and (uid := _uid(event)):
            try:
                moved.setdefault(uid, set()).add(_instant(moment(recurrence.value, recurrence.params), home, problems))
            except CalendarError as exc:
                problems.append(f"{_title(event)}: RECURRENCE-ID {exc}")
    shifts: list[_Event] = []
    unmapped: list[str] = []
    for event in events:
        try:
            built = _event(event, by_name, home, moved, problems, unmapped)
        except (CalendarError, ValueError) as exc:
            problems.append(f"{_title(event)}: {exc}")
            continue
        if built is not None:
            shifts.append(built)
    return ImportedCalendar(shifts, unmapped, problems)


def _event(
    event: Component,
    users: dict[str, str],
    home: ZoneInfo,
    moved: dict[str, set[datetime]],
    problems: list[str],
    unmapped: list[str],
) -> _Event | None:
    if (status := event.first("STATUS")) is not None and status.value.strip().upper() == "CANCELLED":
        return None
    start_prop = event.first("DTSTART")
    if start_prop is None:
        raise CalendarError("no DTSTART")
    start = moment(start_prop.value, start_prop.params)
    zone = _zone(start, home, problems)
    nominal, exact = _length(event, start, zone, home, problems)
    user, named = _who(event, users)
    if user is None:
        unmapped.append(f"{_title(event)} ({', '.join(named) or 'no one named'})")
        return None
    rule = None
    is_instance = event.first("RECURRENCE-ID") is not None
    if (rrule := event.first("RRULE")) is not None and not is_instance:
        rule = rrulestr(_local_until(rrule.value, zone), dtstart=start.local, cache=False)
    extra = tuple(
        local_naive(zone, _instant(m, home, problems)) for p in event.every("RDATE") for m in _plain_moments(p)
    )
    skipped = {_instant(m, home, problems) for p in event.every("EXDATE") for m in moments(p)}
    if not is_instance:
        skipped |= moved.get(_uid(event), set())
    return _Event(zone, start.local, nominal, exact, user, rule, extra, frozenset(skipped))


def _plain_moments(prop: Any) -> list[Moment]:
    return [] if prop.params.get("VALUE", "").upper() == "PERIOD" else moments(prop)


def _length(
    event: Component, start: Moment, zone: ZoneInfo, home: ZoneInfo, problems: list[str]
) -> tuple[timedelta, timedelta]:
    """(nominal, exact) length: DTEND in the start's zone is wall-clock; in another zone, exact."""
    if (end_prop := event.first("DTEND")) is not None:
        end = moment(end_prop.value, end_prop.params)
        if _zone(end, home, problems) == zone and end.utc == start.utc:
            return end.local - start.local, timedelta(0)
        return timedelta(0), _instant(end, home, problems) - _instant(start, home, problems)
    if (length := event.first("DURATION")) is not None:
        parsed = duration(length.value)
        return timedelta(days=parsed.days), parsed.exact
    return (timedelta(days=1) if start.is_date else timedelta(0)), timedelta(0)


def _zone(when: Moment, home: ZoneInfo, problems: list[str]) -> ZoneInfo:
    if when.utc:
        return ZoneInfo("UTC")
    if when.tzid is None:
        return home
    for name in (when.tzid, "/".join(when.tzid.strip("/").split("/")[-2:])):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    note = f"TZID {when.tzid!r} is not an IANA time zone: read in {home.key}"
    if note not in problems:
        problems.append(note)
    return home


def _instant(when: Moment, home: ZoneInfo, problems: list[str]) -> datetime:
    return instant_of(_zone(when, home, problems), when.local)


def _local_until(rule: str, zone: ZoneInfo) -> str:
    """The RRULE with its UNTIL on the event's local clock: dateutil counts naive local times, and refuses a UTC
    UNTIL beside a naive start."""
    parts = []
    for part in rule.strip().split(";"):
        key, _, value = part.partition("=")
        if key.upper() == "UNTIL":
            until = moment(value, {})
            local = local_naive(zone, until.local.replace(tzinfo=UTC)) if until.utc else until.local
            if until.is_date:
                local += timedelta(days=1, seconds=-1)  # a DATE UNTIL includes its day
            value = f"{local:%Y%m%dT%H%M%S}"
        parts.append(f"{key}={value}")
    return ";".join(parts)


def _uid(event: Component) -> str:
    uid = event.first("UID")
    return uid.value.strip() if uid else ""


def _title(event: Component) -> str:
    summary = event.first("SUMMARY")
    start = event.first("DTSTART")
    return f"{text_value(summary.value) if summary else 'an event'!r} of {start.value if start else '?'}"


def _who(event: Component, users: dict[str, str]) -> tuple[str | None, list[str]]:
    named: list[str] = []
    for attendee in event.every("ATTENDEE"):
        if attendee.params.get("PARTSTAT", "").upper() != "DECLINED":
            named += [_MAILTO.sub("", attendee.value).strip(), attendee.params.get("CN", "").strip()]
    for name in named:
        if name and name.lower() in users:
            return users[name.lower()], [n for n in named if n]
    summary = event.first("SUMMARY")
    if summary is not None and (title := text_value(summary.value).strip()):
        named.append(title)
        if user := _in_title(title, users):
            return user, named
    if (organizer := event.first("ORGANIZER")) is not None:
        for name in (_MAILTO.sub("", organizer.value).strip(), organizer.params.get("CN", "").strip()):
            named.append(name)
            if name and name.lower() in users:
                return users[name.lower()], named
    return None, [n for n in named if n]


def _in_title(title: str, users: dict[str, str]) -> str | None:
    """The user a title names: all of it, else the `users` key found earliest in it as whole words ("Carol covers
    for Alice" is Carol's), the longer of two found at the same place."""
    lowered = title.lower()
    if lowered in users:
        return users[lowered]
    found = [
        (match.start(), -len(key), key)
        for key in users
        if (match := re.search(rf"(?<![\w@.]){re.escape(key)}(?![\w@])", lowered)) is not None
    ]
    return users[min(found)[2]] if found else None
