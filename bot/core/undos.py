"""Scheduled undos: the call a runbook action leaves for Boltwatch to make by itself later (alarm_actions_pause's
EnableAlarmActions when the pause is up). Kept in the database from the moment the action starts, before its call,
so that no crash between the call and its record loses it; made at least once (the calls are idempotent) by
whichever replica claims it when due, retried until AWS takes it; audited as Boltwatch's, on behalf of whoever ran
the action, and told in the incident's thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.delivery import outbox
from bot.durations import format_duration
from bot.enums import UndoStatus
from bot.store import rows_changed
from bot.store.models import AuditEvent, Incident, IncidentEvent, ScheduledUndo

BOLTWATCH = "boltwatch"
"""The audit's actor for what Boltwatch does by itself."""
CLAIM_SECONDS = 120
LONGEST_RETRY = timedelta(minutes=15)


@dataclass(frozen=True)
class PlannedUndo:
    """What an action about to run leaves to be done later: the call, when, and the words for it."""

    after: timedelta
    request: dict[str, Any]
    """`{"service": …, "operation": …, "params": {…}, "call": "cloudwatch.EnableAlarmActions(…)", "verify": …}`,
    `verify` being `{"poll": …, "params": {…}}` (a VerifyPoll of the action's service, by name) or None."""
    done: str
    started_by: str


@dataclass(frozen=True)
class DueUndo:
    """A claimed undo, as its caller needs it."""

    id: int
    account: str
    region: str
    request: dict[str, Any]


def schedule(
    session: Session, *, run_id: int, incident_id: int, action: str, resource: str, account: str, region: str,
    requester: str, channel: str, undo: PlannedUndo, now: datetime,
) -> None:  # fmt: skip
    """Keep the undo of a run about to make its call; an earlier one of the same action on the same resource is
    superseded (the newer run's time is the one its author chose)."""
    supersede(session, action=action, resource=resource)
    session.add(ScheduledUndo(
        run_id=run_id, incident_id=incident_id, action=action, resource=resource, account=account, region=region,
        request=undo.request, done=undo.done, started_by=undo.started_by, requester=requester, channel=channel,
        due_at=now + undo.after, status=UndoStatus.PENDING, attempts=0, created_at=now,
    ))  # fmt: skip


def supersede(session: Session, *, action: str, resource: str) -> int:
    """Call off the pending undos of `action` on `resource` (a person undid it first); how many."""
    query = (
        update(ScheduledUndo)
        .where(ScheduledUndo.action == action, ScheduledUndo.resource == resource)
        .where(ScheduledUndo.status == UndoStatus.PENDING)
        .values(status=UndoStatus.SUPERSEDED)
    )
    return rows_changed(session.execute(query))


def call_off_for_run(session: Session, *, run_id: int) -> None:
    """The run's own call failed: there is nothing for its undo to undo."""
    query = (
        update(ScheduledUndo)
        .where(ScheduledUndo.run_id == run_id, ScheduledUndo.status == UndoStatus.PENDING)
        .values(status=UndoStatus.SUPERSEDED)
    )
    session.execute(query)


def claim_due(session: Session, *, holder: str, now: datetime, limit: int = 20) -> list[DueUndo]:
    query = (
        select(ScheduledUndo)
        .where(ScheduledUndo.status == UndoStatus.PENDING, ScheduledUndo.due_at <= now)
        .where((ScheduledUndo.claimed_until.is_(None)) | (ScheduledUndo.claimed_until < now))
        .order_by(ScheduledUndo.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    undos = list(session.scalars(query))
    for undo in undos:
        undo.claimed_by, undo.claimed_until = holder, now + timedelta(seconds=CLAIM_SECONDS)
    return [DueUndo(u.id, u.account, u.region, dict(u.request)) for u in undos]


def record_made(session: Session, *, undo_id: int, seen: str | None, now: datetime) -> None:
    """AWS took the call: audited as Boltwatch's, told in the incident's thread (mentioning who ran the action)."""
    undo = session.get_one(ScheduledUndo, undo_id)
    if undo.status != UndoStatus.PENDING:
        return  # a person undid it meanwhile, and said so
    undo.status, undo.finished_at = UndoStatus.DONE, now
    undo.attempts += 1
    undo.claimed_by = undo.claimed_until = None
    lasted = format_duration(now - undo.created_at)
    _audit(session, undo, result="undone", now=now, state=seen, lasted=lasted)
    session.add(IncidentEvent(incident_id=undo.incident_id, at=now, actor=BOLTWATCH, kind="action_undone",
                              detail=f"{undo.action} on {undo.resource}: {undo.done}"))  # fmt: skip
    _reply(session, undo, {"undone": _told(undo) | {"state": seen, "lasted": lasted}}, now=now)
    # What the message offers changes with it (the pause is over: pause again, not resume).
    incident = session.get_one(Incident, undo.incident_id)
    outbox.enqueue_update(session, incident_id=incident.id, channel=incident.channel, not_before=now)


def record_failure(session: Session, *, undo_id: int, error: str, iam_action: str | None, now: datetime) -> None:
    """AWS refused the call: try again later (sooner at first), and say so in the thread the first time."""
    undo = session.get_one(ScheduledUndo, undo_id)
    if undo.status != UndoStatus.PENDING:
        return
    undo.attempts += 1
    undo.last_error = error
    retry = min(timedelta(minutes=2 ** (undo.attempts - 1)), LONGEST_RETRY)
    undo.due_at = now + retry
    undo.claimed_by = undo.claimed_until = None
    if undo.attempts == 1:
        _audit(session, undo, result="undo_failed", now=now, error=error, iam_action=iam_action)
        failure = _told(undo) | {"error": error, "iam_action": iam_action, "retry": format_duration(retry)}
        _reply(session, undo, {"undo_failed": failure}, now=now)


def release_claims(session: Session, *, holder: str) -> int:
    undos = list(session.scalars(select(ScheduledUndo).where(ScheduledUndo.claimed_by == holder)))
    for undo in undos:
        undo.claimed_by = undo.claimed_until = None
    return len(undos)


def _told(undo: ScheduledUndo) -> dict[str, Any]:
    return {"action": undo.action, "resource": undo.resource, "user": undo.requester, "done": undo.done,
            "call": undo.request.get("call", ""), "started_by": undo.started_by}  # fmt: skip


def _audit(session: Session, undo: ScheduledUndo, *, result: str, now: datetime, **detail: Any) -> None:
    session.add(AuditEvent(
        at=now, actor=BOLTWATCH, action=f"action_{result}", subject=f"{undo.action}:{undo.resource}",
        channel=undo.channel, detail={"request": undo.request, "result": result, "on_behalf_of": undo.requester,
                                      "started_by": undo.started_by, **detail},
    ))  # fmt: skip


def _reply(session: Session, undo: ScheduledUndo, payload: dict[str, Any], *, now: datetime) -> None:
    incident = session.get_one(Incident, undo.incident_id)
    outbox.enqueue_payload_reply(session, incident_id=incident.id, channel=incident.channel, payload=payload, now=now)
