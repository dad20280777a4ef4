"""With push on, the checks AWS pushes for poll at `push.reconcile_every` unless they set their own interval: polling
reconciles what push missed rather than racing it, and the incident timeline says the poll saw what push missed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from sandbox.aws.fake_sns import FakeSns
from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, base_config, running_bot
from tests.push.alarm_messages import alarm_notification
from tests.push.sns_bot import alarm_in_moto, deliver, push_config, stored, timeline

CHECKS = [
    {"type": "cloudwatch_alarms", "name": "alarms"},
    {"type": "cloudwatch_alarms", "name": "fast-alarms", "every": "30s", "name_prefix": "p1-"},
    {"type": "lambda_errors"},
]


async def intervals(moto: MotoHandle, database_url: str, config: dict) -> dict[str, timedelta]:  # type: ignore[type-arg]
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        return {check.name: check.every for check in bot.app.runner.checks}


async def test_with_push_on_alarms_poll_at_the_reconcile_interval(
    moto: MotoHandle, database_url: str, tmp_path: Path
) -> None:
    config = push_config(tmp_path, checks=CHECKS)
    assert await intervals(moto, database_url, config) == {
        "alarms": timedelta(minutes=5), "fast-alarms": timedelta(seconds=30), "lambda_errors": timedelta(seconds=60),
    }  # fmt: skip
    config["push"]["reconcile_every"] = "2m"
    assert (await intervals(moto, database_url, config))["alarms"] == timedelta(minutes=2)


async def test_without_push_alarms_poll_at_their_own_default(moto: MotoHandle, database_url: str) -> None:
    assert (await intervals(moto, database_url, base_config(checks=CHECKS)))["alarms"] == timedelta(seconds=30)


@pytest.fixture
async def reconciling(moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """Push on, alarms polled at the reconcile interval (the default 5 minutes); the scheduler off, so the poll runs
    when a test runs it."""
    config = push_config(tmp_path, checks=[{"type": "cloudwatch_alarms"}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        yield bot


async def reconcile(bot: RunningBot) -> None:
    """One run of the alarms poll, the one that runs every `push.reconcile_every`."""
    [alarms] = bot.app.runner.checks
    assert alarms.every == timedelta(minutes=5)
    bot.clock.advance(minutes=5)
    await bot.app.runner.run_check(alarms)


def _back_to_ok(endpoint: str, name: str) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="Threshold crossed: 0 datapoints >= 1")


async def test_a_clear_push_missed_is_resolved_by_the_reconcile_poll(
    reconciling: RunningBot, sns: FakeSns, moto: MotoHandle
) -> None:
    bot = reconciling
    await alarm_in_moto(moto, "orders-api-errors")
    fired = sns.notification(alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now))
    assert await deliver(bot, fired) == 200
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    await asyncio.to_thread(_back_to_ok, moto.endpoint, "orders-api-errors")  # its OK never reaches the bot
    assert [alert[1] for alert in (await stored(bot)).alerts] == ["firing"]

    await reconcile(bot)
    [message] = await bot.wait_for(
        lambda: [m for m in bot.slack.channel_messages("#alerts") if "RESOLVED" in m.blocks[0]["text"]["text"]]
    )

    assert "orders-api-errors" in message.text
    assert [alert[1] for alert in (await stored(bot)).alerts] == ["resolved"]
    assert await timeline(bot) == [
        ("opened", "Alarm orders-api-errors, seen first by push"),
        ("resolved", "all alerts cleared, the last (Alarm orders-api-errors) seen first by poll"),
    ]


async def test_an_alarm_push_missed_is_opened_by_the_reconcile_poll(reconciling: RunningBot, moto: MotoHandle) -> None:
    bot = reconciling
    await alarm_in_moto(moto, "orders-api-errors")  # its ALARM never reaches the bot

    await reconcile(bot)
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    assert "orders-api-errors" in message.text
    assert [alert[1] for alert in (await stored(bot)).alerts] == ["firing"]
    assert await timeline(bot) == [("opened", "Alarm orders-api-errors, seen first by poll")]
