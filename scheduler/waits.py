"""Runs `/wait` jobs: one poll per job per waiter delay, resumed after restarts. Each poll is shown in the job's one
message through the outbox (`chat.update`, not `response_url`, whose 30-minute life is shorter than many waiters),
and the outcome in its thread."""

from __future__ import annotations

import asyncio
import logging

from bot.aws.waiters import poll_once
from bot.core import wait_jobs
from bot.services import Services
from bot.views.wait import WaitView

log = logging.getLogger(__name__)


class WaitRunner:
    def __init__(self, services: Services, *, holder: str) -> None:
        self._services = services
        self._holder = holder
        self._wake = asyncio.Event()

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
        client = await services.aws_client(job.service, account=job.account, region=job.region)
        verdict: str | None
        try:
            result = await services.executor.run(poll_once, client, job.waiter, job.params)
            state, verdict = result.detail, result.state
        except Exception as exc:  # an AWS outage is a state to show, not a reason to stop waiting
            state, verdict = f"error: {type(exc).__name__}", None
        now = services.clock()
        await services.db.run(lambda s: wait_jobs.record_poll(s, job_id=job.id, state=state, verdict=verdict, now=now))
        services.wake_notifier()
