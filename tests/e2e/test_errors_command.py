"""`/errors` and the incident's Show logs / Group errors buttons against the seeded estate."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import boto3
import pytest

from sandbox.aws.estate import seed_estate
from sandbox.aws.scenarios import break_function
from sandbox.aws.server import MotoHandle
from tests.harness import FakeClock, RunningBot, base_config, running_bot
from tests.readonly_estate import SeededEstate

SAMPLES = "errors_samples"


@pytest.fixture
async def bot(seeded_estate_readonly: SeededEstate, database_url: str):  # type: ignore[no-untyped-def]
    """The bot on the session's seeded estate: tests that use it only read AWS."""
    clock = FakeClock(seeded_estate_readonly.seeded_at)
    async with running_bot(moto=seeded_estate_readonly, database_url=database_url, clock=clock) as running:
        yield running


@pytest.fixture
async def bot_on_own_estate(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    """The bot on an estate seeded for this test alone, for tests that change it."""
    async with running_bot(moto=moto, database_url=database_url) as running:
        await asyncio.to_thread(seed_estate, moto.endpoint, now=running.clock.now)
        yield running


async def errors_answer(bot: RunningBot, text: str):  # type: ignore[no-untyped-def]
    before = len(bot.slack.channel_messages("#alerts"))
    await bot.command("/errors", text)
    await bot.wait_for(lambda: len(bot.slack.channel_messages("#alerts")) > before)
    return bot.slack.channel_messages("#alerts")[-1]


@pytest.mark.parametrize("function", ["orders-api", "payments-worker", "invoice-renderer", "image-resizer"])
async def test_errors_of_each_runtime_are_grouped_and_counted(
    bot: RunningBot, seeded_estate_readonly: SeededEstate, function: str
) -> None:
    message = await errors_answer(bot, f"{function} 2h")
    head = message.blocks[0]["text"]["text"]
    seeded = seeded_estate_readonly.estate.function(function).errors
    groups = [b for b in message.blocks if b.get("accessory", {}).get("action_id") == "errors_samples"]
    counts = [int(b["text"]["text"].split("×", 1)[0].strip("*")) for b in groups]
    assert f"{sum(counts)} errors in {len(groups)} groups" in head
    assert sum(counts) >= seeded
    assert 2 <= len(groups) < sum(counts), "repeats of one bug share a group; different bugs do not"
    assert counts == sorted(counts, reverse=True)
    assert all(":new: new" in b["text"]["text"] for b in groups)


async def test_a_second_look_marks_groups_as_seen_before(bot_on_own_estate: RunningBot) -> None:
    bot = bot_on_own_estate
    await errors_answer(bot, "orders-api 2h")
    bot.clock.advance(minutes=1)
    await asyncio.to_thread(break_function, bot.moto.endpoint, "orders-api", now=bot.clock.now, seed=3)
    second = await errors_answer(bot, "orders-api 2h")
    assert "seen before" in str(second.blocks)


async def test_show_samples_posts_them_in_the_thread(bot: RunningBot) -> None:
    message = await errors_answer(bot, "orders-api 2h")
    await bot.click(action_id="errors_samples", channel="#alerts", message_ts=message.ts)
    [reply] = await bot.wait_for(lambda: bot.slack.thread("#alerts", message.ts))
    assert reply.text.startswith("*Samples of*") and reply.text.count("```") >= 2


async def test_a_forged_show_samples_value_is_ignored_with_a_log_line(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    message = await errors_answer(bot, "orders-api 2h")
    with caplog.at_level(logging.WARNING, logger="handlers.errors_command"):
        await bot.click(action_id="errors_samples", channel="#alerts", message_ts=message.ts, value="error_group:1:2")
        for _ in range(200):
            if "not ours: 'error_group:1:2' from U0ALICE" in caplog.text:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the forged click was not logged")
    await bot.click(action_id="errors_samples", channel="#alerts", message_ts=message.ts)
    [reply] = await bot.wait_for(lambda: bot.slack.thread("#alerts", message.ts))
    assert reply.text.startswith("*Samples of*")


async def test_incident_buttons_answer_in_the_incident_thread(bot: RunningBot) -> None:
    await bot.run_checks()
    await bot.drain()
    incident = next(m for m in bot.slack.channel_messages("#alerts") if "Alarm" in m.text)
    await bot.click(action_id="incident_logs", channel="#alerts", message_ts=incident.ts)
    await bot.click(action_id="incident_errors", channel="#alerts", message_ts=incident.ts)

    def thread_text() -> str:
        return " ".join(str(r.blocks) for r in bot.slack.thread("#alerts", incident.ts))

    await bot.wait_for(lambda: "Logs of `/aws/lambda/orders-api`" in thread_text())
    await bot.wait_for(lambda: "Errors in `/aws/lambda/orders-api`" in thread_text())


async def test_errors_with_a_bad_time_span_gets_the_usage(bot: RunningBot) -> None:
    await bot.command("/errors", "orders-api whenever")
    [reply] = bot.slack.ephemerals(user="U0ALICE")
    assert "`whenever` is not a time span" in reply.text and "/errors TARGET" in reply.text


async def test_groups_the_log_errors_check_alerted_on_are_not_new_to_errors(
    moto: MotoHandle, database_url: str
) -> None:
    config = base_config(checks=[{"type": "log_errors", "log_groups": ["/aws/lambda/orders-api"], "every": "1h"}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        # Older than the check's first look; off the loop, which the bot shares.
        await asyncio.to_thread(seed_estate, moto.endpoint, now=bot.clock.now - timedelta(hours=3))
        await asyncio.to_thread(break_function, moto.endpoint, "orders-api", now=bot.clock.now, seed=3)
        await bot.run_checks()
        await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))  # the check alerted

        answer = await errors_answer(bot, "orders-api 30m")
        groups = [b["text"]["text"] for b in answer.blocks if b.get("accessory", {}).get("action_id") == SAMPLES]
        assert groups and all("seen before" in group for group in groups), "the check saw them first"


async def test_a_group_back_after_the_configured_quiet_spell_is_regressed(moto: MotoHandle, database_url: str) -> None:
    config = base_config(errors={"regressed_after": "1h"})
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        await asyncio.to_thread(seed_estate, moto.endpoint, now=bot.clock.now)
        await asyncio.to_thread(break_function, moto.endpoint, "orders-api", now=bot.clock.now, seed=3)
        first = await errors_answer(bot, "orders-api 10m")
        assert "regressed" not in str(first.blocks)
        bot.clock.advance(hours=2)  # quiet for longer than `regressed_after`; then the same failures again
        await asyncio.to_thread(repeat_recent_events, moto, "/aws/lambda/orders-api", bot.clock.now)

        second = await errors_answer(bot, "orders-api 10m")
        assert ":rotating_light: regressed" in str(second.blocks)


def repeat_recent_events(moto: MotoHandle, group: str, now: datetime) -> None:
    """Write the events of the 10 minutes before the last two hours again, now, in a stream of their own."""
    logs = boto3.client("logs", endpoint_url=moto.endpoint, region_name="us-east-1")
    start_ms = int((now - timedelta(hours=2, minutes=10)).timestamp() * 1000)
    earlier = logs.filter_log_events(logGroupName=group, startTime=start_ms)["events"]
    logs.create_log_stream(logGroupName=group, logStreamName="2026/12/04/[$LATEST]again")
    at_ms = int(now.timestamp() * 1000) - 5_000
    again = [{"timestamp": at_ms + i, "message": e["message"]} for i, e in enumerate(earlier)]
    logs.put_log_events(logGroupName=group, logStreamName="2026/12/04/[$LATEST]again", logEvents=again)
