"""On-call schedules: who is on call at an instant, and when that changes. Pure: no clock, no database.

A schedule is layers (its `rotations[]`, later ones above earlier ones) and overrides above them all. A rotation
hands over at a local wall-clock time in the schedule's time zone (PagerDuty's and Opsgenie's model: a 09:00
handoff stays at 09:00 when the clocks change), so its turns are counted on the local calendar, never in UTC
seconds. A layer with restrictions (business hours) has someone only inside them; where the highest layer has
no one, the one below it decides. An imported calendar (`ics:`, bot/core/oncall_calendar.py) is a layer above all
the rotations: where one of its shifts names someone, they are on call; overrides still win over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import chain
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.views.oncall import Handoff, OnCall, OnCallAnswer
from bot.wallclock import instant_of, local_naive

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names as `datetime.weekday()` counts them (Monday is 0)."""
HORIZON = timedelta(days=62)
"""How far ahead the next handoffs are looked for (a two-week rotation of four people still shows one)."""


@dataclass(frozen=True)
class Restriction:
    """Local `days` (weekday numbers, Monday 0) and hours `start`–`end`; an `end` not after `start` runs past
    midnight into the next day (22:00-06:00 on Fri is Friday night to Saturday morning)."""

    days: frozenset[int]
    start: time
    end: time

    def covers(self, local: datetime) -> bool:
        moment, day = local.time(), local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= moment < self.end
        return (day in self.days and moment >= self.start) or ((day - 1) % 7 in self.days and moment < self.end)

    def boundaries(self, day: date) -> Iterator[datetime]:
        """The local moments of `day` at which this restriction may begin or end."""
        yield datetime.combine(day, self.start)
        yield datetime.combine(day, self.end)


@dataclass(frozen=True)
class Rotation:
    """Users in turn, each for `length` of local wall-clock time, turns starting at `first_handoff` (local)."""

    users: tuple[str, ...]
    length: timedelta
    first_handoff: datetime
    """Naive local time of a handoff to `users[0]`; every turn before and after it follows from it."""
    restrictions: tuple[Restriction, ...] = ()

    def handoff(self, zone: ZoneInfo, turn: int) -> datetime:
        """The instant turn number `turn` (counted from `first_handoff`, maybe negative) begins."""
        return instant_of(zone, self.first_handoff + turn * self.length)

    def turn(self, zone: ZoneInfo, at: datetime) -> int:
        """The turn that holds the instant `at`. Counted on the local calendar, then settled against the handoff
        instants, so that the hour the autumn change repeats does not hand the turn back."""
        turn = (local_naive(zone, at) - self.first_handoff) // self.length
        while self.handoff(zone, turn + 1) <= at:
            turn += 1
        while self.handoff(zone, turn) > at:
            turn -= 1
        return turn

    def user_at(self, zone: ZoneInfo, at: datetime) -> str | None:
        if self.restrictions and not any(r.covers(local_naive(zone, at)) for r in self.restrictions):
            return None
        return self.users[self.turn(zone, at) % len(self.users)]

    def boundaries(self, zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
        """Instants in (start, end] at which who this layer has may change."""
        turn = self.turn(zone, start) + 1
        while (handoff := self.handoff(zone, turn)) <= end:
            yield handoff
            turn += 1
        if self.restrictions:
            day = local_naive(zone, start).date()
            while day <= local_naive(zone, end).date():
                for restriction in self.restrictions:
                    yield from (i for b in restriction.boundaries(day) if start < (i := instant_of(zone, b)) <= end)
                day += timedelta(days=1)


@dataclass(frozen=True)
class Override:
    """`user` is on call from `starts` to `ends` (aware instants), above every layer."""

    user: str
    starts: datetime
    ends: datetime


class Shifts(Protocol):
    """An imported calendar as a layer: who its shift at an instant names, and when its shifts begin and end."""

    def user_at(self, at: datetime) -> str | None: ...

    def boundaries(self, start: datetime, end: datetime) -> set[datetime]: ...


@dataclass(frozen=True)
class Schedule:
    name: str
    timezone: str
    layers: tuple[Rotation, ...]
    """Lowest first: a later layer covers an earlier one wherever it has someone."""
    channel: str | None = None
    calendar: Shifts | None = None
    """The imported calendar's shifts, above every layer; None until it is loaded (or when there is none)."""
    calendar_read_at: datetime | None = None
    """When `calendar` was read (by this process's clock)."""
    awaits_calendar: bool = False
    """It imports a calendar whose first load has not been tried yet: its handoffs are not told until it has."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def on_call(schedule: Schedule, overrides: list[Override], at: datetime) -> OnCall:
    """Who is on call in `schedule` at the aware instant `at`."""
    for override in sorted(overrides, key=lambda o: o.starts, reverse=True):
        if override.starts <= at < override.ends:
            return OnCall(override.user, "override")
    if schedule.calendar is not None and (user := schedule.calendar.user_at(at)) is not None:
        return OnCall(user, "calendar")
    for number in range(len(schedule.layers), 0, -1):
        user = schedule.layers[number - 1].user_at(schedule.zone, at)
        if user is not None:
            return OnCall(user, f"layer {number}" if len(schedule.layers) > 1 else "rotation")
    return OnCall(None)


def next_handoffs(schedule: Schedule, overrides: list[Override], at: datetime, count: int = 3) -> list[Handoff]:
    """The next `count` times within HORIZON at which the person on call changes, with who takes over."""
    zone = schedule.zone
    moments = set(chain.from_iterable(layer.boundaries(zone, at, at + HORIZON) for layer in schedule.layers))
    if schedule.calendar is not None:
        moments |= schedule.calendar.boundaries(at, at + HORIZON)
    moments |= {t for o in overrides for t in (o.starts, o.ends) if at < t <= at + HORIZON}
    handoffs: list[Handoff] = []
    current = on_call(schedule, overrides, at).user
    for moment in sorted(m for m in moments if m > at):
        who = on_call(schedule, overrides, moment)
        if who.user != current:
            handoffs.append(Handoff(moment, who.user, who.why))
            current = who.user
            if len(handoffs) == count:
                break
    return handoffs


def answer(schedule: Schedule, overrides: list[Override], at: datetime, count: int = 3) -> OnCallAnswer:
    return OnCallAnswer(
        schedule.name, schedule.timezone, on_call(schedule, overrides, at),
        tuple(next_handoffs(schedule, overrides, at, count)),
    )  # fmt: skip
