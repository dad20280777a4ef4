"""Alarm → one incident message with buttons → clicks update that same message."""

from __future__ import annotations

import asyncio

import boto3
import pytest

from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, base_config, running_bot


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
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
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
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
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
        await asyncio.to_thread(put_alarm, bot.moto, name, function=name.removesuffix("-errors"))
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    await asyncio.to_thread(set_state, bot.moto, "payments-errors", "ALARM")
    await bot.run_checks()
    bot.clock.advance(seconds=10)
    await bot.drain()

    [message] = bot.slack.channel_messages("#alerts")
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert len(bot.slack.calls_to("chat.update")) == 1
    assert "2 of 2 alerts firing" in str(message.blocks)


async def test_an_alarm_back_to_ok_updates_the_message_to_resolved(bot: RunningBot) -> None:
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "OK", reason="back to normal")
    await bot.run_checks()
    bot.clock.advance(seconds=10)
    await bot.drain()

    [message] = bot.slack.channel_messages("#alerts")
    assert "RESOLVED" in message.blocks[0]["text"]["text"]
    assert "resolved by Boltwatch (all alerts cleared)" in str(message.blocks)
    assert button_ids(message)[:1] == ["incident_reopen"]
    assert [r.text for r in bot.slack.thread("#alerts", message.ts)] == ["Resolved: every alert cleared."]


async def fire(bot: RunningBot, name: str = "orders-api-errors"):  # type: ignore[no-untyped-def]
    await asyncio.to_thread(put_alarm, bot.moto, name)
    await asyncio.to_thread(set_state, bot.moto, name, "ALARM")
    await bot.run_checks()
    await bot.drain()
    return bot.slack.channel_messages("#alerts")[-1]


async def test_snooze_for_an_hour_shows_until_when_and_holds_reminders_back(bot: RunningBot) -> None:
    message = await fire(bot)
    await bot.click(
        action_id="incident_snooze",
        channel="#alerts",
        message_ts=message.ts,
        action_type="static_select",
        selected_option=f"incident:{1}:snooze:1h",
    )
    await bot.drain_until(lambda: bot.slack.thread("#alerts", message.ts))
    assert "snoozed until" in str(bot.slack.message("#alerts", message.ts).blocks)
    assert "snoozed this incident until" in bot.slack.thread("#alerts", message.ts)[0].text

    bot.clock.advance(hours=5)
    assert await bot.app.runner.send_reminders() == 1
    await bot.drain()
    assert bot.slack.thread("#alerts", message.ts)[-1].text == "Snooze over: still firing."


async def test_custom_snooze_opens_a_modal_and_refuses_a_bad_duration(bot: RunningBot) -> None:
    message = await fire(bot)
    await bot.click(
        action_id="incident_snooze",
        channel="#alerts",
        message_ts=message.ts,
        action_type="static_select",
        selected_option="incident:1:snooze:custom",
    )
    [view] = await bot.wait_for(lambda: bot.slack.open_views())
    bad = await bot.slack.send_view_submission(
        bot.events_url, view=view["id"], values={"duration": {"value": "a while"}, "reason": {"value": "deploy"}}
    )
    assert bad.json()["response_action"] == "errors"
    assert "not a duration" in bad.json()["errors"]["duration"]
    huge = await bot.slack.send_view_submission(
        bot.events_url, view=view["id"], values={"duration": {"value": "99999999999d"}, "reason": {"value": "x"}}
    )
    assert huge.status == 200
    assert huge.json()["errors"]["duration"] == "Snooze for at most 30 days; resolve instead."

    await bot.slack.send_view_submission(
        bot.events_url, view=view["id"], values={"duration": {"value": "90m"}, "reason": {"value": "deploy <!channel>"}}
    )
    await bot.drain_until(lambda: bot.slack.thread("#alerts", message.ts))
    reply = bot.slack.thread("#alerts", message.ts)[0].text
    assert "snoozed this incident" in reply and "Reason: deploy &lt;!channel&gt;" in reply


async def test_resolve_then_reopen(bot: RunningBot) -> None:
    message = await fire(bot)
    await bot.click(action_id="incident_resolve", channel="#alerts", message_ts=message.ts)
    await bot.drain_until(lambda: len(bot.slack.thread("#alerts", message.ts)) == 1)
    assert "RESOLVED" in bot.slack.message("#alerts", message.ts).blocks[0]["text"]["text"]

    await bot.click(action_id="incident_reopen", channel="#alerts", message_ts=message.ts)
    await bot.drain_until(lambda: len(bot.slack.thread("#alerts", message.ts)) == 2)
    reopened = bot.slack.message("#alerts", message.ts)
    assert "WARNING" in reopened.blocks[0]["text"]["text"]
    assert button_ids(reopened)[0] == "incident_ack"


async def test_a_click_from_another_channel_is_refused_and_changes_nothing(bot: RunningBot) -> None:
    message = await fire(bot)
    payload_value = "incident:1"
    await bot.slack.send_block_action(
        bot.events_url,
        action_id="incident_ack",
        channel="#ops",
        value=payload_value,
        user="U0CAROL",
    )
    ephemerals = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0CAROL"))
    assert "You can't acknowledge incident #1" in ephemerals[0].text
    await bot.drain()
    assert "WARNING" in bot.slack.message("#alerts", message.ts).blocks[0]["text"]["text"]
    assert bot.slack.thread("#alerts", message.ts) == []


async def test_a_forged_button_value_is_ignored(bot: RunningBot) -> None:
    message = await fire(bot)
    await bot.slack.send_block_action(
        bot.events_url, action_id="incident_ack", channel="#alerts", value="incident:1; DROP TABLE", user="U0BOB"
    )
    await bot.drain()
    assert bot.slack.thread("#alerts", message.ts) == []
    assert len(bot.slack.calls_to("chat.update")) == 0


async def test_restarting_on_the_same_database_posts_nothing_new(moto: MotoHandle, database_url: str) -> None:
    await asyncio.to_thread(put_alarm, moto, "orders-api-errors")
    await asyncio.to_thread(set_state, moto, "orders-api-errors", "ALARM")
    clock = FakeClock()
    async with LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp) as slack:
        async with running_bot(moto=moto, database_url=database_url, slack=slack, clock=clock) as first:
            await first.run_checks()
            await first.drain()
        async with running_bot(moto=moto, database_url=database_url, slack=slack, clock=clock) as second:
            clock.advance(minutes=5)
            await second.run_checks()
            await second.drain()
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("chat.update")) == 0


async def test_a_storm_stays_one_message_with_the_top_ten_and_the_rest_a_click_away(bot: RunningBot) -> None:
    def storm() -> None:
        for i in range(15):
            put_alarm(bot.moto, f"queue-depth-{i:02d}", function=f"worker-{i:02d}")
            set_state(bot.moto, f"queue-depth-{i:02d}", "ALARM")

    await asyncio.to_thread(storm)
    await bot.run_checks()
    await bot.drain()

    [message] = bot.slack.channel_messages("#alerts")
    text = str(message.blocks)
    assert "15 of 15 alerts firing" in text and "…and 5 more." in text
    assert text.count("• ") == 10
    await bot.click(action_id="incident_alerts", channel="#alerts", message_ts=message.ts)
    [view] = await bot.wait_for(lambda: bot.slack.open_views())
    assert str(view["blocks"]).count("• ") == 15


async def test_a_user_outside_the_access_rule_is_refused_privately(moto: MotoHandle, database_url: str) -> None:
    config = base_config(access=[{"actions": ["resolve"], "users": ["U0BOB"]}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        message = await fire(bot)
        await bot.click(action_id="incident_resolve", channel="#alerts", message_ts=message.ts, user="U0CAROL")
        [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0CAROL"))
        assert "only <@U0BOB> may resolve" in refusal.text
        await bot.click(action_id="incident_resolve", channel="#alerts", message_ts=message.ts, user="U0BOB")
        await bot.drain_until(lambda: bot.slack.thread("#alerts", message.ts))
        assert "RESOLVED" in bot.slack.message("#alerts", message.ts).blocks[0]["text"]["text"]


async def test_a_forged_snooze_choice_is_ignored_and_changes_nothing(bot: RunningBot, caplog) -> None:  # type: ignore[no-untyped-def]
    message = await fire(bot)
    before = bot.slack.message("#alerts", message.ts).blocks

    for forged in ("incident:1:snooze:unmute", "incident:1:snooze:0m", "incident:1:snooze:99999999w"):
        response = await bot.click(
            action_id="incident_snooze", channel="#alerts", message_ts=message.ts, action_type="static_select",
            selected_option=forged,
        )  # fmt: skip
        assert response.status == 200
    ignored = "ignored a snooze choice that is not a duration"
    await bot.wait_for(lambda: sum(ignored in r.getMessage() for r in caplog.records) == 3)
    await bot.drain()

    assert bot.slack.message("#alerts", message.ts).blocks == before
    assert bot.slack.thread("#alerts", message.ts) == []
    assert not [r for r in caplog.records if r.exc_info]
