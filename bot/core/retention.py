"""Retention: finished records are deleted once nobody can still need them, in small batches.

Every function deletes at most `batch` rows of its table (an incident counts with its timeline, alerts and Slack
items) in the caller's transaction and returns how many it deleted; the caller runs it again, one short transaction
each, until it deletes fewer than `batch`, so that the outbox drainer and the checks never wait long behind it.

What is never deleted: an outbox item still to be sent (pending or blocked), the first post (and first chart) of a
subject still in use, since later replies go in its thread and a resolve chart repeats the fire chart's request;
an incident that is not resolved, or that a firing alert, an unsent item, a silence, a runbook action or an undo
still points at; a firing alert; a wait job still waiting, or one a runbook action's run refers to.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from bot.delivery.outbox import WAITING, Operation
from bot.enums import AlertStatus, IncidentStatus, OutboxStatus, WaitStatus
from bot.store import rows_changed
from bot.store.models import (
    ActionRun,
    Alert,
    AuditEvent,
    Escalation,
    Incident,
    IncidentEvent,
    OutboxItem,
    ScheduledUndo,
    Silence,
    WaitJob,
)

FINISHED = (OutboxStatus.DONE, OutboxStatus.FAILED)
INCIDENTS_PER_ROW_BATCH = 10
"""An incident is deleted with its timeline, alerts and Slack items: a batch of rows takes a tenth as many."""


def _anchor() -> ColumnElement[bool]:
    """The first post (or chart) of its ordering key: the message later replies and the resolve chart refer to."""
    earlier = aliased(OutboxItem)
    first = ~exists().where(
        earlier.ordering_key == OutboxItem.ordering_key,
        earlier.operation == OutboxItem.operation,
        earlier.id < OutboxItem.id,
    )
    return and_(OutboxItem.operation.in_([Operation.POST, Operation.CHART]), first)


def _delete_ids(session: Session, model: type, column: InstrumentedAttribute[Any], ids: Sequence[int]) -> int:
    if not ids:
        return 0
    deleted = session.execute(delete(model).where(column.in_(ids)).execution_options(synchronize_session=False))
    return rows_changed(deleted)


def prune_sent_outbox(session: Session, *, before: datetime, batch: int) -> int:
    """Delete items sent (or given up) before `before`, but not the first post or chart of a key."""
    ids = session.scalars(
        select(OutboxItem.id)
        .where(OutboxItem.status.in_(FINISHED), OutboxItem.done_at < before, ~_anchor())
        .order_by(OutboxItem.id)
        .limit(batch)
    ).all()
    return _delete_ids(session, OutboxItem, OutboxItem.id, ids)


def prune_idle_subjects(session: Session, *, before: datetime, batch: int) -> int:
    """Delete the remaining items of keys that are not an incident's (a command's answer, a wait, a digest, a
    Home) once none of their items is waiting or newer than `before`: nothing will be sent under them again."""
    other = aliased(OutboxItem)
    still_used = exists().where(
        other.ordering_key == OutboxItem.ordering_key,
        or_(other.status.in_(WAITING), other.created_at >= before, other.done_at >= before),
    )
    ids = session.scalars(
        select(OutboxItem.id)
        .where(
            OutboxItem.incident_id.is_(None),
            OutboxItem.status.in_(FINISHED),
            OutboxItem.done_at < before,
            ~still_used,
        )
        .order_by(OutboxItem.id)
        .limit(batch)
    ).all()
    return _delete_ids(session, OutboxItem, OutboxItem.id, ids)


def prune_resolved_incidents(session: Session, *, before: datetime, batch: int) -> int:
    """Delete incidents resolved before `before` with their timelines, alerts and Slack items; returns the rows
    deleted. An incident anything still points at is kept (see the module's docstring)."""
    incident_id = Incident.id
    held = or_(
        exists().where(Alert.incident_id == incident_id, Alert.status != AlertStatus.RESOLVED),
        exists().where(OutboxItem.incident_id == incident_id, OutboxItem.status.not_in(FINISHED)),
        exists().where(Silence.incident_id == incident_id),
        exists().where(ActionRun.incident_id == incident_id),
        exists().where(ScheduledUndo.incident_id == incident_id),
    )
    ids = session.scalars(
        select(Incident.id)
        .where(Incident.status == IncidentStatus.RESOLVED, Incident.resolved_at < before, ~held)
        .order_by(Incident.id)
        .limit(max(1, batch // INCIDENTS_PER_ROW_BATCH))
    ).all()
    deleted = _delete_ids(session, IncidentEvent, IncidentEvent.incident_id, ids)
    deleted += _delete_ids(session, Alert, Alert.incident_id, ids)
    deleted += _delete_ids(session, OutboxItem, OutboxItem.incident_id, ids)
    deleted += _delete_ids(session, Escalation, Escalation.incident_id, ids)
    return deleted + _delete_ids(session, Incident, Incident.id, ids)


def prune_resolved_alerts(session: Session, *, before: datetime, batch: int) -> int:
    """Delete alerts resolved before `before` that belong to no incident (an incident's go with it)."""
    ids = session.scalars(
        select(Alert.id)
        .where(Alert.status == AlertStatus.RESOLVED, Alert.resolved_at < before, Alert.incident_id.is_(None))
        .order_by(Alert.id)
        .limit(batch)
    ).all()
    return _delete_ids(session, Alert, Alert.id, ids)


def prune_finished_waits(session: Session, *, before: datetime, batch: int) -> int:
    """Delete `/wait` jobs that ended before `before`, unless a runbook action's run refers to one."""
    ids = session.scalars(
        select(WaitJob.id)
        .where(
            WaitJob.status != WaitStatus.WAITING,
            WaitJob.updated_at < before,
            ~exists().where(ActionRun.wait_job_id == WaitJob.id),
        )
        .order_by(WaitJob.id)
        .limit(batch)
    ).all()
    return _delete_ids(session, WaitJob, WaitJob.id, ids)


def prune_audit_events(session: Session, *, before: datetime, batch: int) -> int:
    """Delete audit events older than `before`."""
    ids = session.scalars(select(AuditEvent.id).where(AuditEvent.at < before).order_by(AuditEvent.id).limit(batch))
    return _delete_ids(session, AuditEvent, AuditEvent.id, ids.all())
