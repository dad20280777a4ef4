"""Two `boltwatch run` processes on one database (a SQLite file, or PostgreSQL): only the one holding the scheduler
lock runs the checks, and when it is killed with -9 the other takes over within seconds and runs the next ticks."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sandbox.aws.server import MotoHandle
from scheduler.leader import TRY_SECONDS
from tests.e2e.test_process import BotProcess, unreachable_url
from tests.harness import migrate

CONFIG = """\
slack:
  channel: "#alerts"
aws:
  regions: [us-east-1]
  max_attempts: 1
checks:
  - type: cloudwatch_alarms
    every: 1s
"""
TAKE_OVER_SECONDS = TRY_SECONDS * 3 + 5  # the standby's next tries, on a loaded machine


async def eventually(probe, seconds: float, why: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await probe():
        assert time.monotonic() < deadline, why
        await asyncio.sleep(0.1)


async def test_one_of_two_processes_runs_the_checks_and_the_other_takes_over_when_it_is_killed(
    moto: MotoHandle, tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        await asyncio.to_thread(migrate, database_url)  # `boltwatch db upgrade`, as an operator runs it first
    env = moto.environment() | {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": unreachable_url()}
    first = BotProcess(tmp_path, env, database_url=database_url, config=CONFIG)
    second = BotProcess(tmp_path, env, database_url=database_url, config=CONFIG)
    async with first.running():
        await first.healthy()
        await first.took_the_scheduler_lock()
        async with second.running():
            await second.healthy()

            async def first_ran_three_more() -> bool:
                return await first.check_runs() >= 3

            await eventually(first_ran_three_more, 30, "the leader does not run the check every second")
            assert await second.check_runs() == 0, "the standby ran a check the leader runs"
            assert not await second.leads()

            assert first.process is not None
            first.process.kill()  # -9: nothing is given up on the way out but what the OS and the database see
            await first.process.wait()
            await eventually(second.leads, TAKE_OVER_SECONDS, "the standby never took over")

            async def second_ran_twice() -> bool:
                return await second.check_runs() >= 2

            await eventually(second_ran_twice, 20, "the new leader does not run the check")
