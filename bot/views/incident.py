"""A read-only picture of an incident and its alerts, and of what people did to it, for the pure Block Kit builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.enums import Severity
from bot.flapping import percent_state_change, strip

LOG_LABELS = ("log_group", "function")
"""The labels that say where an alert's logs are: a log group, or a Lambda function (its group is /aws/lambda/NAME)."""


@dataclass(frozen=True)
class ActionChoice:
    """A runbook action the incident's message offers: its name and its button's words."""

    name: str
    title: str


@dataclass(frozen=True)
class Suppressor:
    """The firing alert that inhibits another (an `inhibit_rules` entry): its incident's number, if it has one."""

    incident_id: int | None
    title: str


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
    check_type: str = ""
    """The check type that found it (its fingerprint's first part)."""
    flapping: bool = False
    flap_history: str | None = None
    """Its last 21 samples, "1" firing and "0" not, oldest first; None while they agree."""
    suppressed_by: Suppressor | None = None
    """What inhibits it, while something does: it is recorded and shown, not notified."""

    @property
    def flap_percent(self) -> float:
        return percent_state_change(self.flap_history)

    @property
    def flap_strip(self) -> str:
        return strip(self.flap_history, firing=self.firing)


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
    actions: tuple[ActionChoice, ...] = ()
    """The runbook actions its message offers (chosen when it is rendered)."""
    suppressing: int = 0
    """Firing alerts that its own firing alerts inhibit (not notified while these fire)."""

    @property
    def firing(self) -> list[AlertLine]:
        return [a for a in self.alerts if a.firing]

    @property
    def suppressed(self) -> list[AlertLine]:
        return [a for a in self.alerts if a.firing and a.suppressed_by is not None]

    @property
    def flapping(self) -> list[AlertLine]:
        return [a for a in self.alerts if a.flapping]

    @property
    def lead(self) -> AlertLine | None:
        """The alert that best represents the incident: the most severe firing one, else the first."""
        candidates = self.firing or self.alerts
        return candidates[0] if candidates else None

    @property
    def names_logs(self) -> bool:
        """Whether an alert names logs to read (Show logs, Group errors): a log group or a Lambda function."""
        return any(alert.labels.get(label) for alert in self.alerts for label in LOG_LABELS)


@dataclass(frozen=True)
class IncidentChange:
    """What a person did to an incident, as its thread reply tells it; `action` is the access action's value
    (acknowledge, snooze, resolve or reopen). It travels in the outbox as JSON and is worded when sent."""

    action: str
    user: str
    snoozed_until: datetime | None = None
    reason: str = ""

    def to_payload(self) -> dict[str, str | None]:
        until = self.snoozed_until.isoformat() if self.snoozed_until is not None else None
        return {"action": self.action, "user": self.user, "snoozed_until": until, "reason": self.reason}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> IncidentChange:
        until = payload.get("snoozed_until")
        return cls(
            action=payload["action"],
            user=payload["user"],
            snoozed_until=datetime.fromisoformat(until) if until else None,
            reason=payload.get("reason") or "",
        )
