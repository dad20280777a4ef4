"""A read-only picture of an incident and its alerts, for the pure Block Kit builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.enums import Severity


@dataclass(frozen=True)
class AlertLine:
    title: str
    severity: Severity
    firing: bool
    summary: str
    resource: str
    account: str
    region: str
    first_seen: datetime
    labels: dict[str, str]
    links: dict[str, str]
    evidence: dict[str, Any]


@dataclass(frozen=True)
class IncidentSnapshot:
    id: int
    title: str
    severity: Severity
    status: str
    channel: str
    route: str
    opened_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    snoozed_until: datetime | None
    alerts: list[AlertLine]

    @property
    def firing(self) -> list[AlertLine]:
        return [a for a in self.alerts if a.firing]

    @property
    def lead(self) -> AlertLine | None:
        """The alert that best represents the incident: the most severe firing one, else the first."""
        return (self.firing or self.alerts or [None])[0]
