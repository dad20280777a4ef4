"""What `/boltwatch status|checks|incidents` and App Home show: open incidents, checks, silences, the last digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class IncidentLine:
    id: int
    title: str
    severity: str
    status: str
    opened_at: datetime
    alerts_firing: int


@dataclass(frozen=True)
class CheckLine:
    name: str
    check_type: str
    every: timedelta
    last_run_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    firing: int
    took: timedelta | None = None
    """How long its last run over every target took."""

    @property
    def behind(self) -> bool:
        """Its runs take longer than its interval: it cannot keep it (runs start late, or are skipped)."""
        return self.took is not None and self.took > self.every


@dataclass(frozen=True)
class SilenceLine:
    id: int
    matchers: list[dict[str, str]]
    until: datetime
    reason: str
    author: str
    maintenance: bool = False
    """A maintenance window's silence (it announces itself where it mutes)."""
    starts_at: datetime | None = None
    """When it starts, if it has not yet (only a maintenance window is made ahead)."""


@dataclass(frozen=True)
class BlockedLine:
    """An outbox item Slack refuses for a reason that needs fixing: what it is, where it goes, Slack's answer."""

    item_id: int
    incident_id: int | None
    operation: str
    channel: str
    error: str
    since: datetime
    key: str = ""
    """The outbox ordering key: what the item is about (`incident:N`, `wait:N`, `digest:…`, …)."""

    @property
    def subject(self) -> str:
        kind, _, rest = self.key.partition(":")
        if kind in {"incident", "wait"} and rest.isdigit():
            return f"{kind} #{rest}"
        return {"digest": "digest", "command": "command answer", "home": "App Home"}.get(kind, "")


@dataclass(frozen=True)
class LastDigest:
    channel: str
    until: datetime
