"""Running a runbook action, as decisions and records: whether it may start now (one action per resource, a
cooldown per action and resource), the run and its audit, and what follows the call (a verifying wait job whose
message is a reply in the incident's thread, or the failure told there). The AWS call itself is the caller's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.core import undos, wait_jobs
from bot.core.action_runs import last_call, running_on
from bot.core.undos import PlannedUndo
from bot.delivery import outbox
from bot.durations import format_duration
from bot.enums import ActionRunStatus
from bot.store import take_turns
from bot.store.models import ActionRun, AuditEvent, Incident, IncidentEvent


@dataclass(frozen=True)
class Planned:
    """An action about to run on one resource of one incident, with its exact call."""

    incident_id: int
    action: str
    resource: str
    account: str
    region: str
    request: dict[str, Any]
    """`{"service": …, "operation": …, "params": {…}}`"""
    requester: str
    channel: str
    undo: PlannedUndo | None = None
    """What Boltwatch does by itself later to end the action's effect (the end of a pause)."""
    ends: str | None = None
    """The action whose effect this one ends early (its scheduled undo is called off once this call is made)."""


@dataclass(frozen=True)
class Started:
    run_id: int | None
    refusal: str | None = None


@dataclass(frozen=True)
class Verification:
    service: str
    waiter: str
    params: dict[str, Any]
    delay_seconds: int
    max_attempts: int


def begin(session: Session, plan: Planned, *, cooldown: timedelta, now: datetime) -> Started:
    """Record the run, or say why it may not start (the refusal audited too).

    Starts on one resource take turns across replicas, so two people confirming at once on two replicas get one
    run and one "already running"."""
    take_turns(session, f"action_run:{plan.resource}")
    refusal = _refusal(session, plan, cooldown=cooldown, now=now)
    if refusal is not None:
        audit(session, plan, result="refused", now=now, why=refusal)
        return Started(None, refusal)
    run = ActionRun(
        incident_id=plan.incident_id, action=plan.action, resource=plan.resource, account=plan.account,
        region=plan.region, request=plan.request, requester=plan.requester, channel=plan.channel,
        status=ActionRunStatus.RUNNING, started_at=now,
    )  # fmt: skip
    session.add(run)
    session.flush()
    if plan.undo is not None:  # before the call: a crash after it must not lose the undo
        undos.schedule(
            session, run_id=run.id, incident_id=plan.incident_id, action=plan.action, resource=plan.resource,
            account=plan.account, region=plan.region, requester=plan.requester, channel=plan.channel, undo=plan.undo,
            now=now,
        )  # fmt: skip
    session.add(IncidentEvent(incident_id=plan.incident_id, at=now, actor=plan.requester, kind="action_started",
                              detail=f"{plan.action} on {plan.resource}"))  # fmt: skip
    return Started(run.id)


def _refusal(session: Session, plan: Planned, *, cooldown: timedelta, now: datetime) -> str | None:
    incident = session.get(Incident, plan.incident_id)
    if incident is None or incident.message_ts is None:
        return "This incident's message is not in Slack yet; try again in a moment."
    busy = running_on(session, plan.resource)
    if busy is not None:
        return f"{busy.action} is already running on {plan.resource} (started by <@{busy.requester}>)."
    recent = last_call(session, action=plan.action, resource=plan.resource, since=now - cooldown)
    if recent is not None:
        again = recent.started_at + cooldown
        return (
            f"{plan.action} ran on {plan.resource} {format_duration(now - recent.started_at)} ago "
            f"(by <@{recent.requester}>); it may run there again in {format_duration(again - now)}."
        )
    return None


def audit(session: Session, plan: Planned, *, result: str, now: datetime, **detail: Any) -> None:
    """One audit row: who, what, with which parameters, and how it went."""
    session.add(AuditEvent(at=now, actor=plan.requester, action=f"action_{result}",
                           subject=f"{plan.action}:{plan.resource}", channel=plan.channel,
                           detail={"request": plan.request, "result": result, **detail}))  # fmt: skip


def keep(session: Session, *, run_id: int, request: dict[str, Any]) -> None:
    """The run's request with what its action kept from before the call (read just now, the call not yet made)."""
    session.get_one(ActionRun, run_id).request = request


def call_failed(
    session: Session, *, run_id: int, plan: Planned, error: str, iam_action: str | None, duration: timedelta,
    now: datetime,
) -> None:  # fmt: skip
    """AWS refused the call: the run ends, and the incident's thread says why (and which permission is missing)."""
    run = session.get_one(ActionRun, run_id)
    run.status, run.error, run.finished_at = ActionRunStatus.FAILED, error, now
    undos.call_off_for_run(session, run_id=run_id)
    ms = int(duration.total_seconds() * 1000)
    audit(session, plan, result="failed", now=now, error=error, iam_action=iam_action, duration_ms=ms)
    session.add(IncidentEvent(incident_id=plan.incident_id, at=now, actor=plan.requester, kind="action_failed",
                              detail=f"{plan.action} on {plan.resource}: {error}"))  # fmt: skip
    incident = session.get_one(Incident, plan.incident_id)
    failure = {"action": plan.action, "resource": plan.resource, "user": plan.requester, "error": error,
               "iam_action": iam_action}  # fmt: skip
    outbox.enqueue_payload_reply(
        session, incident_id=incident.id, channel=incident.channel, payload={"action_failed": failure}, now=now
    )


def call_made(
    session: Session, *, run_id: int, plan: Planned, verify: Verification | None, duration: timedelta, now: datetime
) -> None:
    """AWS took the call: its verification starts, its progress one message in the incident's thread."""
    run = session.get_one(ActionRun, run_id)
    incident = session.get_one(Incident, plan.incident_id)
    audit(session, plan, result="called", now=now, duration_ms=int(duration.total_seconds() * 1000))
    if plan.ends is not None:
        undos.supersede(session, action=plan.ends, resource=plan.resource)
    # What the message offers may change with this run (a restore after a throttle).
    outbox.enqueue_update(session, incident_id=incident.id, channel=incident.channel, not_before=now)
    if verify is None:
        run.status, run.finished_at = ActionRunStatus.SUCCEEDED, now
        return
    job = wait_jobs.create(
        session, service=verify.service, waiter=verify.waiter, params=verify.params, account=plan.account,
        region=plan.region, requester=plan.requester, channel=incident.channel, delay_seconds=verify.delay_seconds,
        max_attempts=verify.max_attempts, deadline=now + timedelta(seconds=verify.delay_seconds * verify.max_attempts),
        now=now, thread_ts=incident.message_ts, limited=False,
    )  # fmt: skip
    run.wait_job_id = job.id
