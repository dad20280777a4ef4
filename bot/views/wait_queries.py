"""Reading a `/wait` job as its message shows it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import ActionRun, WaitJob
from bot.views.wait import ActionRunLine, WaitView


def wait_view(job: WaitJob, run: ActionRun | None = None) -> WaitView:
    return WaitView(
        job.id, job.service, job.waiter, dict(job.params), job.requester, job.channel, job.message_ts, job.attempts,
        job.max_attempts, job.status, job.last_state, job.created_at, job.deadline, job.account, job.region,
        job.thread_ts, _run_line(run) if run is not None else None,
    )  # fmt: skip


def load_wait(session: Session, job_id: int) -> WaitView | None:
    """The job, and the runbook action it verifies if it does."""
    job = session.get(WaitJob, job_id)
    if job is None:
        return None
    run = session.scalars(select(ActionRun).where(ActionRun.wait_job_id == job_id).limit(1)).first()
    return wait_view(job, run)


def _run_line(run: ActionRun) -> ActionRunLine:
    request = run.request
    args = ", ".join(f"{k}={v!r}" for k, v in dict(request.get("params") or {}).items())
    call = f"{request.get('service')}.{request.get('operation')}({args})"
    change = request.get("change")
    return ActionRunLine(run.id, run.action, run.resource, call, run.status, str(change) if change else None)
