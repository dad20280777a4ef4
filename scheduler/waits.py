"""Runs `/wait` jobs: one poll per job per waiter delay, progress in the same message, resumed after restarts."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta
from typing import Any, Protocol

from bot.aws.waiters import poll_once
from bot.blocks.wait import wait_message, wait_outcome_reply
from bot.core import wait_jobs
from bot.enums import WaitStatus
from bot.services import Services
from bot.views.wait import WaitView

log = logging.getLogger(__name__)
RETRY_SECONDS = 5


class WaitWriter(Protocol):
    """How a wait's progress reaches Slack (`bot.delivery.waits.WaitMessages`, handed in by the composition root)."""

    async def show(
        self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]], outcome: str | None = None
    ) -> bool:
        """Update the wait's message, and with `outcome` reply in its thread; False when Slack did not take it."""
        ...


class WaitRunner:
    def __init__(self, services: Services, slack: WaitWriter, *, holder: str) -> None:
        self._services = services
        self._slack = slack
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
        try:
            result = await services.executor.run(poll_once, client, job.waiter, job.params)
            state, verdict = result.detail, result.state
        except Exception as exc:  # an AWS outage is a state to show, not a reason to stop waiting
            state, verdict = f"error: {type(exc).__name__}", "retry"
        now = services.clock()
        polled = await services.db.run(lambda s: wait_jobs.record_poll(s, job_id=job.id, state=state, now=now))
        if polled is None:
            return
        # A waiter's final acceptor states (botocore's `success`, `failure`) are the job's outcomes of the same name.
        outcome = WaitStatus(verdict) if verdict in {WaitStatus.SUCCESS, WaitStatus.FAILURE} else None
        if outcome is None and (polled.attempts >= polled.max_attempts or now >= polled.deadline):
            outcome = WaitStatus.TIMEOUT
        shown = dataclasses.replace(polled, status=outcome) if outcome else polled
        if not await self._show(shown):
            if outcome is None:
                return
            retry_at = now + timedelta(seconds=RETRY_SECONDS)
            await services.db.run(lambda s: wait_jobs.release(s, job_id=job.id, retry_at=retry_at))
            return
        if outcome is not None:
            await services.db.run(lambda s: wait_jobs.finish(s, job_id=job.id, outcome=outcome, now=now))

    async def _show(self, job: WaitView) -> bool:
        """Show the job's progress in its message; False when Slack did not take it."""
        if not job.message_ts:
            return True
        text, blocks = wait_message(job, now=self._services.clock())
        outcome = wait_outcome_reply(job) if job.status != WaitStatus.WAITING else None
        return await self._slack.show(channel=job.channel, ts=job.message_ts, text=text, blocks=blocks, outcome=outcome)
