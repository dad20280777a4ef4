"""SQLAlchemy models for the words in DESIGN.md; storage knows no domain decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.enums import (
    ActionRunStatus,
    AlertStatus,
    ErrorGroupStatus,
    EscalationStatus,
    IncidentStatus,
    OutboxStatus,
    UndoStatus,
    WaitStatus,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Incident(Base):
    """A group of alerts sharing a group key, shown as one Slack message."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_group_open", "group_key", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_key: Mapped[str] = mapped_column(String(512))
    route: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.OPEN)
    severity: Mapped[str] = mapped_column(String(20), default="warning")
    title: Mapped[str] = mapped_column(Text, default="")
    group_labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_ts: Mapped[str | None] = mapped_column(String(40))
    snoozed_until: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(40))
    acknowledged_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_notified_at: Mapped[datetime | None]
    last_reminded_at: Mapped[datetime | None]

    alerts: Mapped[list[Alert]] = relationship(back_populates="incident")
    timeline: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id", cascade="all, delete-orphan"
    )


class Alert(Base):
    """The persisted state of one fingerprint."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200), unique=True)
    check_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=AlertStatus.FIRING)
    severity: Mapped[str] = mapped_column(String(20), default="warning")
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    resource: Mapped[str] = mapped_column(Text, default="")
    account: Mapped[str] = mapped_column(String(40), default="")
    region: Mapped[str] = mapped_column(String(40), default="")
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    links: Mapped[dict[str, Any]] = mapped_column(default=dict)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    count: Mapped[int] = mapped_column(Integer, default=1)
    silenced_by: Mapped[int | None] = mapped_column(ForeignKey("silences.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    flap_history: Mapped[str | None] = mapped_column(String(21))
    """Its last 21 firing ("1") / not firing ("0") samples, oldest first; None while they all agree."""
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    inhibited_by: Mapped[str | None] = mapped_column(String(200), index=True)
    """The fingerprint of the firing alert that inhibits it (an `inhibit_rules` entry): recorded, not notified. A
    fingerprint rather than an id: the source may be new in the same run, before it has one."""

    incident: Mapped[Incident | None] = relationship(back_populates="alerts")


class IncidentEvent(Base):
    """One line of an incident's timeline: who did what, when."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")

    incident: Mapped[Incident] = relationship(back_populates="timeline")


class Silence(Base):
    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    matchers: Mapped[list[Any]] = mapped_column(default=list)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    expired_at: Mapped[datetime | None]


class MaintenanceWindow(Base):
    """A silence that announces itself in the channels it affects: when made, when it starts and when it ends (with
    what it muted meanwhile). Each announcement is claimed by setting its time where it is still unset, in the
    transaction that queues it: once, whichever replica gets there first, and still owed after a restart."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_windows_ended", "ended_announced_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    """`config:N:DIGEST@START` for an occurrence of a configured window (made once), `command:UUID` for one made in
    Slack."""
    silence_id: Mapped[int] = mapped_column(ForeignKey("silences.id"))
    channels: Mapped[list[Any]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_announced_at: Mapped[datetime | None]
    ended_announced_at: Mapped[datetime | None]
    muted: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The alerts it muted so far, title by fingerprint (the first thousand), for the announcement of its end."""

    silence: Mapped[Silence] = relationship()


class OutboxItem(Base):
    """A pending Slack operation, drained in order per `ordering_key`."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ordering_key: Mapped[str] = mapped_column(String(200), index=True)
    operation: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(100))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    attempted_at: Mapped[datetime | None]
    """When a post or thread reply was last sent to Slack: set before the call, so that a crash, a timeout or an
    expired claim leaves an attempt of unknown outcome to look up in Slack rather than to send again."""
    blocked_since: Mapped[datetime | None]
    """When Slack first refused it for a reason that needs fixing (its status is then `blocked`)."""


class LogCursor(Base):
    """How far a scan of one log group has read: the timestamp and the event ids seen there."""

    __tablename__ = "log_cursors"
    __table_args__ = (UniqueConstraint("account", "region", "log_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(40))
    log_group: Mapped[str] = mapped_column(String(512))
    timestamp_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    seen_event_ids: Mapped[list[Any]] = mapped_column(default=list)
    memory: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WaitJob(Base):
    """A persisted `/wait` request; survives restarts."""

    __tablename__ = "wait_jobs"
    __table_args__ = (Index("ix_wait_jobs_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(60))
    waiter: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    account: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(40))
    requester: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(100))
    message_ts: Mapped[str | None] = mapped_column(String(40))
    thread_ts: Mapped[str | None] = mapped_column(String(40))
    """Set when the job's message is a reply in a thread (a runbook action's verification, in its incident's)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    delay_seconds: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=WaitStatus.WAITING)
    last_state: Mapped[str] = mapped_column(Text, default="")
    next_poll_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionRun(Base):
    """One runbook action run on one resource for one incident: its call, and the wait job that verifies it."""

    __tablename__ = "action_runs"
    __table_args__ = (Index("ix_action_runs_resource", "resource", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    resource: Mapped[str] = mapped_column(String(512))
    account: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(40))
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The API call as made: service, operation and its parameters."""
    requester: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=ActionRunStatus.RUNNING)
    error: Mapped[str | None] = mapped_column(Text)
    wait_job_id: Mapped[int | None] = mapped_column(ForeignKey("wait_jobs.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ScheduledUndo(Base):
    """A call a runbook action left for Boltwatch to make by itself later (the end of a pause): made at least once
    when due, by whichever replica claims it, and retried until AWS takes it."""

    __tablename__ = "scheduled_undos"
    __table_args__ = (
        Index("ix_scheduled_undos_due", "status", "due_at"),
        Index("ix_scheduled_undos_resource", "action", "resource", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("action_runs.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    action: Mapped[str] = mapped_column(String(60))
    """The action whose effect it ends (`alarm_actions_pause`)."""
    resource: Mapped[str] = mapped_column(String(512))
    account: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(40))
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The call: service, operation and its parameters; and `verify` (a waiter and its parameters) if any."""
    done: Mapped[str] = mapped_column(Text)
    """What is true once it is made, for the incident's thread."""
    started_by: Mapped[str] = mapped_column(String(60))
    requester: Mapped[str] = mapped_column(String(40))
    """Who ran the action (the undo is Boltwatch's, on their behalf)."""
    channel: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=UndoStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class Lease(Base):
    """Lets exactly one replica run a named piece of work until `expires_at`."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class RequestReplay(Base):
    """A signed Slack request (by its signature's digest) or Events API event (by its id) seen within the last few
    minutes: a second sighting on any replica is a replay or a retry, answered without running again."""

    __tablename__ = "request_replays"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class PushDelivery(Base):
    """An SNS message taken in, by its MessageId: SNS's retry of it, or its copy reaching another replica, finds
    this row and changes nothing. Kept for a day (a message over an hour old is refused anyway)."""

    __tablename__ = "push_deliveries"

    message_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    topic_arn: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(100))
    """What it was: `alarm notification`, `event: <detail-type>`, `subscription confirmation`, `unknown`…"""
    outcome: Mapped[str] = mapped_column(String(300))
    """What it changed, or why it was ignored."""
    received_at: Mapped[datetime] = mapped_column(index=True)


class AuditEvent(Base):
    """Every state change a person or the bot made."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CheckHealth(Base):
    """How each check has been doing: its last run, its last success, and its failures in a row."""

    __tablename__ = "check_health"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    check_type: Mapped[str] = mapped_column(String(100))
    last_run_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    findings_firing: Mapped[int] = mapped_column(Integer, default=0)
    last_run_seconds: Mapped[float | None] = mapped_column(Float)
    """How long its last run over every target took: longer than its interval, it cannot keep that interval."""


class CheckTarget(Base):
    """One target of a check (check, account, region): the tick it last recorded, so that a run of a tick already
    recorded (an at-least-once retry) changes nothing twice, and its own failures in a row."""

    __tablename__ = "check_targets"

    check_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    region: Mapped[str] = mapped_column(String(40), primary_key=True)
    tick: Mapped[datetime | None]
    ran_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    findings_firing: Mapped[int] = mapped_column(Integer, default=0)


class ErrorGroup(Base):
    """Errors from one log source that share a fingerprint."""

    __tablename__ = "error_groups"
    __table_args__ = (UniqueConstraint("source", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(600))
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(Text)
    culprit: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    status: Mapped[str] = mapped_column(String(20), default=ErrorGroupStatus.NEW)
    samples: Mapped[list[Any]] = mapped_column(default=list)


class SlackChannel(Base):
    """A channel the bot writes to: the id Slack answered for a name, and when it may next take a message.

    Pacing lives here rather than in one process so that replicas sharing the database share Slack's
    one-message-a-second budget per channel, and a restart does not forget a Retry-After.
    """

    __tablename__ = "slack_channels"

    ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    channel_id: Mapped[str | None] = mapped_column(String(40))
    next_send_at: Mapped[datetime | None]


class DigestRun(Base):
    """One digest posted (or being posted) to a channel for one period; the unique key makes it one per period."""

    __tablename__ = "digest_runs"
    __table_args__ = (UniqueConstraint("channel", "project", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    project: Mapped[str] = mapped_column(String(100), default="")
    period: Mapped[str] = mapped_column(String(64))
    scheduled: Mapped[bool] = mapped_column(Boolean, default=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    message_ts: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BestPracticeState(Base):
    """A person's decision about one best-practice finding: muted until a time, or its risk accepted for good."""

    __tablename__ = "best_practice_states"

    fingerprint: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    until: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    silence_id: Mapped[int | None] = mapped_column(ForeignKey("silences.id"))


class Escalation(Base):
    """Where an unacknowledged incident's escalation stands: how many steps were taken, when the next is due, who
    was paged (they may act from where they were paged). One row an incident; replicas take its steps in turn,
    under one lock (bot/core/escalation.py)."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_due", "status", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    route: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    """When the incident opened (or was reopened): every level's `after` counts from it."""
    steps_taken: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=EscalationStatus.ACTIVE)
    paged: Mapped[list[Any]] = mapped_column(default=list)
    """User ids and channels paged so far."""
    stopped_by: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    """While `held`: when the hold began (the levels move on by how long it lasts)."""


class OnCallOverride(Base):
    """`/boltwatch oncall override`: `user` is on call in `schedule` from `starts_at` to `ends_at`."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_schedule", "schedule", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule: Mapped[str] = mapped_column(String(60))
    user: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OnCallHandoff(Base):
    """Who each schedule last had on call, as told in its channel: a change is a handoff to announce (once)."""

    __tablename__ = "oncall_handoffs"

    schedule: Mapped[str] = mapped_column(String(60), primary_key=True)
    user: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[datetime]
