"""A route's escalation policy: who is paged, and when, while nobody acknowledges an incident.

Each level's `after` counts from when the incident opened (not from the level before), so levels are written in
increasing order: `[{after: 5m, …}, {after: 15m, …}]` pages at 5 and 15 minutes. `repeat_escalation: N` runs the
whole policy N more times, each round starting when the previous one's last level fired (PagerDuty's "repeat this
policy N times"): with the example and `repeat_escalation: 1`, the pages go out at 5, 15, 20 and 30 minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.durations import Duration

SCHEDULE_PREFIX = "schedule:"
MAX_REPEATS = 10
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL = re.compile(r"^(#[a-z0-9][a-z0-9_-]{0,79}|[CG][A-Z0-9]{2,})$")


def target_kind(target: str) -> str:
    """`user`, `schedule` or `channel`; ValueError for anything else."""
    if target.startswith(SCHEDULE_PREFIX) and len(target) > len(SCHEDULE_PREFIX):
        return "schedule"
    if _USER.match(target):
        return "user"
    if _CHANNEL.match(target):
        return "channel"
    raise ValueError(f"{target!r} is not a user id (U…), schedule:NAME, or a channel (#name or C…)")


class EscalationLevelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: Duration
    notify: list[str] = Field(min_length=1)

    @field_validator("notify")
    @classmethod
    def _targets(cls, targets: list[str]) -> list[str]:
        for target in targets:
            target_kind(target)
        return targets


def increasing(levels: list[EscalationLevelSettings]) -> list[EscalationLevelSettings]:
    for before, level in pairwise(levels):
        if level.after <= before.after:
            raise ValueError("each level's `after` counts from the incident's start, so it must be later than the "
                             "level before it's")  # fmt: skip
    return levels


@dataclass(frozen=True)
class Level:
    after: timedelta
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    """One page to send: `level` (1-based) of `round` (0 for the first pass), due `due` after the start."""

    number: int
    level: int
    round: int
    due: timedelta
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    levels: tuple[Level, ...]
    repeats: int = 0

    def __bool__(self) -> bool:
        return bool(self.levels)

    @property
    def steps(self) -> int:
        return len(self.levels) * (self.repeats + 1)

    def step(self, number: int) -> Step | None:
        """The `number`th step (0-based), or None when the policy is through."""
        if not self.levels or number >= self.steps:
            return None
        round_, index = divmod(number, len(self.levels))
        level = self.levels[index]
        return Step(number, index + 1, round_, round_ * self.levels[-1].after + level.after, level.notify)


def build_policy(levels: list[EscalationLevelSettings], repeats: int) -> Policy:
    return Policy(tuple(Level(level.after, tuple(level.notify)) for level in levels), repeats)
