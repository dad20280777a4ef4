"""An alarm that fires gets one chart, in its incident's thread: uploaded to Slack once, shown by an image block."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from sandbox.aws.server import MotoHandle
from sandbox.slack.faults import Fault
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


async def test_acknowledging_waits_for_no_chart_and_a_refused_chart_is_given_up_once(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse_uploads(method: str, params: dict[str, Any]) -> Fault | None:
        return Fault(200, "invalid_arguments") if method == "files.getUploadURLExternal" else None

    bot.slack.add_fault_hook(refuse_uploads)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    await bot.run_checks()
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    await bot.click(action_id="incident_ack", channel="#alerts", message_ts=message.ts, user="U0BOB")
    await bot.drain_until(lambda: "ACKNOWLEDGED" in bot.slack.channel_messages("#alerts")[0].blocks[0]["text"]["text"])
    with caplog.at_level(logging.WARNING, logger="bot.delivery.drainer"):
        for _ in range(6):
            bot.clock.advance(seconds=20)
            await bot.drain()

    uploads = [call for call in bot.slack.calls if call.method == "files.getUploadURLExternal"]
    assert len(uploads) == 4
    given_up = [r for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1 and "invalid_arguments" in given_up[0].getMessage()
    assert chart_blocks(bot) == []
    assert [reply.text for reply in bot.slack.thread("#alerts", message.ts) if "<@U0BOB>" in reply.text]


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
