"""An alarm that fires gets one chart, in its incident's thread: uploaded to Slack once, shown by an image block."""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from bot.delivery.chart_delivery import CHART_ATTEMPTS
from sandbox.aws.server import MotoHandle
from sandbox.slack.faults import UPLOAD, Fault
from tests.harness import RunningBot, base_config, running_bot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def put_failing_function_alarm(endpoint: str) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cloudwatch.put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": "orders-api"}],
                "Timestamp": now - timedelta(minutes=minutes),
                "Value": value,
                "Unit": "Count",
            }
            for minutes, value in ((12, 0.0), (9, 1.0), (6, 4.0), (3, 7.0))
        ],
    )
    cloudwatch.put_metric_alarm(
        AlarmName="orders-api-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "orders-api"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=3,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName="orders-api-errors", StateValue="ALARM", StateReason="7 errors >= 3")


def chart_blocks(bot: RunningBot) -> list[dict[str, Any]]:
    messages = bot.slack.channel_messages("#alerts")
    if not messages:
        return []
    [message] = messages
    return [
        block
        for reply in bot.slack.thread("#alerts", message.ts)
        for block in reply.blocks
        if block.get("block_id", "").startswith("chart-")
    ]


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    config = base_config(charts={"enabled": True})
    async with running_bot(moto=moto, database_url=database_url, config=config) as running:
        yield running


async def test_a_firing_alarm_gets_one_chart_of_its_metric_in_the_thread(bot: RunningBot) -> None:
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)

    await bot.run_checks()
    [block] = await bot.wait_for(lambda: chart_blocks(bot))
    await bot.run_checks()
    await bot.drain()

    assert chart_blocks(bot) == [block]
    assert block["type"] == "image"
    png = bot.slack.file_content(block["slack_file"]["id"])
    assert png is not None and png.startswith(PNG_SIGNATURE)
    assert "Errors (Sum): latest 7" in block["alt_text"]
    assert "max 7" in block["alt_text"]
    assert "Threshold ≥3: 2 points breach it" in block["alt_text"]


async def test_a_refused_chart_post_is_retried_with_the_file_already_uploaded(bot: RunningBot) -> None:
    refused: list[str] = []

    def refuse_first_image_post(method: str, params: dict[str, Any]) -> Fault | None:
        has_image = any(b.get("type") == "image" for b in params.get("blocks") or [] if isinstance(b, dict))
        if method == "chat.postMessage" and has_image and not refused:
            refused.append(method)
            return Fault(429, "ratelimited", 1)
        return None

    bot.slack.add_fault_hook(refuse_first_image_post)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)

    await bot.run_checks()
    await bot.wait_for(lambda: chart_blocks(bot))

    assert refused
    uploads = [call for call in bot.slack.calls if call.method == "files.getUploadURLExternal"]
    assert len(uploads) == 1
    assert len(chart_blocks(bot)) == 1


async def test_a_resolved_alarm_gets_a_second_chart(bot: RunningBot) -> None:
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    await bot.wait_for(lambda: chart_blocks(bot))

    cloudwatch = boto3.client("cloudwatch", endpoint_url=bot.moto.endpoint, region_name="us-east-1")
    await asyncio.to_thread(cloudwatch.set_alarm_state, AlarmName="orders-api-errors", StateValue="OK",
                            StateReason="0 errors")  # fmt: skip
    await bot.run_checks()
    bot.clock.advance(seconds=15)  # the message's update waits out the group interval; the chart follows it
    charts = await bot.wait_for(lambda: chart_blocks(bot) if len(chart_blocks(bot)) == 2 else None)

    assert "(resolved)" in charts[1]["title"]["text"]
    assert charts[0]["slack_file"]["id"] != charts[1]["slack_file"]["id"]


def image_posts(bot: RunningBot) -> list[Any]:
    return [
        call
        for call in bot.slack.calls_to("chat.postMessage")
        if any(isinstance(b, dict) and b.get("type") == "image" for b in call.params.get("blocks") or [])
    ]


async def later(bot: RunningBot, *, rounds: int, seconds: float) -> None:
    """Time passes, `rounds` times `seconds`, and the outbox is drained each time."""
    for _ in range(rounds):
        bot.clock.advance(seconds=seconds)
        await bot.drain()


async def test_acknowledging_waits_for_no_chart_and_a_chart_slack_rejects_is_given_up_once(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    def reject_the_image(method: str, params: dict[str, Any]) -> Fault | None:
        has_image = any(isinstance(b, dict) and b.get("type") == "image" for b in params.get("blocks") or [])
        return Fault(200, "invalid_blocks") if method == "chat.postMessage" and has_image else None

    bot.slack.add_fault_hook(reject_the_image)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    await bot.click(action_id="incident_ack", channel="#alerts", message_ts=message.ts, user="U0BOB")
    await bot.drain_until(lambda: "ACKNOWLEDGED" in bot.slack.channel_messages("#alerts")[0].blocks[0]["text"]["text"])
    with caplog.at_level(logging.WARNING, logger="bot.delivery.drainer"):
        await later(bot, rounds=6, seconds=20)

    assert len(image_posts(bot)) == 4
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1  # each try shows the file uploaded first
    given_up = [r for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1 and "invalid_blocks" in given_up[0].getMessage()
    assert "Slack refuses the chart itself" in given_up[0].getMessage()
    assert chart_blocks(bot) == []
    assert [reply.text for reply in bot.slack.thread("#alerts", message.ts) if "<@U0BOB>" in reply.text]


async def test_a_429_on_the_upload_url_request_loses_nothing_and_posts_the_chart_once(bot: RunningBot) -> None:
    bot.slack.inject_faults(method="files.getUploadURLExternal", status=429, retry_after=3)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    await later(bot, rounds=4, seconds=5)

    [block] = chart_blocks(bot)
    assert [call.status for call in bot.slack.calls_to("files.getUploadURLExternal")] == [429, 200]
    [completed] = [call for call in bot.slack.calls_to("files.completeUploadExternal") if call.ok]
    assert completed.params["files"][0]["id"] == block["slack_file"]["id"]
    assert len(image_posts(bot)) == 1


async def test_a_429_on_the_upload_of_the_bytes_loses_nothing_and_posts_the_chart_once(bot: RunningBot) -> None:
    refused: list[str] = []

    def refuse_the_first_bytes(method: str, params: dict[str, Any]) -> Fault | None:
        if method == UPLOAD and not refused:
            refused.append(params["file_id"])
            return Fault(429, "ratelimited", 3)
        return None

    bot.slack.add_fault_hook(refuse_the_first_bytes)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    await later(bot, rounds=4, seconds=5)

    [block] = chart_blocks(bot)
    assert len(refused) == 1 and block["slack_file"]["id"] != refused[0]
    assert bot.slack.file_content(refused[0]) is None  # never completed: Slack discards it
    assert [call.ok for call in bot.slack.calls_to("files.completeUploadExternal")] == [True]
    assert len(image_posts(bot)) == 1


async def test_a_429_on_the_upload_of_the_bytes_waits_out_its_retry_after(bot: RunningBot) -> None:
    """Slack's upload URL says when to come back (`Retry-After: 30`): the chart is not uploaded again before then,
    and is posted once after."""
    bot.slack.inject_faults(method=UPLOAD, status=429, retry_after=30)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    await bot.drain()
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1  # its bytes refused with 429

    await later(bot, rounds=5, seconds=5)  # 25 s: the generic backoff (2, 4, 8 s) would have tried three times
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1
    assert chart_blocks(bot) == []

    await later(bot, rounds=2, seconds=5)
    [_block] = chart_blocks(bot)
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 2
    assert len(image_posts(bot)) == 1


@pytest.fixture
async def secret_bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    """Alerts go to #secret, a private channel: the bot cannot join it, someone must invite it."""
    config = base_config(charts={"enabled": True}, slack={"channel": "#secret"})
    async with running_bot(moto=moto, database_url=database_url, config=config) as running:
        running.slack.add_channel("#secret", private=True, bot_is_member=False)
        yield running


def secret_chart_blocks(bot: RunningBot) -> list[dict[str, Any]]:
    return [
        block
        for message in bot.slack.channel_messages("#secret")
        for reply in bot.slack.thread("#secret", message.ts)
        for block in reply.blocks
        if block.get("block_id", "").startswith("chart-")
    ]


async def test_a_channel_that_refuses_the_incident_holds_its_chart_until_both_get_through_once(
    secret_bot: RunningBot,
) -> None:
    bot = secret_bot
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    await later(bot, rounds=8, seconds=60)

    refusals = [call.response.get("error") for call in bot.slack.calls_to("chat.postMessage") if not call.ok]
    assert refusals and set(refusals) == {"not_in_channel"}
    assert bot.slack.calls_to("files.getUploadURLExternal") == []  # the chart waits behind its incident's post
    bot.slack.invite_bot("#secret")
    await later(bot, rounds=3, seconds=300)

    [message] = bot.slack.channel_messages("#secret")
    [block] = secret_chart_blocks(bot)
    assert bot.slack.file_content(block["slack_file"]["id"]) is not None
    posted = [call for call in bot.slack.calls_to("chat.postMessage") if call.ok]
    assert [bool(call.params.get("thread_ts")) for call in posted] == [False, True]
    assert posted[1].params["thread_ts"] == message.ts
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1


def removing_the_bot_before_the_chart(bot: RunningBot, channel: str) -> Callable[[str, dict[str, Any]], Fault | None]:
    """A fault hook: the bot is taken out of `channel` just as it asks for its first chart's upload URL (after the
    incident's message got in)."""

    def hook(method: str, params: dict[str, Any]) -> Fault | None:
        if method == "files.getUploadURLExternal" and not bot.slack.calls_to(method):
            bot.slack.remove_bot(channel)
        return None

    return hook


async def test_a_chart_the_channel_refuses_after_its_incident_is_kept_past_its_tries_until_the_bot_is_back(
    secret_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = secret_bot
    bot.slack.invite_bot("#secret")
    bot.slack.add_fault_hook(removing_the_bot_before_the_chart(bot, "#secret"))
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#secret"))
    with caplog.at_level(logging.WARNING, logger="bot.delivery.drainer"):
        await later(bot, rounds=10, seconds=60)

    refused = [call for call in image_posts(bot) if not call.ok]
    assert len(refused) > CHART_ATTEMPTS and {call.response["error"] for call in refused} == {"not_in_channel"}
    assert not [r for r in caplog.records if "given up" in r.getMessage()]
    bot.slack.invite_bot("#secret")
    await later(bot, rounds=2, seconds=300)

    [block] = secret_chart_blocks(bot)
    assert [call.params["thread_ts"] for call in image_posts(bot) if call.ok] == [message.ts]
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1  # the file uploaded before is the one shown
    assert bot.slack.file_content(block["slack_file"]["id"]) is not None


async def test_a_chart_in_a_public_channel_the_bot_was_removed_from_joins_it_and_is_posted(bot: RunningBot) -> None:
    bot.slack.add_fault_hook(removing_the_bot_before_the_chart(bot, "#alerts"))
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    [block] = await bot.wait_for(lambda: chart_blocks(bot))

    assert [call.params["channel"] for call in bot.slack.calls_to("conversations.join")] == ["C0ALERTS"]
    assert [call.ok for call in image_posts(bot)] == [False, True]
    assert block["slack_file"]["id"]


async def test_a_chart_waits_for_its_incidents_message_however_long_the_post_takes(bot: RunningBot) -> None:
    failed: list[str] = []

    def fail_the_first_posts(method: str, params: dict[str, Any]) -> Fault | None:
        if method == "chat.postMessage" and not params.get("thread_ts") and len(failed) < 3:
            failed.append(method)
            return Fault(500)
        return None

    bot.slack.add_fault_hook(fail_the_first_posts)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    for _ in range(4):
        bot.clock.advance(seconds=10)
        await bot.drain()
    [block] = await bot.wait_for(lambda: chart_blocks(bot))

    methods = [call.method for call in bot.slack.calls if call.status == 200]
    assert len(failed) == 3
    assert methods.index("chat.postMessage") < methods.index("files.getUploadURLExternal")
    assert methods.count("files.getUploadURLExternal") == 1
    assert block["slack_file"]["id"]


async def test_with_charts_off_an_alarm_gets_its_message_and_no_chart(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:  # the harness's config: charts off
        await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
        await bot.run_checks()
        await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
        await bot.drain()

        assert not [call for call in bot.slack.calls if call.method.startswith("files.")]
        assert chart_blocks(bot) == []


async def test_resolving_with_the_button_gets_the_resolve_chart(bot: RunningBot) -> None:
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    [fired] = await bot.wait_for(lambda: chart_blocks(bot))
    [message] = bot.slack.channel_messages("#alerts")

    await bot.click(action_id="incident_resolve", channel="#alerts", message_ts=message.ts, user="U0BOB")
    charts = await bot.wait_for(lambda: chart_blocks(bot) if len(chart_blocks(bot)) == 2 else None)
    await later(bot, rounds=3, seconds=20)

    assert chart_blocks(bot) == charts and charts[0] == fired
    assert "(resolved)" in charts[1]["title"]["text"] and "(resolved)" not in fired["title"]["text"]
    assert bot.slack.channel_messages("#alerts")[0].text.startswith("RESOLVED")
    thread = bot.slack.thread("#alerts", message.ts)
    resolved_by = next(i for i, reply in enumerate(thread) if "<@U0BOB>" in reply.text)
    assert any(block.get("block_id", "").startswith("chart-") for block in thread[-1].blocks)
    assert resolved_by < len(thread) - 1  # the chart follows the reply saying who resolved it


async def test_an_alert_joining_an_acknowledge_and_a_rerun_add_no_chart(bot: RunningBot) -> None:
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    [fired] = await bot.wait_for(lambda: chart_blocks(bot))
    [message] = bot.slack.channel_messages("#alerts")

    await bot.run_checks()  # nothing changed
    await later(bot, rounds=2, seconds=20)
    cloudwatch = boto3.client("cloudwatch", endpoint_url=bot.moto.endpoint, region_name="us-east-1")
    await asyncio.to_thread(
        cloudwatch.put_metric_alarm, AlarmName="payments-errors", Namespace="AWS/Lambda", MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "payments"}], Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    await asyncio.to_thread(cloudwatch.set_alarm_state, AlarmName="payments-errors", StateValue="ALARM",
                            StateReason="2 errors >= 1")  # fmt: skip
    await bot.run_checks()
    await later(bot, rounds=2, seconds=20)
    assert "payments-errors" in str(bot.slack.channel_messages("#alerts")[0].blocks)
    await bot.click(action_id="incident_ack", channel="#alerts", message_ts=message.ts, user="U0BOB")
    await bot.drain_until(lambda: "ACKNOWLEDGED" in bot.slack.channel_messages("#alerts")[0].blocks[0]["text"]["text"])
    await bot.run_checks()
    await later(bot, rounds=3, seconds=20)

    assert len(bot.slack.channel_messages("#alerts")) == 1
    assert chart_blocks(bot) == [fired]
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1


async def test_the_chart_is_drawn_in_a_worker_thread_never_on_the_event_loop(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    agg = await asyncio.to_thread(importlib.import_module, "matplotlib.backends.backend_agg")  # ~0.5 s: not here
    canvas_class = agg.FigureCanvasAgg
    drawn_in: list[tuple[threading.Thread, bool]] = []
    draw = canvas_class.draw

    def noting_the_thread(canvas: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            drawn_in.append((threading.current_thread(), False))
        else:
            drawn_in.append((threading.current_thread(), True))
        draw(canvas)

    monkeypatch.setattr(canvas_class, "draw", noting_the_thread)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    [block] = await bot.wait_for(lambda: chart_blocks(bot))

    assert bot.slack.file_content(block["slack_file"]["id"]) is not None
    assert drawn_in, "the chart was drawn with matplotlib's Agg canvas"
    assert all(thread is not threading.current_thread() and not on_a_loop for thread, on_a_loop in drawn_in)
