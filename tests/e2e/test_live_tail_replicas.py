"""Two replicas with `log_errors` in `mode: live` on one database: the owner lease (scheduler/live_tail_lease.py) lets
one of them stream the log groups, and the other takes over when the owner stops or dies, missing nothing."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient
from sqlalchemy import update

from bot.aws.sessions import AwsTarget
from bot.store import Database, make_engine, upgrade
from bot.store.models import Lease
from sandbox.aws import live_tail
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from scheduler.live_tail_lease import lease_name
from scheduler.live_tails import LiveTails
from tests.e2e.test_live_tail_check import (
    GROUP,
    TARGET,
    FilterCalls,
    bot_running,
    logs,
    posts_naming,
    put_error,
)
from tests.harness import SIGNING_SECRET, RunningBot

__all__ = ["logs"]  # the fixture
LEASE_SECONDS = 3.0


@pytest.fixture(autouse=True)
def short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LiveTails, "LEASE_SECONDS", LEASE_SECONDS)


@pytest.fixture(autouse=True)
async def no_session_left_open() -> None:
    """The emulated Live Tail sessions are counted across the moto server: a session of an earlier test may still be
    closing (its reader notices its end within a second or two), and these tests count sessions."""
    for _ in range(100):
        if live_tail.open_sessions() == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{live_tail.open_sessions()} Live Tail session(s) of an earlier test still open after 10 s")


@pytest.fixture
async def slack() -> Any:
    local = await LocalSlack(signing_secret=SIGNING_SECRET).start()
    yield local
    await local.stop()


def streams(bot: RunningBot) -> bool:
    return bot.app.live_tails.streaming_here("log_errors", TARGET) == {GROUP}


class AskedLiveGroups:
    """What a replica's check runs were told streams right now (its runner's `live_groups`), while counting."""

    def __init__(self, bot: RunningBot) -> None:
        self.answers: list[frozenset[str]] = []
        self._runner = bot.app.runner
        self._asked = asked = self._runner.live_groups

        def counted(check: str, target: AwsTarget) -> frozenset[str]:
            self.answers.append(asked(check, target))
            return self.answers[-1]

        self._runner.live_groups = counted

    def stop(self) -> None:
        self._runner.live_groups = self._asked


async def test_one_replica_streams_and_the_other_takes_over_when_it_stops(
    moto: MotoHandle, database_url: str, logs: BaseClient, slack: LocalSlack
) -> None:
    stacks = [AsyncExitStack(), AsyncExitStack()]
    try:
        bots = [
            await stack.enter_async_context(bot_running(moto, database_url, slack=slack, holder=f"replica-{i}"))
            for i, stack in enumerate(stacks)
        ]
        await bots[0].wait_for(lambda: any(streams(b) for b in bots), timeout=20)
        await asyncio.sleep(2 * LEASE_SECONDS)  # both have tried for the lease several times
        [owner] = [i for i, b in enumerate(bots) if streams(b)]
        other = bots[1 - owner]
        assert live_tail.open_sessions() == 1
        assert not other.app.live_tails.sessions("log_errors", TARGET)

        await asyncio.to_thread(put_error, logs, "OwnerStreamedError")
        await other.wait_for(lambda: posts_naming(other, "OwnerStreamedError"), timeout=10)

        # A check run on the other replica skips the group the owner streams: no FilterLogEvents read of it. The run
        # asks which groups stream elsewhere (the owner's group leases); a stall or a slow database past the lease
        # period lets those lapse or moves them, and the group is then rightly read: the replicas are looked at again.
        for _ in range(3):
            await bots[0].wait_for(lambda: sum(streams(b) for b in bots) == 1, timeout=LEASE_SECONDS + 10)
            [owner] = [i for i, b in enumerate(bots) if streams(b)]
            other = bots[1 - owner]
            tails = other.app.live_tails
            await other.wait_for(lambda: tails.live_groups("log_errors", TARGET) == {GROUP}, timeout=10)  # noqa: B023
            client = await asyncio.to_thread(
                other.app.services.aws.client, "logs", account="default", region="us-east-1"
            )
            calls, asked = FilterCalls(client), AskedLiveGroups(other)
            assert await other.app.runner.recheck("log_errors", TARGET.account, TARGET.region)
            asked.stop()
            assert asked.answers, "the run did not ask which groups stream"
            if GROUP in asked.answers[-1]:
                assert calls.count == 0, "a group the owner streams, and the run knew it, was read"
                break
        else:
            raise AssertionError("the owner's leases had lapsed at every try: the machine stalls past the lease period")

        await stacks[owner].aclose()  # a graceful stop gives the lease up
        await asyncio.to_thread(put_error, logs, "DuringHandoverError")
        await other.wait_for(lambda: streams(other), timeout=LEASE_SECONDS + 5)
        # The new owner's first read finds what was logged while nobody streamed. (Errors that differ in one word
        # and arrive in one read are one error group, templates mined: the next error waits for that read.)
        await other.wait_for(lambda: posts_naming(other, "DuringHandoverError"), timeout=15)
        await asyncio.to_thread(put_error, logs, "AfterTakeoverError")
        await other.wait_for(lambda: posts_naming(other, "AfterTakeoverError"), timeout=15)
        assert live_tail.open_sessions() == 1
        await asyncio.sleep(1.5)
        await other.drain()
        for marker in ("OwnerStreamedError", "DuringHandoverError", "AfterTakeoverError"):
            assert len(posts_naming(other, marker)) == 1, marker
    finally:
        for stack in stacks:
            await stack.aclose()


async def test_a_dead_owners_groups_stream_on_another_replica_within_a_lease_period(
    moto: MotoHandle, database_url: str, logs: BaseClient, slack: LocalSlack
) -> None:
    # What an owner killed with -9 leaves behind: its lease, which it renewed a moment before it died.
    name = lease_name("log_errors", TARGET)
    dead = Database(make_engine(database_url))
    await asyncio.to_thread(upgrade, dead.engine)
    with dead.transaction() as session:
        session.add(Lease(name=name, holder="dead-replica", expires_at=datetime.now(UTC) + timedelta(hours=1)))
    try:
        async with bot_running(moto, database_url, slack=slack, holder="survivor") as bot:
            died = datetime.now(UTC)
            last_renewal = update(Lease).where(Lease.name == name)
            await dead.run(lambda s: s.execute(last_renewal.values(expires_at=died + timedelta(seconds=LEASE_SECONDS))))
            await asyncio.sleep(LEASE_SECONDS / 2)
            assert not streams(bot) and live_tail.open_sessions() == 0, "the lease is still the dead owner's"
            await asyncio.to_thread(put_error, logs, "WhileOwnerDeadError")
            await bot.wait_for(lambda: streams(bot), timeout=2 * LEASE_SECONDS + 5)
            # Within a period of the last renewal, and a third of one for the next try (and the session's start).
            assert datetime.now(UTC) - died <= timedelta(seconds=LEASE_SECONDS * 4 / 3 + 2)
            await bot.wait_for(lambda: posts_naming(bot, "WhileOwnerDeadError"), timeout=15)  # its first read
            await asyncio.to_thread(put_error, logs, "AfterTakeoverError")
            await bot.wait_for(lambda: posts_naming(bot, "AfterTakeoverError"), timeout=15)
    finally:
        dead.close()
