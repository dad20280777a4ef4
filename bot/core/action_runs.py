"""The runs of runbook actions as the rules about them see them: what runs on a resource, what ran lately, and how
a run ends when its verifying wait job does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.enums import ActionRunStatus, UndoStatus, WaitStatus
from bot.store.models import ActionRun, AuditEvent, IncidentEvent, ScheduledUndo, WaitJob

ENDINGS = {
    WaitStatus.SUCCESS: ActionRunStatus.SUCCEEDED,
    WaitStatus.FAILURE: ActionRunStatus.FAILED,
    WaitStatus.TIMEOUT: ActionRunStatus.UNVERIFIED,
    WaitStatus.CANCELLED: ActionRunStatus.UNVERIFIED,
}


def running_on(session: Session, resource: str) -> ActionRun | None:
    """The action running on `resource` (its call made, its verification not over), if any."""
    query = select(ActionRun).where(ActionRun.resource == resource, ActionRun.status == ActionRunStatus.RUNNING)
    return session.scalars(query.limit(1)).first()


REACHED_AWS = (ActionRun.status != ActionRunStatus.FAILED) | ActionRun.wait_job_id.is_not(None)
"""A run whose call AWS took (a refused or failed call changed nothing)."""


def last_call(session: Session, *, action: str, resource: str, since: datetime) -> ActionRun | None:
    """The latest run of `action` on `resource` since `since` whose call reached AWS (a refused call changed
    nothing, so it does not count towards a cooldown)."""
    query = (
        select(ActionRun)
        .where(ActionRun.action == action, ActionRun.resource == resource, ActionRun.started_at >= since)
        .where(REACHED_AWS)
        .order_by(ActionRun.started_at.desc())
    )
    return session.scalars(query.limit(1)).first()


def cooldown_left(
    session: Session, *, action: str, resource: str, cooldown: timedelta, now: datetime
) -> timedelta | None:
    """How long until `action` may run on `resource` again, or None when it may now."""
    recent = last_call(session, action=action, resource=resource, since=now - cooldown)
    return None if recent is None else recent.started_at + cooldown - now


def in_effect(session: Session, *, action: str, resource: str, undone_by: str) -> ActionRun | None:
    """The latest run of `action` on `resource` whose call reached AWS, unless a run of `undone_by` reached AWS
    after it (a throttle not yet restored), or Boltwatch made its scheduled undo (a pause that is over)."""
    query = (
        select(ActionRun)
        .where(ActionRun.action.in_([action, undone_by]), ActionRun.resource == resource)
        .where(REACHED_AWS)
        .order_by(ActionRun.id.desc())
    )
    latest = session.scalars(query.limit(1)).first()
    if latest is None or latest.action != action or _undone_by_boltwatch(session, latest):
        return None
    return latest


def _undone_by_boltwatch(session: Session, run: ActionRun) -> bool:
    """Whether Boltwatch made the run's scheduled undo (a pause that ended by itself)."""
    query = select(ScheduledUndo.id).where(ScheduledUndo.run_id == run.id, ScheduledUndo.status == UndoStatus.DONE)
    return session.scalars(query.limit(1)).first() is not None


def remembered_by(session: Session, *, action: str, resource: str, undone_by: str) -> dict[str, Any] | None:
    """What the run of `action` on `resource` still in effect (`in_effect`) kept from before it, if any."""
    run = in_effect(session, action=action, resource=resource, undone_by=undone_by)
    before = run.request.get("before") if run is not None else None
    return dict(before) if isinstance(before, dict) else None


def run_of_job(session: Session, job_id: int) -> ActionRun | None:
    return session.scalars(select(ActionRun).where(ActionRun.wait_job_id == job_id).limit(1)).first()


def end_with_job(session: Session, job: WaitJob, *, now: datetime) -> None:
    """The verifying wait job ended: so does its run, in the audit log and the incident's timeline."""
    run = run_of_job(session, job.id)
    if run is None or run.status != ActionRunStatus.RUNNING:
        return
    run.status, run.finished_at = ENDINGS[WaitStatus(job.status)], now
    if run.status != ActionRunStatus.SUCCEEDED:
        run.error = job.last_state
    duration = _milliseconds(now - run.started_at)
    detail = {"request": run.request, "result": run.status, "state": job.last_state, "duration_ms": duration}
    session.add(AuditEvent(at=now, actor=run.requester, action=f"action_{run.status}", subject=_subject(run),
                           channel=run.channel, detail=detail))  # fmt: skip
    session.add(IncidentEvent(incident_id=run.incident_id, at=now, actor=run.requester, kind=f"action_{run.status}",
                              detail=f"{run.action} on {run.resource}: {job.last_state}"))  # fmt: skip


def _subject(run: ActionRun) -> str:
    return f"{run.action}:{run.resource}"


def _milliseconds(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)
