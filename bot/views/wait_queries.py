"""Reading a `/wait` job as its message shows it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.store.models import WaitJob
from bot.views.wait import WaitView


def wait_view(job: WaitJob) -> WaitView:
    return WaitView(
        job.id, job.service, job.waiter, dict(job.params), job.requester, job.channel, job.message_ts, job.attempts,
        job.max_attempts, job.status, job.last_state, job.created_at, job.deadline, job.account, job.region,
    )  # fmt: skip


def load_wait(session: Session, job_id: int) -> WaitView | None:
    job = session.get(WaitJob, job_id)
    return wait_view(job) if job is not None else None
