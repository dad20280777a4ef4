"""Persisted `/wait` requests: created, claimed one poll at a time, finished or cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.action_runs import end_with_job
from bot.delivery import outbox
from bot.enums import WaitStatus
from bot.store.models import AuditEvent, WaitJob
from bot.views.wait import WaitView
from bot.views.wait_queries import wait_view as _view

PER_USER_LIMIT = 5
OVERALL_LIMIT = 50
CLAIM_SECONDS = 120


class TooManyWaits(Exception):
    pass


def active_counts(session: Session, requester: str) -> tuple[int, int]:
    waiting = select(func.count()).where(WaitJob.status == WaitStatus.WAITING)
    mine = session.scalar(waiting.where(WaitJob.requester == requester))
    total = session.scalar(waiting)
    return mine or 0, total or 0


def create(
    session: Session,
    *,
    service: str,
    waiter: str,
    params: dict,
    account: str,
    region: str,
    requester: str,
    channel: str,
    delay_seconds: int,
    max_attempts: int,
    deadline: datetime,
    now: datetime,
    thread_ts: str | None = None,
    limited: bool = True,
) -> WaitView:
    """A new wait job, its message queued: in `channel`, or in the thread of `thread_ts` (a runbook action's
    verification, which the per-person limits leave alone: `limited=False`)."""
    mine, total = active_counts(session, requester) if limited else (0, 0)
    if mine >= PER_USER_LIMIT:
        raise TooManyWaits(f"You already have {mine} waits running; cancel one first.")
    if total >= OVERALL_LIMIT:
        raise TooManyWaits(f"{total} waits are running, the most Boltwatch runs at once; try again later.")
    job = WaitJob(
        service=service, waiter=waiter, params=params, account=account, region=region, requester=requester,
        channel=channel, message_ts=None, thread_ts=thread_ts, max_attempts=max_attempts, delay_seconds=delay_seconds,
        deadline=deadline, status=WaitStatus.WAITING, last_state="starting", next_poll_at=now, created_at=now,
        updated_at=now,
    )  # fmt: skip
    session.add(job)
    session.flush()
    session.add(AuditEvent(at=now, actor=requester, action="wait_started", subject=f"wait:{job.id}", channel=channel))
    outbox.enqueue_post(session, key=outbox.wait_key(job.id), channel=channel, not_before=now)
    return _view(job)


def claim_due(session: Session, *, holder: str, now: datetime, limit: int = 20) -> list[WaitView]:
    query = (
        select(WaitJob)
        .where(WaitJob.status == WaitStatus.WAITING, WaitJob.next_poll_at <= now)
        .where((WaitJob.claimed_until.is_(None)) | (WaitJob.claimed_until < now))
        .order_by(WaitJob.next_poll_at)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = list(session.scalars(query))
    for job in jobs:
        job.claimed_by, job.claimed_until = holder, now + timedelta(seconds=CLAIM_SECONDS)
    return [_view(job) for job in jobs]


def record_poll(session: Session, *, job_id: int, state: str, verdict: str | None, now: datetime) -> WaitView | None:
    """Store one poll and show it in the job's message; with a final `verdict` (a waiter's `success` or `failure`),
    or out of attempts or time, end the job and say so in the thread. A job cancelled meanwhile stays cancelled
    (returns None)."""
    job = session.get_one(WaitJob, job_id)
    if job.status != WaitStatus.WAITING:
        return None
    job.attempts += 1
    job.last_state, job.updated_at = state, now
    job.next_poll_at = now + timedelta(seconds=job.delay_seconds)
    job.claimed_by = job.claimed_until = None
    # A waiter's final acceptor states (botocore's `success`, `failure`) are the job's outcomes of the same name.
    outcome = WaitStatus(verdict) if verdict in {WaitStatus.SUCCESS, WaitStatus.FAILURE} else None
    if outcome is None and (job.attempts >= job.max_attempts or now >= job.deadline):
        outcome = WaitStatus.TIMEOUT
    key = outbox.wait_key(job.id)
    outbox.enqueue_update(session, key=key, channel=job.channel, not_before=now)
    if outcome is not None:
        job.status = outcome
        end_with_job(session, job, now=now)
        outbox.enqueue_key_reply(session, key=key, channel=job.channel, payload={"outcome": True}, now=now)
    return _view(job)


def cancel(session: Session, *, job_id: int, user: str, now: datetime) -> WaitView | None:
    job = session.get(WaitJob, job_id)
    if job is None or job.status != WaitStatus.WAITING:
        return None
    job.status, job.updated_at, job.last_state = WaitStatus.CANCELLED, now, f"cancelled by {user}"
    session.add(AuditEvent(at=now, actor=user, action="wait_cancelled", subject=f"wait:{job_id}", channel=job.channel))
    end_with_job(session, job, now=now)
    outbox.enqueue_update(session, key=outbox.wait_key(job.id), channel=job.channel, not_before=now)
    return _view(job)


def get(session: Session, job_id: int) -> WaitView | None:
    job = session.get(WaitJob, job_id)
    return _view(job) if job is not None else None


def release_claims(session: Session, *, holder: str) -> int:
    """Give back the jobs `holder` claimed (it stops, or a process of its name starts after it died): another
    poller takes them at once, not when the claim expires. Returns how many."""
    jobs = list(session.scalars(select(WaitJob).where(WaitJob.claimed_by == holder)))
    for job in jobs:
        job.claimed_by = job.claimed_until = None
    return len(jobs)
