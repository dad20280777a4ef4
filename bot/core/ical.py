"""iCalendar (RFC 5545) as far as on-call shifts need it: content lines unfolded (§3.1), parameters with quoted
values, TEXT unescaped (§3.3.11), DATE, DATE-TIME (UTC, TZID or floating) and DURATION values, and the VEVENT
components with their properties. Pure; what the events mean is bot/core/oncall_calendar.py's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

_DATE_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$")
_DURATION = re.compile(r"^([+-]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_ESCAPED = re.compile(r"\\([\\;,nN])")


class CalendarError(ValueError):
    """The text is not an iCalendar object (its reason names the line)."""


@dataclass(frozen=True)
class Property:
    name: str
    """Upper case, as RFC 5545 names are case-insensitive."""
    value: str
    params: dict[str, str] = field(default_factory=dict)
    """Parameter names upper case, values unquoted."""


@dataclass
class Component:
    name: str
    properties: list[Property] = field(default_factory=list)

    def first(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    def every(self, name: str) -> list[Property]:
        return [p for p in self.properties if p.name == name]


@dataclass(frozen=True)
class Moment:
    """A DATE or DATE-TIME as written: `local` is naive; `utc` when it ended in Z; `tzid` when it named a zone;
    neither for a floating time or a DATE."""

    local: datetime
    utc: bool = False
    tzid: str | None = None
    is_date: bool = False


def unfold(text: str) -> list[str]:
    """Content lines: a line break followed by one space or tab continues the line before (§3.1)."""
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def content_line(line: str) -> Property:
    """`NAME;PARAM=value;PARAM="quoted:value":VALUE`: a colon or semicolon inside quotes is part of the value."""
    at, quoted, parts, start = 0, False, [], 0
    while at < len(line):
        char = line[at]
        if char == '"':
            quoted = not quoted
        elif not quoted and char in ";:":
            parts.append(line[start:at])
            start = at + 1
            if char == ":":
                break
        at += 1
    else:
        raise CalendarError(f"{line[:60]!r} has no ':' between its name and value")
    name, params = parts[0].upper(), {}
    for param in parts[1:]:
        key, _, value = param.partition("=")
        params[key.upper()] = value.strip('"')
    return Property(name, line[start:], params)


def components(text: str, wanted: str = "VEVENT") -> list[Component]:
    """Every `wanted` component, however deeply nested (VEVENTs sit in a VCALENDAR)."""
    lines = unfold(text.lstrip("\ufeff"))
    if not lines or lines[0].upper() != "BEGIN:VCALENDAR":
        raise CalendarError("it does not begin with BEGIN:VCALENDAR")
    found: list[Component] = []
    stack: list[Component] = []
    for line in lines:
        prop = content_line(line)
        if prop.name == "BEGIN":
            stack.append(Component(prop.value.upper()))
        elif prop.name == "END":
            if not stack or stack[-1].name != prop.value.upper():
                raise CalendarError(f"END:{prop.value} does not close the component it ends")
            done = stack.pop()
            if done.name == wanted:
                found.append(done)
        elif stack:
            stack[-1].properties.append(prop)
    if stack:
        raise CalendarError(f"BEGIN:{stack[-1].name} is never ended (the file is cut short?)")
    return found


def text_value(value: str) -> str:
    """A TEXT value with its backslash escapes read (§3.3.11)."""
    return _ESCAPED.sub(lambda m: "\n" if m[1] in "nN" else m[1], value)


def moments(prop: Property) -> list[Moment]:
    """The DATE / DATE-TIME values of a property (EXDATE and RDATE may list several, comma-separated)."""
    return [moment(item, prop.params) for item in prop.value.split(",") if item.strip()]


def moment(value: str, params: dict[str, str]) -> Moment:
    match = _DATE_TIME.match(value.strip())
    if match is None:
        raise CalendarError(f"{value!r} is not a DATE or DATE-TIME")
    day = date(int(match[1]), int(match[2]), int(match[3]))
    if match[4] is None:
        return Moment(datetime.combine(day, datetime.min.time()), is_date=True)
    local = datetime(day.year, day.month, day.day, int(match[4]), int(match[5]), min(int(match[6]), 59))
    return Moment(local, utc=bool(match[7]), tzid=None if match[7] else params.get("TZID"))


@dataclass(frozen=True)
class Duration:
    """A DURATION split as §3.3.6 reads it: weeks and days are nominal (calendar days, as the clock shows them),
    hours, minutes and seconds exact."""

    days: int
    exact: timedelta


def duration(value: str) -> Duration:
    match = _DURATION.match(value.strip())
    if match is None or value.strip().rstrip("T") in ("P", "+P", "-P"):
        raise CalendarError(f"{value!r} is not a DURATION like PT8H or P1W")
    sign = -1 if match[1] == "-" else 1
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups()[1:])
    exact = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return Duration(sign * (weeks * 7 + days), sign * exact)
