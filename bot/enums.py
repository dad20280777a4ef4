"""The closed vocabularies the bot stores and shows: StrEnums, so that a typo is an error rather than a silent
mismatch, and their values (stored in the database, carried in old messages) never change."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"critical": 0, "warning": 1, "info": 2}[self.value]


class IncidentStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    """It cannot be sent at all (its incident is gone); kept for the record."""
    BLOCKED = "blocked"
    """Slack refused it for a reason that needs fixing (not in channel, channel gone, token revoked): kept, shown,
    and retried until it goes through, holding back the items queued after it for the same incident."""


class OutboxOperation(StrEnum):
    """What an outbox item does (`bot.delivery.outbox.Operation`). The stored names date from when only incidents
    went through the outbox; they apply to every subject."""

    POST = "post_incident"
    UPDATE = "update_incident"
    REPLY = "thread_reply"
    UPLOAD_FILE = "upload_file"
    """A file into the thread of the key's message (a long `/logs` answer)."""
    PUBLISH_HOME = "publish_home"
    CHART = "chart"
    """A metric chart in the thread of an incident's message: drawn, uploaded, then shown in an image block."""
    FIGURE = "figure"
    """A chart of data the item carries, added to the key's message (a digest, an answer) by updating it."""


class Source(StrEnum):
    """How the bot learnt of a change: a check run (poll), a delivery from AWS (push) or a CloudWatch Logs Live Tail
    stream (live tail). The values are the incident timeline's words ("seen first by live tail")."""

    POLL = "poll"
    PUSH = "push"
    LIVE = "live tail"


class WaitStatus(StrEnum):
    """A `/wait` job: waiting, then one of the four ways it ends."""

    WAITING = "waiting"
    SUCCESS = "success"
    FAILURE = "failure"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class ErrorGroupStatus(StrEnum):
    """Whether an error group is seen for the first time, again, or again after a quiet spell."""

    NEW = "new"
    ONGOING = "ongoing"
    REGRESSED = "regressed"


class BestPracticeStatus(StrEnum):
    """A person's decision about a best-practice finding."""

    MUTED = "muted"
    ACCEPTED = "accepted"


class ActionRunStatus(StrEnum):
    """A runbook action run: its call made and being verified, then how it ended."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """The call failed, or the verifying waiter saw the failure state."""
    UNVERIFIED = "unverified"
    """The call was made but the waiter timed out or was cancelled."""


class UndoStatus(StrEnum):
    """A scheduled undo: waiting for its time (and retried until its call works), then made or made unnecessary."""

    PENDING = "pending"
    DONE = "done"
    SUPERSEDED = "superseded"
    """Not needed any more: a person undid it first (`alarm_actions_resume`), a later run of the same action on the
    same resource scheduled its own, or the action's call failed."""


class EscalationStatus(StrEnum):
    """An incident's escalation: levels still to page, or over (acknowledged, resolved, or every level paged)."""

    ACTIVE = "active"
    STOPPED = "stopped"
    """Someone acknowledged or resolved the incident (or it resolved by itself)."""
    EXHAUSTED = "exhausted"
    """Every level (and every repeat) was paged; nobody acknowledged."""
    HELD = "held"
    """No alert of the incident notifies (each is silenced, in a maintenance window or inhibited): nobody is paged
    until one does, and the levels' times move on by how long it was held."""
