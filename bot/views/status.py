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
    alerts_flapping: int = 0
    """Its alerts flapping, firing or clear at the moment: a flapping incident stays open while they flip."""


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


WORKER_STALLED_AFTER = timedelta(seconds=10)
"""A worker whose heartbeat is older than this is gone (killed, frozen, cut off): its running jobs are stalled, and
the distributed engine's reaper puts them back in the queue."""


@dataclass(frozen=True)
class LeaderLine:
    """Which replica runs the embedded engine's checks: the one holding the scheduler lock (None: no replica does)."""

    holder: str | None


@dataclass(frozen=True)
class QueueLine:
    """The distributed engine's workers and queue (scheduler.engine procrastinate), read from Procrastinate's tables."""

    workers_alive: int
    workers_gone: int
    """Workers that stopped beating less than an hour ago: recent crashes or kills (Procrastinate prunes them)."""
    last_beat: timedelta | None
    """How long ago the freshest heartbeat was; None without any worker."""
    waiting: int
    """Jobs due and not taken yet."""
    oldest_waiting: timedelta
    """The queue's lag: how long the oldest due job has waited for a worker."""
    running: int
    stalled: int
    """Running jobs whose worker is gone."""

    def lagging(self, shortest_interval: timedelta) -> bool:
        """Jobs wait longer than the shortest check interval: the workers cannot keep up (add workers or
        concurrency), or none is running."""
        return self.waiting > 0 and self.oldest_waiting > shortest_interval
