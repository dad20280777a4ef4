"""A check run that starts during a stream of slash commands steps aside for it (up to its budget), then reports as
usual; the commands are all answered, and /metrics shows how long the run waited."""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp

from sandbox.aws.server import MotoHandle
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import RunningBot, running_bot
from tests.runtime.test_acks_first import keep_arriving


async def commands_until(bot: RunningBot, end: float, senders: int = 4) -> list[int]:
    """`/boltwatch help` back to back from `senders` users at once until `end`; the answers' statuses."""
    statuses: list[int] = []

    async def sender() -> None:
        while time.monotonic() < end:
            statuses.append((await bot.command("/boltwatch", "help")).status)

    await asyncio.gather(*(sender() for _ in range(senders)))
    return statuses


async def yielded_seconds(bot: RunningBot) -> float:
    async with aiohttp.ClientSession() as http, http.get(bot.base_url + "/metrics") as response:
        exposition = await response.text()
    found = re.search(r'^boltwatch_check_yield_seconds_total\{check="cloudwatch_alarms"\} (\S+)$', exposition, re.M)
    return float(found.group(1)) if found else 0.0


async def test_a_check_run_waits_out_a_stream_of_commands_then_alerts(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        await asyncio.to_thread(put_alarm, moto, "orders-api-errors")
        await asyncio.to_thread(set_state, moto, "orders-api-errors", "ALARM")
        await bot.run_checks()  # the first run builds the clients; the next one is the one measured
        await bot.drain()
        assert len(bot.slack.channel_messages("#alerts")) == 1
        await asyncio.to_thread(set_state, moto, "orders-api-errors", "OK")

        # Commands for longer than a run's budget of waiting (1 s): the run waits, then goes on regardless.
        traffic_ends = time.monotonic() + 3.0
        traffic = asyncio.create_task(commands_until(bot, traffic_ends))
        await asyncio.sleep(0.1)
        await bot.run_checks()
        run_ended = time.monotonic()
        statuses = await traffic
        yielded = await yielded_seconds(bot)
        assert statuses and set(statuses) == {200}
        # The run stepped aside while the commands came, within its 1 s budget: each of its waiting steps can wake
        # late on a loaded machine and add that lateness (seen: up to 1 s in CI), but not the whole 3 s of traffic ...
        assert 0.1 < yielded <= 2.2, yielded
        # ... and ended while they still came: delayed, not starved.
        assert run_ended < traffic_ends, (traffic_ends - run_ended, yielded)

        bot.clock.advance(seconds=10)
        await bot.drain()
        [message] = bot.slack.channel_messages("#alerts")
        assert "RESOLVED" in bot.slack.message("#alerts", message.ts).blocks[0]["text"]["text"]


async def test_the_bots_aws_calls_wait_their_turn_in_a_check_thread_and_nowhere_else(
    moto: MotoHandle, database_url: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        services = bot.app.services
        sts = services.aws.client("sts")  # made by the app's AwsSessions, with the hooks the composition root gave it
        allowance = services.acks_first.run()
        loop = asyncio.get_running_loop()

        def call() -> float:
            started = time.monotonic()
            sts.get_caller_identity()
            return time.monotonic() - started

        await loop.run_in_executor(None, call)  # the client's first call (endpoint, credentials) out of the way
        traffic = asyncio.create_task(keep_arriving(services.acks_first, 0.4))
        await asyncio.sleep(0.01)
        as_a_command, in_a_check = await asyncio.gather(
            loop.run_in_executor(None, call), loop.run_in_executor(None, allowance.in_thread(call))
        )
        await traffic
    assert as_a_command < 0.3
    assert in_a_check >= 0.35 and allowance.waited >= 0.35
