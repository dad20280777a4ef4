"""Routes: label matchers → channel, grouping and timing (Alertmanager's vocabulary)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core.escalation_policy import MAX_REPEATS, EscalationLevelSettings, Policy, build_policy, increasing
from bot.durations import Duration, DurationOrZero
from bot.enums import Severity
from bot.flapping import DEFAULT_START, DEFAULT_STOP
from bot.validators import regular_expressions

DEFAULT_GROUP_BY = ("check", "account", "region")


class RouteSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    match: dict[str, str] = Field(default_factory=dict)
    match_re: dict[str, str] = Field(default_factory=dict)
    channel: str | None = None
    group_by: list[str] = Field(default_factory=lambda: list(DEFAULT_GROUP_BY))
    group_wait: DurationOrZero = timedelta(0)
    group_interval: DurationOrZero = timedelta(seconds=10)
    repeat_interval: Duration = timedelta(hours=4)
    send_resolved: bool = True
    mentions: dict[Severity, list[str]] = Field(default_factory=dict)
    flap_start: float = Field(default=DEFAULT_START, gt=0, le=100)
    """Percent state change above which an alert starts flapping (Nagios's high threshold)."""
    flap_stop: float = Field(default=DEFAULT_STOP, ge=0, le=100)
    """Percent state change below which a flapping alert stops flapping (the low threshold)."""
    escalation: list[EscalationLevelSettings] = Field(default_factory=list)
    """Who is paged while nobody acknowledges an incident of this route (bot/core/escalation_policy.py)."""
    repeat_escalation: int = Field(default=0, ge=0, le=MAX_REPEATS)
    """How many more times the whole escalation runs after its last level."""

    @field_validator("escalation")
    @classmethod
    def _levels_in_order(cls, levels: list[EscalationLevelSettings]) -> list[EscalationLevelSettings]:
        return increasing(levels)

    @model_validator(mode="after")
    def _stop_not_above_start(self) -> RouteSettings:
        if self.flap_stop > self.flap_start:
            raise ValueError(f"flap_stop ({self.flap_stop}) must not be above flap_start ({self.flap_start})")
        return self

    @field_validator("match_re")
    @classmethod
    def _valid_patterns(cls, patterns: dict[str, str]) -> dict[str, str]:
        return regular_expressions(patterns)


@dataclass(frozen=True)
class Route:
    name: str
    channel: str
    match: tuple[tuple[str, str], ...]
    match_re: tuple[tuple[str, re.Pattern[str]], ...]
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta
    send_resolved: bool
    mentions: dict[Severity, tuple[str, ...]]
    flap_start: float = DEFAULT_START
    flap_stop: float = DEFAULT_STOP
    escalation: Policy = field(default_factory=lambda: Policy(()))

    def matches(self, labels: dict[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match) and all(
            p.fullmatch(labels.get(k, "")) for k, p in self.match_re
        )

    def group_key(self, labels: dict[str, str]) -> str:
        return self.name + "|" + "|".join(f"{label}={labels.get(label, '')}" for label in self.group_by)

    def group_labels(self, labels: dict[str, str]) -> dict[str, str]:
        return {label: labels.get(label, "") for label in self.group_by}


def build_routes(settings: list[RouteSettings], default_channel: str) -> list[Route]:
    """Configured routes in order, then a catch-all to the default channel."""
    routes = [_route(s, f"route-{i + 1}", default_channel) for i, s in enumerate(settings)]
    if not any(not r.match and not r.match_re for r in routes):
        routes.append(_route(RouteSettings(), "default", default_channel))
    return routes


def _route(settings: RouteSettings, fallback_name: str, default_channel: str) -> Route:
    return Route(
        name=settings.name or fallback_name,
        channel=settings.channel or default_channel,
        match=tuple(sorted(settings.match.items())),
        match_re=tuple((k, re.compile(v)) for k, v in sorted(settings.match_re.items())),
        group_by=tuple(settings.group_by),
        group_wait=settings.group_wait,
        group_interval=settings.group_interval,
        repeat_interval=settings.repeat_interval,
        send_resolved=settings.send_resolved,
        mentions={severity: tuple(users) for severity, users in settings.mentions.items()},
        flap_start=settings.flap_start,
        flap_stop=settings.flap_stop,
        escalation=build_policy(settings.escalation, settings.repeat_escalation),
    )


def route_for(routes: list[Route], labels: dict[str, str]) -> Route:
    """The first route whose matchers all hold; the last route is a catch-all."""
    for route in routes:
        if route.matches(labels):
            return route
    return routes[-1]
