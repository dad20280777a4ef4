"""`/wait` with real boto3 waiters against moto: success, failure, timeout, cancel, resume after restart."""

from __future__ import annotations

import asyncio
import logging

import boto3
import pytest
from sqlalchemy import func, select

from bot.store.models import WaitJob
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, running_bot


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


EC2_WAITERS = len(boto3.client("ec2", region_name="us-east-1").waiter_names)


def ec2(moto: MotoHandle):  # type: ignore[no-untyped-def]
    return boto3.client("ec2", endpoint_url=moto.endpoint, region_name="us-east-1")


def launch(moto: MotoHandle) -> str:
    reservation = ec2(moto).run_instances(ImageId="ami-0c02fb55956c7d316", MinCount=1, MaxCount=1)
    return reservation["Instances"][0]["InstanceId"]


async def poll_until_done(bot: RunningBot, *, step_seconds: int = 15, polls: int = 60) -> None:
    for _ in range(polls):
        await bot.app.waits.poll_due()
        await bot.drain()
        messages = bot.slack.channel_messages("#alerts")
        if messages and bot.slack.thread("#alerts", messages[0].ts):
            return
        bot.clock.advance(seconds=step_seconds)


async def start_wait(bot: RunningBot, text: str):  # type: ignore[no-untyped-def]
    await bot.command("/wait", text)
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    for _ in range(100):
        if await bot.app.services.db.run(lambda s: s.scalar(select(func.count()).select_from(WaitJob))):
            return message
        await asyncio.sleep(0.02)
    raise AssertionError("the wait job was never stored")


async def test_a_wait_that_succeeds_updates_one_message_and_mentions_the_requester(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto)
    message = await start_wait(bot, f"ec2 instance_running {instance}")
    await poll_until_done(bot)
    final = bot.slack.message("#alerts", message.ts)
    assert "Done" in str(final.blocks) and "last seen: state: running" in str(final.blocks)
    assert "wait_cancel" not in str(final.blocks)
    assert bot.slack.thread("#alerts", message.ts)[0].text.startswith("<@U0ALICE>")
    assert len(bot.slack.channel_messages("#alerts")) == 1


async def test_a_wait_that_fails_says_so(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto)
    ec2(bot.moto).terminate_instances(InstanceIds=[instance])
    message = await start_wait(bot, f"ec2 instance_running {instance}")
    await poll_until_done(bot)
    assert "Failed" in str(bot.slack.message("#alerts", message.ts).blocks)
    assert "failed" in bot.slack.thread("#alerts", message.ts)[0].text


async def test_a_wait_that_times_out_says_so(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto)
    message = await start_wait(bot, f"ec2 instance_stopped {instance} timeout 1m")
    await poll_until_done(bot)
    final = bot.slack.message("#alerts", message.ts)
    assert "Timed out" in str(final.blocks)
    assert "attempt 5 of 5 · 1m elapsed" in final.blocks[0]["text"]["text"]  # at 0, 15, 30, 45 and 60 s


async def test_a_timeout_shorter_than_the_waiters_delay_polls_faster_until_it_is_up(bot: RunningBot) -> None:
    instance = launch(bot.moto)
    message = await start_wait(bot, f"ec2 instance_stopped {instance} timeout 20s")
    await bot.app.waits.poll_due()
    await bot.drain()
    assert "Waiting" in str(bot.slack.message("#alerts", message.ts).blocks)
    await poll_until_done(bot, step_seconds=6)
    final = bot.slack.message("#alerts", message.ts).blocks[0]["text"]["text"]
    assert "Timed out" in final and "attempt 4 of 4" in final  # at 0, 6, 12 and 18 s; not over after one poll


async def test_cancel_stops_the_wait(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto)
    message = await start_wait(bot, f"ec2 instance_stopped {instance}")
    await bot.app.waits.poll_due()
    await bot.click(action_id="wait_cancel", channel="#alerts", message_ts=message.ts, user="U0ALICE")
    await bot.wait_for(lambda: "Cancelled" in str(bot.slack.message("#alerts", message.ts).blocks))
    bot.clock.advance(minutes=5)
    assert await bot.app.waits.poll_due() == 0


async def test_a_forged_cancel_is_ignored_with_a_log_line(bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    instance = await asyncio.to_thread(launch, bot.moto)
    message = await start_wait(bot, f"ec2 instance_stopped {instance}")
    await bot.app.waits.poll_due()
    with caplog.at_level(logging.WARNING, logger="handlers.wait_command"):
        await bot.click(action_id="wait_cancel", channel="#alerts", message_ts=message.ts, value="wait:1 OR 1=1")
        for _ in range(200):
            if "not ours: 'wait:1 OR 1=1' from U0ALICE" in caplog.text:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the forged click was not logged")
    bot.clock.advance(minutes=5)
    assert await bot.app.waits.poll_due() == 1
    assert "Waiting" in str(bot.slack.message("#alerts", message.ts).blocks)


async def test_a_wait_resumes_after_a_restart(moto: MotoHandle, database_url: str) -> None:
    instance = await asyncio.to_thread(launch, moto)
    clock = FakeClock()
    async with LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp) as slack:
        async with running_bot(moto=moto, database_url=database_url, slack=slack, clock=clock) as first:
            message = await start_wait(first, f"ec2 instance_stopped {instance}")
            await first.app.waits.poll_due()
        ec2(moto).stop_instances(InstanceIds=[instance])
        async with running_bot(moto=moto, database_url=database_url, slack=slack, clock=clock) as second:
            clock.advance(seconds=15)
            await poll_until_done(second)
            assert "Done" in str(slack.message("#alerts", message.ts).blocks)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ec3 instance_running i-1", "`ec3` is not an AWS service. Did you mean `ecs`, `ecr`, `ec2`?"),
        ("ec2 instance_runing i-1", "Did you mean `instance_running`"),
        ("ec2 zzz i-1", f"`ec2` has no waiter `zzz`. ec2 has {EC2_WAITERS} waiters: bundle_task_complete, "),
        ("ec2 zzz i-1", f", instance_running …and {EC2_WAITERS - 12} more.\nUsage: "),
        ("s3 object_exists my-bucket", "needs 2 value(s): BUCKET KEY"),
    ],
)
async def test_bad_waits_get_a_specific_reply_and_nothing_runs(bot: RunningBot, text: str, problem: str) -> None:
    await bot.command("/wait", text)
    replies = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert problem in replies[-1].text
    assert bot.slack.channel_messages("#alerts") == []
