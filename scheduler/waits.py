"""Runs `/wait` jobs: one poll per job per waiter delay, resumed after restarts. Each poll is shown in the job's one
message through the outbox (`chat.update`, not `response_url`, whose 30-minute life is shorter than many waiters),
and the outcome in its thread. A job that verifies a runbook action with a poll of its own (`VerifyPoll`, where no
boto3 waiter fits) runs that poll, with the responder credentials whose policy grants it."""

from __future__ import annotations

import asyncio
import logging

from bot.aws.waiters import poll_once
from bot.core import wait_jobs
from bot.enums import WaitStatus
from bot.services import Services
from bot.views.wait import WaitView
from scheduler.registry import verify_polls

log = logging.getLogger(__name__)


class WaitRunner:
    def __init__(self, services: Services, *, holder: str) -> None:
        self._services = services
        self._holder = holder
        self._wake = asyncio.Event()
        self._polls = verify_polls()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, *, poll_seconds: float = 1.0) -> None:
        while True:
            try:
                await self.poll_due()
            except Exception:
                log.exception("polling wait jobs failed; trying again")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), poll_seconds)
            except TimeoutError:
                pass

    async def poll_due(self) -> int:
        services = self._services
        now = services.clock()
        jobs = await services.db.run(lambda s: wait_jobs.claim_due(s, holder=self._holder, now=now))
        await asyncio.gather(*(self._poll(job) for job in jobs))
        return len(jobs)

    async def _poll(self, job: WaitView) -> None:
        services = self._services
        verdict: str | None
        try:
            state, verdict = await self._look(job)
        except Exception as exc:  # an AWS outage is a state to show, not a reason to stop waiting
            state, verdict = f"error: {type(exc).__name__}", None
        now = services.clock()
        await services.db.run(lambda s: wait_jobs.record_poll(s, job_id=job.id, state=state, verdict=verdict, now=now))
        services.wake_notifier()

    async def _look(self, job: WaitView) -> tuple[str, str | None]:
        """One poll: the state seen, and the verdict (a waiter's acceptor state, or an action poll's outcome)."""
        services = self._services
        where = {"account": job.account, "region": job.region}
        poll = self._polls.get((job.service, job.waiter))
        if poll is None:
            client = await services.aws_client(job.service, **where)
            result = await services.executor.run(poll_once, client, job.waiter, job.params)
            return result.detail, result.state
        responder = await services.executor.run(services.aws.responder_client, job.service, **where)
        progress = await services.executor.run(poll.poll, responder, job.params)
        if not progress.done:
            return progress.text, None
        return progress.text, WaitStatus.SUCCESS if progress.ok else WaitStatus.FAILURE
