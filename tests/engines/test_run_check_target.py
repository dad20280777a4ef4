"""`run_check_target(check, target, tick)` records a target's run once per tick: a job run again for the same tick
(at-least-once delivery) or for an older one changes nothing; a Re-check (no tick) always runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.aws.sessions import AwsTarget
from bot.store.models import Alert, Incident, OutboxItem
from sandbox.aws.server import MotoHandle
from scheduler.runner import run_check_target
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import RunningBot, running_bot


async def counts(bot: RunningBot) -> tuple[int, int, int, int]:
    """Alerts, their times seen, incidents, outbox items."""

    def read(session: object) -> tuple[int, int, int, int]:
        return (
            session.scalar(select(func.count()).select_from(Alert)),  # type: ignore[attr-defined]
            session.scalar(select(func.sum(Alert.count))),  # type: ignore[attr-defined]
            session.scalar(select(func.count()).select_from(Incident)),  # type: ignore[attr-defined]
            session.scalar(select(func.count()).select_from(OutboxItem)),  # type: ignore[attr-defined]
        )

    return await bot.app.services.db.run(read)


async def test_a_second_run_of_the_same_tick_changes_nothing(moto: MotoHandle, database_url: str) -> None:
    def seed() -> None:
        put_alarm(moto, "orders-api-errors")
        set_state(moto, "orders-api-errors", "ALARM")

    await asyncio.to_thread(seed)
    async with running_bot(moto=moto, database_url=database_url) as bot:
        [configured] = bot.app.runner.checks
        target = AwsTarget("default", "us-east-1")
        tick = bot.clock.now
        services, tags = bot.app.services, bot.app.runner.tags

        first = await run_check_target(configured, target, tick, services=services, tags=tags)
        assert not first.repeat and first.error is None
        after_first = await counts(bot)
        assert after_first[0] == 1 and after_first[2] == 1 and after_first[3] >= 1

        bot.clock.advance(seconds=5)
        await asyncio.to_thread(set_state, moto, "orders-api-errors", "OK")
        again = await run_check_target(configured, target, tick, services=services, tags=tags)
        older = await run_check_target(configured, target, tick - timedelta(seconds=30), services=services, tags=tags)
        assert again.repeat and older.repeat
        assert await counts(bot) == after_first, "a repeated tick wrote nothing, not even the alarm's recovery"

        recheck = await run_check_target(configured, target, None, services=services, tags=tags)
        assert not recheck.repeat
        assert await bot.app.services.db.run(lambda s: s.scalar(select(Alert.status))) == "resolved", (
            "a Re-check is not keyed by a tick: it records the recovery"
        )
