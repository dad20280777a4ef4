"""`schedules[]` in the config: on-call rotations as people write them, checked and turned into the domain's
`bot.core.oncall.Schedule`. Every problem names its path (bot/config.py reports them)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bot.core.oncall import DAY_NAMES, Restriction, Rotation, Schedule
from bot.durations import parse_duration
from bot.validators import known_time_zone

NAMED_LENGTHS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
DEFAULT_START = date(2024, 1, 1)
"""When rotations start counting turns unless `start:` says otherwise (a Monday)."""
_HANDOFF = re.compile(r"^(?:([A-Za-z]{3})[a-z]*\s+)?(\d{1,2}):(\d{2})$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
SCHEDULE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$"
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")

CONFIG_DIR = "config_dir"
"""The validation context's key for the folder of the config file being read (relative paths are read from it)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _clock(hours: str, minutes: str, text: str) -> time:
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"{text!r} is not a time of day like 09:00")
    return time(int(hours), int(minutes))


def weekday_set(spec: str | list[str]) -> frozenset[int]:
    """`Mon-Fri`, `Sat,Sun` or a list of names: weekday numbers, Monday 0."""
    items = spec if isinstance(spec, list) else [part for part in spec.replace(" ", "").split(",") if part]
    days: set[int] = set()
    for item in items:
        first, _, last = str(item).lower().partition("-")
        ends = [first[:3], (last or first)[:3]]
        if any(end not in DAY_NAMES for end in ends):
            raise ValueError(f"{item!r} is not a day or a range of days like Mon-Fri")
        start, stop = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[1])
        days.update(d % 7 for d in range(start, start + (stop - start) % 7 + 1))
    if not days:
        raise ValueError("names no day (write Mon-Fri, or Sat,Sun)")
    return frozenset(days)


class RestrictionSettings(_Strict):
    """Where a layer has someone: `days` (Mon-Fri) and local `hours` ("09:00-17:00"; past midnight allowed)."""

    days: str | list[str] = "Mon-Sun"
    hours: str = "00:00-24:00"

    @field_validator("days")
    @classmethod
    def _days(cls, days: str | list[str]) -> str | list[str]:
        weekday_set(days)
        return days

    @field_validator("hours")
    @classmethod
    def _hours(cls, hours: str) -> str:
        _span(hours)
        return hours

    def build(self) -> Restriction:
        start, end = _span(self.hours)
        return Restriction(weekday_set(self.days), start, end)


def _span(hours: str) -> tuple[time, time]:
    match = _HOURS.match(hours.strip())
    if match is None:
        raise ValueError(f'{hours!r} is not a span of hours like "09:00-17:00"')
    start = _clock(match[1], match[2], hours)
    end = time(0) if (match[3], match[4]) == ("24", "00") else _clock(match[3], match[4], hours)
    if start == end and hours.strip() != "00:00-24:00":
        raise ValueError(f"{hours!r} starts and ends at the same time")
    return start, end


class RotationSettings(_Strict):
    """One layer: `users` in turn, each for `every` (daily, weekly or a length like 3d or 12h), handing over at
    `handoff` ("Mon 09:00", or "09:00") local time; `restrict` limits it to some hours."""

    users: list[str] = Field(min_length=1)
    every: str = "weekly"
    handoff: str = "Mon 09:00"
    start: date = DEFAULT_START
    """Turns are counted from the first handoff on or after this date (it sets a 3-day rotation's phase)."""
    restrict: RestrictionSettings | list[RestrictionSettings] = Field(default_factory=list)

    @field_validator("every")
    @classmethod
    def _length(cls, every: str) -> str:
        _length_of(every)
        return every

    @field_validator("handoff")
    @classmethod
    def _handoff(cls, handoff: str) -> str:
        _handoff_of(handoff)
        return handoff

    def build(self) -> Rotation:
        day, at = _handoff_of(self.handoff)
        first = datetime.combine(self.start, at)
        if day is not None:
            first += timedelta(days=(day - self.start.weekday()) % 7)
        restrictions = self.restrict if isinstance(self.restrict, list) else [self.restrict]
        return Rotation(tuple(self.users), _length_of(self.every), first, tuple(r.build() for r in restrictions))


def _length_of(every: str) -> timedelta:
    if every.lower() in NAMED_LENGTHS:
        return NAMED_LENGTHS[every.lower()]
    try:
        length = parse_duration(every)
    except ValueError:
        raise ValueError(f"{every!r} is not daily, weekly or a length like 3d or 12h") from None
    if length < timedelta(hours=1) or length.total_seconds() % 60:
        raise ValueError(f"{every!r} is shorter than an hour or not whole minutes")
    return length


def _handoff_of(handoff: str) -> tuple[int | None, time]:
    match = _HANDOFF.match(handoff.strip())
    if match is None or (match[1] is not None and match[1].lower() not in DAY_NAMES):
        raise ValueError(f'{handoff!r} is not a handoff like "Mon 09:00" or "09:00"')
    return (DAY_NAMES.index(match[1].lower()) if match[1] else None), _clock(match[2], match[3], handoff)


class IcsSettings(_Strict):
    """An iCalendar to import as the schedule's top layer: `url` (https) or `file`; `users` maps the addresses and
    names its events give to Slack user ids; read again every `refresh`."""

    url: str | None = None
    file: str | None = None
    users: dict[str, str] = Field(default_factory=dict)
    refresh: str = "15m"

    @field_validator("url")
    @classmethod
    def _https(cls, url: str | None) -> str | None:
        if url is not None:
            calendar_url_problem(url)
        return url

    @field_validator("file")
    @classmethod
    def _exists(cls, file: str | None, info: ValidationInfo) -> str | None:
        """A relative path is read from the config file's folder (`CONFIG_DIR` in the validation context), as a
        config that names its calendar beside itself means wherever it is started from; kept absolute."""
        if file is None:
            return None
        folder = (info.context or {}).get(CONFIG_DIR)
        path = Path(folder, file) if folder is not None else Path(file)
        if not path.is_file():
            where = "the config file's folder" if folder is not None else "the working directory"
            raise ValueError(f"{file!r} is not a file that can be read (a relative path is from {where})")
        return str(path.absolute())

    @field_validator("users")
    @classmethod
    def _slack_ids(cls, users: dict[str, str]) -> dict[str, str]:
        for name, user in users.items():
            if not _SLACK_USER.match(user):
                raise ValueError(f"{name!r} maps to {user!r}, which is not a Slack user id like U0123ABCD")
        return users

    @field_validator("refresh")
    @classmethod
    def _refresh(cls, refresh: str) -> str:
        try:
            every = parse_duration(refresh)
        except ValueError:
            raise ValueError(f"{refresh!r} is not a duration like 15m or 1h") from None
        if every < timedelta(minutes=1):
            raise ValueError(f"{refresh!r} is shorter than a minute, the shortest refresh")
        return refresh

    @model_validator(mode="after")
    def _one_source(self) -> IcsSettings:
        if (self.url is None) == (self.file is None):
            raise ValueError("give either `url` or `file` (one of them)")
        return self

    @property
    def every(self) -> timedelta:
        return parse_duration(self.refresh)


def calendar_url_problem(url: str) -> None:
    """Refuse a calendar URL that is not https (plain http only to this machine, for a local proxy or a test)."""
    parts = urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(f"{redact_url(url)!r} is not an https:// URL (plain http only to 127.0.0.1)")
    if not parts.hostname:
        raise ValueError(f"{redact_url(url)!r} names no host")


def redact_url(url: str) -> str:
    """The URL without what may be a secret, for logs and Slack: feeds carry their access token in the query string
    (`?token=`), the user info, or the path (Google's `/calendar/ical/ID/private-TOKEN/basic.ics`, PagerDuty's
    `/private/TOKEN/feed/ID`), so only the host and the path's last part are kept."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    segments = [s for s in parts.path.split("/") if s]
    path = "/" + segments[-1] if len(segments) == 1 else (f"/…/{segments[-1]}" if segments else "")
    hidden = "?…" if parts.query or parts.fragment else ""
    return f"{parts.scheme}://{netloc}{path}{hidden}"


class ScheduleSettings(_Strict):
    """One on-call schedule: `rotations` are its layers, lowest first, `ics` an imported calendar above them;
    `channel` is where handoffs are told."""

    name: str = Field(pattern=SCHEDULE_NAME)
    channel: str | None = None
    timezone: str = "UTC"
    rotations: list[RotationSettings] = Field(default_factory=list)
    ics: IcsSettings | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, timezone: str) -> str:
        return known_time_zone(timezone)

    @model_validator(mode="after")
    def _someone(self) -> ScheduleSettings:
        if not self.rotations and self.ics is None:
            raise ValueError("a schedule needs `rotations`, an `ics` calendar, or both")
        return self

    def build(self) -> Schedule:
        layers = tuple(r.build() for r in self.rotations)
        return Schedule(self.name, self.timezone, layers, self.channel, awaits_calendar=self.ics is not None)


def unique_schedule_names(schedules: list[ScheduleSettings]) -> list[ScheduleSettings]:
    names = [s.name for s in schedules]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"two schedules are named {name!r}; rename one")
    return schedules


def build_schedules(schedules: list[ScheduleSettings]) -> dict[str, Schedule]:
    return {s.name: s.build() for s in schedules}


def schedule_references(routes: list[Any]) -> list[tuple[str, str]]:
    """(path, schedule name) of every `schedule:NAME` a route's escalation or mentions name, for checking they
    exist."""
    found = []
    for i, route in enumerate(routes):
        for severity, mentioned in (getattr(route, "mentions", {}) or {}).items():
            for target in mentioned:
                if target.startswith("schedule:"):
                    found.append((f"routes[{i}].mentions.{severity}", target.removeprefix("schedule:")))
        for j, level in enumerate(getattr(route, "escalation", []) or []):
            for target in level.notify:
                if target.startswith("schedule:"):
                    found.append((f"routes[{i}].escalation[{j}].notify", target.removeprefix("schedule:")))
    return found
