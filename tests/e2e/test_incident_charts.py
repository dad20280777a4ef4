"""An alarm that fires gets one chart, in its incident's thread: uploaded to Slack once, shown by an image block."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from sandbox.aws.server import MotoHandle
from sandbox.slack.faults import Fault
from tests.harness import RunningBot, running_bot

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
    async with running_bot(moto=moto, database_url=database_url) as running:
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
