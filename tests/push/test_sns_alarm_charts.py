"""A pushed alarm's chart shows the alarm's own metric at its own period against its threshold, whichever form SNS
carried: the EventBridge event, which has no threshold, has it read from DescribeAlarms when the chart is drawn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox.aws.fake_sns import FakeSns
from sandbox.aws.server import MotoHandle
from tests.e2e.test_check_charts import charts_when, put_minutes
from tests.harness import FakeClock, RunningBot, running_bot
from tests.push.alarm_messages import alarm_notification, alarm_state_change_event
from tests.push.sns_bot import deliver, push_config


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path) -> AsyncIterator[RunningBot]:
    config = push_config(tmp_path, charts={"enabled": True})
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=FakeClock()) as running:
        yield running


def five_minute_alarm(moto: MotoHandle, bot: RunningBot) -> None:
    """An alarm on orders-api's errors summed over 5 minutes, ≥ 3; one error a minute for the last 15 minutes, which
    only a 5-minute sum shows breaching."""
    put_minutes(moto, "AWS/Lambda", {"FunctionName": "orders-api"}, "Errors", [1.0] * 15, end=bot.clock.now)
    boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1").put_metric_alarm(
        AlarmName="orders-api-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=300,
        Dimensions=[{"Name": "FunctionName", "Value": "orders-api"}], EvaluationPeriods=1, Threshold=3,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip


@pytest.mark.parametrize("form", ["notification", "event"])
async def test_a_pushed_alarm_is_charted_at_its_period_against_its_threshold(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle, form: str
) -> None:
    await asyncio.to_thread(five_minute_alarm, moto, bot)
    if form == "notification":
        document: dict[str, Any] = alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now, period=300)
        document["Trigger"]["Threshold"] = 3.0
    else:
        document = alarm_state_change_event("orders-api-errors", "ALARM", at=bot.clock.now, period=300)
    described: list[dict[str, Any]] = []
    client = await asyncio.to_thread(bot.app.services.aws.client, "cloudwatch")
    client.meta.events.register(
        "provide-client-params.cloudwatch.DescribeAlarms", lambda params, **_: described.append(params)
    )

    assert await deliver(bot, sns.notification(document)) == 200
    [block] = await bot.wait_for(charts_when(bot, 1))

    alt = block["alt_text"]
    assert "Chart of orders-api-errors: AWS/Lambda Errors (firing)" in alt
    assert "Errors (Sum): latest" in alt and "max 5 at" in alt  # 5-minute sums of one error a minute, not 1s
    assert "Threshold ≥3:" in alt and "Threshold ≥3: 0 points" not in alt
    # Only the event needed DescribeAlarms, for its threshold: once, by the alarm's name.
    assert described == ([] if form == "notification" else [{"AlarmNames": ["orders-api-errors"],
                                                             "AlarmTypes": ["MetricAlarm"]}])  # fmt: skip
