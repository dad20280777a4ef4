"""Three replicas on one database: each check runs once per interval, and another takes over when the holder stops."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta

from sqlalchemy import select

from bot.store import Database, make_engine, upgrade
from bot.store.models import Lease, OutboxItem
from sandbox.aws.server import MotoHandle
from tests.harness import FakeClock, base_config, running_bot

EVERY_SECONDS = 60


async def test_one_replica_runs_each_check_per_interval_and_another_takes_over(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock()
    config = base_config(checks=[{"type": "cloudwatch_alarms", "every": f"{EVERY_SECONDS}s"}])
    async with AsyncExitStack() as stack:
        replicas = [
            await stack.enter_async_context(
                running_bot(moto=moto, database_url=database_url, config=config, clock=clock, holder=f"replica-{i}")
            )
            for i in range(3)
        ]
        check = replicas[0].app.runner.checks[0]

        async def interval(bots) -> list[bool]:  # type: ignore[no-untyped-def]
            outcomes = await asyncio.gather(*(b.app.runner.run_check(check) for b in bots))
            return [o is not None for o in outcomes]

        for _ in range(3):
            ran = await interval(replicas)
            assert sum(ran) == 1, ran
            clock.advance(seconds=EVERY_SECONDS)

        holder = (await interval(replicas)).index(True)
        survivors = [b for i, b in enumerate(replicas) if i != holder]
        clock.advance(seconds=EVERY_SECONDS - 1)
        assert await interval(survivors) == [False, False], "the lease is still the stopped holder's"
        clock.advance(seconds=1)
        assert sum(await interval(survivors)) == 1, "a survivor takes over within one lease period"


async def test_a_replica_that_stops_gracefully_hands_its_checks_over_at_once(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock()
    config = base_config(checks=[{"type": "cloudwatch_alarms", "every": f"{EVERY_SECONDS}s"}])
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=clock, holder="survivor") as bot:
        async with running_bot(
            moto=moto, database_url=database_url, config=config, clock=clock, holder="stopping"
        ) as stopping:
            check = stopping.app.runner.checks[0]
            assert await stopping.app.runner.run_check(check) is not None
            assert await bot.app.runner.run_check(check) is None, "the lease is the other replica's"

        assert await bot.app.runner.run_check(check) is not None, "taken over without waiting for the lease to expire"


async def test_a_replica_restarted_under_its_name_takes_back_what_its_dead_predecessor_held(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock()
    config = base_config(checks=[{"type": "cloudwatch_alarms", "every": f"{EVERY_SECONDS}s"}])
    # What a `host:3000` killed with -9 leaves behind: its check lease, and an outbox item it had claimed.
    dead = Database(make_engine(database_url))
    await asyncio.to_thread(upgrade, dead.engine)
    with dead.transaction() as session:
        session.add(Lease(name="check:cloudwatch_alarms", holder="host:3000", expires_at=clock() + timedelta(hours=1)))
        session.add(OutboxItem(ordering_key="incident:9", operation="post_incident", channel="#alerts",
                               claimed_by="host:3000", claimed_until=clock() + timedelta(hours=1),
                               next_attempt_at=clock() + timedelta(hours=1)))  # fmt: skip
    dead.close()

    async with running_bot(
        moto=moto, database_url=database_url, config=config, clock=clock, holder="host:3001"
    ) as other:
        check = other.app.runner.checks[0]
        assert await other.app.runner.run_check(check) is None, "another replica waits for the lease to expire"

    async with running_bot(
        moto=moto, database_url=database_url, config=config, clock=clock, holder="host:3000", background=True
    ) as restarted:
        with restarted.app.services.db.transaction() as session:
            claimed = session.scalars(select(OutboxItem.claimed_by).where(OutboxItem.ordering_key == "incident:9"))
            assert list(claimed) == [None]
        assert await restarted.app.runner.run_check(check) is not None, "the lease is taken back at once"
