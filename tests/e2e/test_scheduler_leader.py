"""Replicas on one database (embedded engine): only the one holding the scheduler lock runs the checks, another takes
over within seconds when it stops or loses its database connection, and `/boltwatch status` says which one runs
them. Real apps with their schedulers on, in one process (each has its own lock connection or lock file handle)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text

from bot.store.models import CheckHealth, Lease, OutboxItem
from sandbox.aws.server import MotoHandle
from scheduler.leader import TRY_SECONDS
from tests.harness import FakeClock, RunningBot, base_config, running_bot

EVERY = "1s"
CHECK = "cloudwatch_alarms"
TAKE_OVER_SECONDS = TRY_SECONDS * 3 + 5  # a standby's next tries, on a loaded machine


def runs(bot: RunningBot, check: str = CHECK) -> float:
    """Runs of `check` this replica made."""
    counter = bot.app.services.metrics.check_runs
    return sum(counter.labels(check, result)._value.get() for result in ("ok", "error"))


def leads(bot: RunningBot) -> bool:
    return bot.app.services.metrics.scheduler_leader._value.get() == 1


async def until(predicate, seconds: float, why: str) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, why
        await asyncio.sleep(0.05)


async def status_text(bot: RunningBot) -> str:
    before = len(bot.slack.ephemerals(user="U0ALICE"))
    await bot.command("/boltwatch", "status")
    shown = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE")[before:])
    return "\n".join(b["text"]["text"] for b in shown[0].blocks if b["type"] == "section")


async def start(stack: AsyncExitStack, moto: MotoHandle, database_url: str, name: str) -> RunningBot:
    config = base_config(checks=[{"type": CHECK, "every": EVERY}])
    return await stack.enter_async_context(
        running_bot(moto=moto, database_url=database_url, config=config, holder=name, background=True)
    )


async def test_only_the_leader_runs_the_checks_and_a_standby_takes_over_when_it_stops(
    moto: MotoHandle, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler.leader")
    first, second = AsyncExitStack(), AsyncExitStack()
    async with first, second:
        bots = {"replica-a": await start(first, moto, database_url, "replica-a")}
        await until(lambda: leads(bots["replica-a"]), TAKE_OVER_SECONDS, "the only replica never took the lock")
        bots["replica-b"] = await start(second, moto, database_url, "replica-b")
        leader, standby = bots["replica-a"], bots["replica-b"]

        await until(lambda: runs(leader) >= 3, 20, "the leader does not run the check every second")
        assert runs(standby) == 0 and not leads(standby), "the standby ran a check the leader runs"
        assert "*Checks* run on `replica-a`" in await status_text(standby)
        standing_by = [r for r in caplog.records if "stands by" in r.getMessage()]
        assert [r.getMessage().count("(replica-b)") for r in standing_by] == [1], "said once, by the standby"

        await first.aclose()  # the leader stops (gracefully: it gives the lock up)
        await until(lambda: leads(standby), TAKE_OVER_SECONDS, "the standby never took over")
        await until(lambda: runs(standby) >= 2, 20, "the new leader does not run the check")
        assert "*Checks* run on `replica-b`" in await status_text(standby)


async def test_a_leader_that_loses_its_database_connection_stops_running_checks_and_a_standby_takes_over(
    moto: MotoHandle, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the lock's connection is PostgreSQL's; a SQLite file lock has no connection to lose")
    # Named apart from any other test's replicas on this PostgreSQL: the test cuts connections by name.
    name = f"replica-{uuid.uuid4().hex[:8]}"
    async with AsyncExitStack() as stack:
        leader = await start(stack, moto, database_url, name)
        await until(lambda: leads(leader), TAKE_OVER_SECONDS, "the only replica never took the lock")
        standby = await start(stack, moto, database_url, "replica-b")
        await until(lambda: runs(leader) >= 1, 20, "the leader never ran the check")

        def cut_the_leaders_lock_connection() -> int:
            engine = create_engine(database_url)
            with engine.begin() as connection:
                cut = connection.scalar(
                    text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :n"),
                    {"n": f"boltwatch scheduler {name}"},
                )
            engine.dispose()
            return int(cut or 0)

        assert await asyncio.to_thread(cut_the_leaders_lock_connection) == 1
        await until(lambda: leads(standby), TAKE_OVER_SECONDS, "the standby never took over")
        assert not leads(leader)
        await asyncio.sleep(0.5)  # a run the old leader had started when it noticed may still finish
        ran_before = runs(leader)
        await until(lambda: runs(standby) >= 2, 20, "the new leader does not run the check")
        assert runs(leader) == ran_before, "the replica that lost the lock still runs the check"
        assert "*Checks* run on `replica-b`" in await status_text(leader)


async def test_status_says_when_no_replica_runs_the_checks(moto: MotoHandle, database_url: str) -> None:
    config = base_config(checks=[{"type": CHECK, "every": "1h"}])
    async with running_bot(moto=moto, database_url=database_url, config=config, holder="replica-a") as bot:
        assert bot.app.leader is None  # the harness's default: nothing runs in the background
        assert ":x: *Checks*: no replica holds the scheduler lock" in await status_text(bot)


async def test_a_replica_restarted_under_its_name_takes_back_what_its_dead_predecessor_held(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock()
    config = base_config(checks=[{"type": CHECK, "every": "1h"}])
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=clock, holder="x") as seed:
        # What a `host:3000` killed with -9 leaves behind: a Live Tail lease, and an outbox item it had claimed.
        with seed.app.services.db.transaction() as session:
            session.add(Lease(name=f"live-tail:{CHECK}:default:us-east-1", holder="host:3000",
                              expires_at=clock() + timedelta(hours=1)))  # fmt: skip
            session.add(OutboxItem(ordering_key="incident:9", operation="post_incident", channel="#alerts",
                                   claimed_by="host:3000", claimed_until=clock() + timedelta(hours=1),
                                   next_attempt_at=clock() + timedelta(hours=1)))  # fmt: skip

    async with running_bot(
        moto=moto, database_url=database_url, config=config, clock=clock, holder="host:3000", background=True
    ) as restarted:
        with restarted.app.services.db.transaction() as session:
            claimed = session.scalars(select(OutboxItem.claimed_by).where(OutboxItem.ordering_key == "incident:9"))
            assert list(claimed) == [None]
            assert session.scalars(select(Lease.holder).where(Lease.name.startswith("live-tail:"))).all() == []


async def test_a_replica_taking_the_lock_keeps_each_checks_cadence_from_its_last_recorded_run(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock()
    config = base_config(checks=[{"type": CHECK, "every": "1h"}, {"type": "ec2_status", "every": "1h"}])
    ran_at = clock() - timedelta(minutes=10)
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=clock, holder="x") as seed:
        with seed.app.services.db.transaction() as session:  # what the replica that stopped recorded
            session.add(CheckHealth(name=CHECK, check_type=CHECK, last_run_at=ran_at))

    async with running_bot(
        moto=moto, database_url=database_url, config=config, clock=clock, holder="replica-b", background=True
    ) as bot:
        await until(lambda: leads(bot), TAKE_OVER_SECONDS, "the only replica never took the lock")
        scheduler = bot.app.scheduler
        await until(lambda: scheduler.get_job(f"check:{CHECK}") is not None, 5, "the checks were never scheduled")
        assert scheduler.get_job(f"check:{CHECK}").next_run_time == ran_at + timedelta(hours=1)
        await until(lambda: runs(bot, "ec2_status") >= 1, 20, "the check that never ran does not run at once")
        assert runs(bot) == 0, "the check that ran 10 minutes ago ran again at once"
