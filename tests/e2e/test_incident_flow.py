"""Alarm → one incident message with buttons → clicks update that same message."""

from __future__ import annotations

import boto3
import pytest

from bot.sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, running_bot


def cloudwatch(moto: MotoHandle):  # type: ignore[no-untyped-def]
    return boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")


def put_alarm(moto: MotoHandle, name: str, function: str = "orders-api") -> None:
    cloudwatch(moto).put_metric_alarm(
        AlarmName=name,
        AlarmDescription=f"{function} is failing",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


def set_state(moto: MotoHandle, name: str, state: str, reason: str = "Threshold crossed: 5 datapoints >= 1") -> None:
    cloudwatch(moto).set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


def button_ids(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        element["action_id"] for block in message.blocks if block["type"] == "actions" for element in block["elements"]
    ]


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


async def test_an_alarm_in_alarm_posts_exactly_one_message_with_the_buttons(bot: RunningBot) -> None:
    put_alarm(bot.moto, "orders-api-errors")
    set_state(bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    await bot.run_checks()
    await bot.drain()

    messages = bot.slack.channel_messages("#alerts")
    assert len(messages) == 1
    assert "orders-api-errors" in messages[0].text
    assert button_ids(messages[0]) == [
        "incident_ack",
        "incident_snooze",
        "incident_resolve",
        "incident_logs",
        "incident_errors",
        "incident_console",
    ]


async def test_acknowledge_updates_the_same_message_to_show_who(bot: RunningBot) -> None:
    put_alarm(bot.moto, "orders-api-errors")
    set_state(bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    [message] = bot.slack.channel_messages("#alerts")

    delivery = await bot.click(action_id="incident_ack", channel="#alerts", message_ts=message.ts, user="U0BOB")
    assert delivery.status == 200
    await bot.drain_until(lambda: bot.slack.thread("#alerts", message.ts))

    [updated] = bot.slack.channel_messages("#alerts")
    assert updated.ts == message.ts
    assert "ACKNOWLEDGED" in updated.blocks[0]["text"]["text"]
    assert "acknowledged by <@U0BOB>" in str(updated.blocks)
    assert "incident_ack" not in button_ids(updated) and "incident_reopen" in button_ids(updated)
    assert [reply.text for reply in bot.slack.thread("#alerts", message.ts)] == ["<@U0BOB> acknowledged this incident."]


async def test_a_second_alarm_in_the_group_updates_the_message_instead_of_posting(bot: RunningBot) -> None:
    for name in ("orders-api-errors", "payments-errors"):
        put_alarm(bot.moto, name, function=name.removesuffix("-errors"))
    set_state(bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    set_state(bot.moto, "payments-errors", "ALARM")
    await bot.run_checks()
    bot.clock.advance(seconds=10)
    await bot.drain()

    [message] = bot.slack.channel_messages("#alerts")
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert len(bot.slack.calls_to("chat.update")) == 1
    assert "2 of 2 alerts firing" in str(message.blocks)


async def test_an_alarm_back_to_ok_updates_the_message_to_resolved(bot: RunningBot) -> None:
    put_alarm(bot.moto, "orders-api-errors")
    set_state(bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    set_state(bot.moto, "orders-api-errors", "OK", reason="back to normal")
    await bot.run_checks()
    bot.clock.advance(seconds=10)
    await bot.drain()

    [message] = bot.slack.channel_messages("#alerts")
    assert "RESOLVED" in message.blocks[0]["text"]["text"]
    assert "resolved by Boltwatch (all alerts cleared)" in str(message.blocks)
    assert button_ids(message)[:1] == ["incident_reopen"]
    assert [r.text for r in bot.slack.thread("#alerts", message.ts)] == ["Resolved: every alert cleared."]
