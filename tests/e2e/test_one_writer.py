"""Every write people see goes through the outbox (issue 13): wait progress, digests, App Home and command answers
get the incidents' guarantees — kept through Slack outages, sent once, in order, refusals told."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import boto3
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.enums import OutboxStatus
from bot.store.models import DigestRun, OutboxItem
from sandbox.aws.server import MotoHandle
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import FakeClock, RunningBot, base_config, running_bot

DIGEST = {"channel": "#alerts", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris"}
T = TypeVar("T")
MONDAY_9_PARIS = datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


def read(bot: RunningBot, fn: Callable[[Session], T]) -> T:
    with bot.app.services.db.transaction() as session:
        return fn(session)


def outbox_rows(bot: RunningBot, prefix: str) -> list[OutboxItem]:
    query = select(OutboxItem).where(OutboxItem.ordering_key.startswith(prefix)).order_by(OutboxItem.id)
    return read(bot, lambda s: list(s.scalars(query)))


async def test_a_digest_due_during_a_slack_outage_is_posted_once_slack_is_back(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock(MONDAY_9_PARIS)
    config = base_config(digests=[DIGEST])
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=clock) as bot:
        bot.slack.outage(until=clock.timestamp() + 120)
        [digest] = bot.app.digests.digests
        assert await bot.app.digests.run_scheduled(digest)
        await bot.drain()
        assert bot.slack.channel_messages("#alerts") == []

        clock.advance(minutes=5)
        [posted] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
        assert "Quiet" in posted.text
        assert not await bot.app.digests.run_scheduled(digest), "the period has its digest"
        await bot.drain()
        assert len(bot.slack.channel_messages("#alerts")) == 1
        stored = read(bot, lambda s: s.scalars(select(DigestRun.message_ts)).all())
        assert stored == [posted.ts]


def launch(moto: MotoHandle) -> str:
    ec2 = boto3.client("ec2", endpoint_url=moto.endpoint, region_name="us-east-1")
    instance = ec2.run_instances(ImageId="ami-0c02fb55956c7d316", MinCount=1, MaxCount=1)
    return str(instance["Instances"][0]["InstanceId"])


def log_group(moto: MotoHandle, name: str, *lines: tuple[int, str]) -> None:
    logs = boto3.client("logs", endpoint_url=moto.endpoint, region_name="us-east-1")
    logs.create_log_group(logGroupName=name)
    if lines:
        logs.create_log_stream(logGroupName=name, logStreamName="s")
        events = [{"timestamp": at, "message": line} for at, line in lines]
        logs.put_log_events(logGroupName=name, logStreamName="s", logEvents=events)


def alarms_firing(moto: MotoHandle, names: tuple[str, ...]) -> None:
    for name in names:
        put_alarm(moto, name, function=name.removesuffix("-errors"))
        set_state(moto, name, "ALARM")


async def test_a_wait_that_ends_while_slack_is_down_shows_its_outcome_once_slack_is_back(bot: RunningBot) -> None:
    instance_id = await asyncio.to_thread(launch, bot.moto)  # boto3 off the loop the bot shares
    await bot.command("/wait", f"ec2 instance_running {instance_id}")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    bot.slack.outage(until=bot.clock.timestamp() + 60)
    assert await bot.app.waits.poll_due() == 1  # the instance runs: the job ends while Slack answers 503
    await bot.drain()
    assert bot.slack.thread("#alerts", message.ts) == []

    bot.clock.advance(minutes=2)
    [reply] = await bot.wait_for(lambda: bot.slack.thread("#alerts", message.ts))
    assert "is done" in reply.text
    assert "Done" in str(bot.slack.message("#alerts", message.ts).blocks)
    assert len(bot.slack.channel_messages("#alerts")) == 1


async def test_app_home_is_published_on_open_and_refreshed_once_per_burst_of_changes(bot: RunningBot) -> None:
    bot.app.home.refresh_seconds = 0  # type: ignore[union-attr]
    await bot.slack.send_event(bot.events_url, event={"type": "app_home_opened", "user": "U0ALICE"})
    await bot.wait_for(lambda: bot.slack.home_view("U0ALICE"))
    assert len(bot.slack.calls_to("views.publish")) == 1

    await asyncio.to_thread(alarms_firing, bot.moto, ("orders-api-errors", "payments-errors", "search-errors"))
    bot.slack.inject_faults(method="views.publish", status=429, retry_after=1)
    await bot.run_checks()
    await bot.wait_for(lambda: "3 firing" in json.dumps(bot.slack.home_view("U0ALICE")))

    statuses = [call.status for call in bot.slack.calls_to("views.publish")]
    assert statuses[0] == 200 and statuses[1] == 429 and statuses[-1] == 200
    assert len(statuses) == 3, f"one refresh for the burst (sent again after the 429), not {statuses}"


async def test_an_answer_slack_refuses_is_told_to_the_person_who_asked(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        await asyncio.to_thread(log_group, moto, "/app/payments")
        bot.slack.add_channel("#secret", private=True, bot_is_member=False)
        await bot.command("/logs", "/app/payments 1h", channel="#secret")
        [answer] = await bot.wait_for(lambda: [r for r in bot.slack.responses if "would not post" in str(r.body)])
        assert "`not_in_channel`" in answer.body["text"] and "/invite" in answer.body["text"]
        assert bot.slack.channel_messages("#secret") == []
        [item] = outbox_rows(bot, "command:")
        assert item.status == OutboxStatus.FAILED and "text" not in item.payload


async def test_a_command_answer_is_forgotten_by_the_database_once_slack_has_it(bot: RunningBot) -> None:
    at = int(bot.clock.timestamp() * 1000) - 60_000
    line = "charge failed for card 4111111111111111"
    await asyncio.to_thread(log_group, bot.moto, "/app/cards", (at, line))
    await bot.command("/logs", "/app/cards 1h")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "4111111111111111" in str(message.blocks)
    [item] = outbox_rows(bot, "command:")
    assert item.status == OutboxStatus.DONE
    assert "4111" not in json.dumps(item.payload)
