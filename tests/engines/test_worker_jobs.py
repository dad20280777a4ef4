"""Under the distributed engine a `--role web` replica answers Slack and drains the outbox; `/wait` polls and
scheduled digests run on the workers (issue 20's process model), and their answers still reach Slack through the
web replica's outbox."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import settings_from_mapping
from bot.store.models import WaitJob
from bot.worker import WorkerProcess
from sandbox.aws.server import MotoHandle
from scheduler.digest import digest_key
from tests.e2e.test_wait_command import launch
from tests.harness import RunningBot, base_config, running_bot

YEARLY = {"channel": "#alerts", "cron": "0 0 1 1 *"}  # never fires during a test: the test runs it


@pytest.fixture
def pg_database_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("Procrastinate keeps its queue in PostgreSQL")
    return database_url


async def answered(web: RunningBot, ts: str) -> list[Any]:
    """The wait's thread, once the worker's polls end it: the first poll does (moto's instance runs at once), unless
    it failed (a VM freeze past botocore's timeouts): then the clock moves on to the waiter's next poll."""
    for _ in range(20):
        with contextlib.suppress(TimeoutError):
            return await web.wait_for(lambda: web.slack.thread("#alerts", ts), timeout=5)
        web.clock.advance(seconds=15)  # instance_running's delay
    seen = await web.app.services.db.run(lambda s: list(s.execute(select(WaitJob.status, WaitJob.last_state))))
    raise AssertionError(f"no outcome in the wait's thread after 20 polls; the jobs: {seen}")


async def test_a_web_replica_leaves_waits_and_digests_to_the_workers(moto: MotoHandle, pg_database_url: str) -> None:
    instance = await asyncio.to_thread(launch, moto)
    config = base_config(scheduler={"engine": "procrastinate"}, digests=[YEARLY])
    async with running_bot(moto=moto, database_url=pg_database_url, config=config, background=True, role="web") as web:
        key = digest_key("#alerts", None)
        assert web.app.scheduler.get_job(key) is None, "the web replica schedules no digest"
        env = web.slack.environment() | {"BOLTWATCH_DATABASE_URL": pg_database_url}
        settings = await asyncio.to_thread(settings_from_mapping, config, env)
        worker = WorkerProcess(
            settings, name="worker-1", concurrency=2, aws_endpoint_url=moto.endpoint, clock=web.clock
        )
        await worker.start(host="127.0.0.1", port=0)
        try:
            assert worker.scheduler.get_job(key) is not None, "every worker schedules every digest"

            await web.command("/wait", f"ec2 instance_running {instance}")
            [waiting] = await web.wait_for(lambda: web.slack.channel_messages("#alerts"))
            [done] = await answered(web, waiting.ts)
            assert done.text.startswith("<@U0ALICE>")
            assert "last seen: state: running" in str(web.slack.message("#alerts", waiting.ts).blocks)

            [digest] = worker.digests.digests
            assert await worker.digests.run_scheduled(digest)
            assert not await web.app.digests.run_scheduled(digest), "the period is the worker's already"
            posted = await web.wait_for(
                lambda: [m for m in web.slack.channel_messages("#alerts") if m.ts != waiting.ts]
            )
            assert len(posted) == 1
        finally:
            await worker.stop()
