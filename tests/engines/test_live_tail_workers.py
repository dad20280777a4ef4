"""`log_errors` in `mode: live` under the distributed engine: the `boltwatch worker` processes stream the log groups
(the web role never does), each group in one worker at a time by the owner lease, the check jobs skip the groups that
stream whichever worker runs them, and a streamed error reaches Slack through the web role's outbox drainer. When the
streaming worker stops, another streams its groups; when it dies, another takes them over within the lease's time, a
`--role all` replica as well as a worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from botocore.client import BaseClient
from sqlalchemy import select, update

from bot.config import settings_from_mapping
from bot.store import Database, make_engine, upgrade
from bot.store.models import CheckTarget, Lease
from bot.worker import WorkerProcess
from sandbox.aws import live_tail
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from scheduler.live_tail_lease import lease_name
from scheduler.live_tails import LiveTails
from tests.e2e.test_live_tail_check import GROUP, TARGET, FilterCalls, WallClock, logs, posts_naming, put_error
from tests.e2e.test_live_tail_replicas import LEASE_SECONDS, no_session_left_open, short_lease
from tests.harness import SIGNING_SECRET, RunningBot, base_config, running_bot

__all__ = ["logs", "no_session_left_open", "short_lease"]  # the fixtures
CHECK = {"type": "log_errors", "every": "5s", "log_groups": ["/aws/lambda/*"], "mode": "live"}
CONFIG = base_config(
    checks=[CHECK],
    routes=[{"name": "all", "channel": "#alerts", "group_by": ["error_group"]}],
    scheduler={"engine": "procrastinate"},
)


@pytest.fixture
def pg_database_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("Procrastinate keeps its queue in PostgreSQL")
    return database_url


@asynccontextmanager
async def web_role(moto: MotoHandle, database_url: str) -> AsyncIterator[RunningBot]:
    slack = await LocalSlack(signing_secret=SIGNING_SECRET).start()
    try:
        async with running_bot(
            moto=moto, database_url=database_url, config=CONFIG, slack=slack, background=True, clock=WallClock(),
            role="web",
        ) as web:  # fmt: skip
            yield web
    finally:
        await slack.stop()


async def start_worker(web: RunningBot, database_url: str, name: str) -> WorkerProcess:
    env = web.slack.environment() | {"BOLTWATCH_DATABASE_URL": database_url}
    settings = await asyncio.to_thread(settings_from_mapping, CONFIG, env)
    worker = WorkerProcess(settings, name=name, concurrency=2, aws_endpoint_url=web.moto.endpoint, clock=web.clock)
    await worker.start(host="127.0.0.1", port=0)
    return worker


def streams(process: WorkerProcess | RunningBot) -> bool:
    live_tails: LiveTails = process.live_tails if isinstance(process, WorkerProcess) else process.app.live_tails
    return live_tails.streaming_here("log_errors", TARGET) == {GROUP}


def knows_it_streams(worker: WorkerProcess) -> bool:
    """The worker's check jobs would skip the group (it streams it, or its lease says another worker does)."""
    return worker.live_tails.live_groups("log_errors", TARGET) == {GROUP}


async def filter_calls(worker: WorkerProcess) -> FilterCalls:
    client = await asyncio.to_thread(worker.services.aws.client, "logs", account="default", region="us-east-1")
    return FilterCalls(client)


async def last_job_ran_at(web: RunningBot) -> datetime | None:
    query = select(CheckTarget.ran_at).where(CheckTarget.check_name == "log_errors")
    return await web.app.services.db.run(lambda s: s.scalar(query))


async def a_job_runs_after(web: RunningBot, moment: datetime) -> None:
    """Wait for a check job of the target (every 5 s, in whichever worker) that ran after `moment`."""
    for _ in range(100):
        at = await last_job_ran_at(web)
        if at is not None and at > moment:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no check job ran after {moment} within 20 s")


async def test_a_worker_streams_the_live_groups_and_its_alert_reaches_slack_with_no_poll_of_them(
    moto: MotoHandle, pg_database_url: str, logs: BaseClient
) -> None:
    async with web_role(moto, pg_database_url) as web:
        worker = await start_worker(web, pg_database_url, "worker-1")
        try:
            await web.wait_for(lambda: streams(worker), timeout=20)
            assert not web.app.live_tails.sessions("log_errors", TARGET), "the web role streams nothing"
            calls = await filter_calls(worker)
            await asyncio.sleep(1)  # the catch-up read at the session's start is over
            before, streaming_since = calls.count, datetime.now(UTC)

            await asyncio.to_thread(put_error, logs, "WorkerStreamedError")
            await web.wait_for(lambda: posts_naming(web, "WorkerStreamedError"), timeout=10)
            await a_job_runs_after(web, streaming_since)  # the check's jobs run meanwhile, and skip the group
            assert calls.count == before, "no FilterLogEvents read of a group that streams"
            assert live_tail.open_sessions() == 1

            await asyncio.to_thread(put_error, logs, "WorkerStreamedError")  # the same error group: no second post
            await asyncio.sleep(2.5)
            assert len(posts_naming(web, "WorkerStreamedError")) == 1
        finally:
            await worker.stop()


async def test_each_live_group_streams_in_one_worker_and_moves_to_the_other_when_it_stops(
    moto: MotoHandle, pg_database_url: str, logs: BaseClient
) -> None:
    async with web_role(moto, pg_database_url) as web:
        workers = [await start_worker(web, pg_database_url, f"worker-{i}") for i in (1, 2)]
        try:
            await web.wait_for(lambda: all(knows_it_streams(w) for w in workers), timeout=20)
            await asyncio.sleep(2 * LEASE_SECONDS)  # both have tried for the lease several times
            [owner] = [w for w in workers if streams(w)]
            [other] = [w for w in workers if w is not owner]
            assert not other.live_tails.sessions("log_errors", TARGET)
            assert live_tail.open_sessions() == 1
            calls = [await filter_calls(w) for w in workers]
            streaming_since = datetime.now(UTC)

            await asyncio.to_thread(put_error, logs, "OwnerWorkerError")
            await web.wait_for(lambda: posts_naming(web, "OwnerWorkerError"), timeout=10)
            await a_job_runs_after(web, streaming_since)
            assert [c.count for c in calls] == [0, 0], "neither worker's jobs read the group the owner streams"

            await owner.stop()  # a graceful stop gives the lease up
            await asyncio.to_thread(put_error, logs, "DuringHandoverError")
            await web.wait_for(lambda: streams(other), timeout=LEASE_SECONDS + 5)
            # The new owner's first read finds what was logged while nobody streamed.
            await web.wait_for(lambda: posts_naming(web, "DuringHandoverError"), timeout=15)
            await asyncio.to_thread(put_error, logs, "AfterHandoverError")
            await web.wait_for(lambda: posts_naming(web, "AfterHandoverError"), timeout=15)
            assert live_tail.open_sessions() == 1
            await asyncio.sleep(1.5)
            for marker in ("OwnerWorkerError", "DuringHandoverError", "AfterHandoverError"):
                assert len(posts_naming(web, marker)) == 1, marker
        finally:
            for worker in workers:
                if worker.running():
                    await worker.stop()


async def test_a_dead_owners_groups_stream_in_one_of_the_others_within_a_lease_period(
    moto: MotoHandle, pg_database_url: str, logs: BaseClient
) -> None:
    # What a worker killed with -9 leaves behind: its lease, which it renewed a moment before it died.
    name = lease_name("log_errors", TARGET)
    dead = Database(make_engine(pg_database_url))
    await asyncio.to_thread(upgrade, dead.engine)
    dead_lease = Lease(name=name, holder="dead-worker", expires_at=datetime.now(UTC) + timedelta(hours=1))
    await dead.run(lambda s: s.add(dead_lease))
    async with running_bot(
        moto=moto, database_url=pg_database_url, config=CONFIG, background=True, clock=WallClock(), holder="replica"
    ) as replica:  # `--role all`: a web process that is a worker too
        worker = await start_worker(replica, pg_database_url, "worker-1")
        survivors: list[WorkerProcess | RunningBot] = [replica, worker]
        try:
            died = datetime.now(UTC)
            last_renewal = update(Lease).where(Lease.name == name)
            await dead.run(lambda s: s.execute(last_renewal.values(expires_at=died + timedelta(seconds=LEASE_SECONDS))))
            await asyncio.sleep(LEASE_SECONDS / 2)
            assert not any(streams(p) for p in survivors), "the lease is still the dead worker's"
            await asyncio.to_thread(put_error, logs, "WhileOwnerDeadError")
            await replica.wait_for(lambda: any(streams(p) for p in survivors), timeout=2 * LEASE_SECONDS + 5)
            # Within a period of the last renewal, and a third of one for the next try (and the session's start).
            assert datetime.now(UTC) - died <= timedelta(seconds=LEASE_SECONDS * 4 / 3 + 2)
            await replica.wait_for(lambda: posts_naming(replica, "WhileOwnerDeadError"), timeout=15)
            await asyncio.sleep(2 * LEASE_SECONDS)  # both have tried for the lease several times
            assert sum(streams(p) for p in survivors) == 1
            assert live_tail.open_sessions() == 1
            await worker.stop()  # the replica streams the groups now, if it did not already
            await replica.wait_for(lambda: streams(replica), timeout=LEASE_SECONDS + 5)
            await replica.wait_for(lambda: live_tail.open_sessions() == 1, timeout=5)  # the worker's has closed
        finally:
            if worker.running():
                await worker.stop()
            await asyncio.to_thread(dead.close)
