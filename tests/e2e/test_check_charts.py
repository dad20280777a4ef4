"""Every check's incident gets a chart of its own metrics at fire and at resolve, and nowhere else: lambda_errors,
sqs_dead_letters, metric_threshold, and cloudwatch_alarms on metric math (its own expression and threshold)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from PIL import Image

from bot.charts.render import HEIGHT_PX, WIDTH_PX
from sandbox.aws.server import MotoHandle
from sandbox.slack.faults import Fault
from tests.e2e.test_incident_charts import chart_blocks
from tests.harness import FakeClock, RunningBot, base_config, running_bot
from tests.runbook import orders_function


@asynccontextmanager
async def charting_bot(moto: MotoHandle, database_url: str, check: dict[str, Any]) -> AsyncIterator[RunningBot]:
    config = base_config(charts={"enabled": True}, checks=[{"every": "1h", **check}])
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=FakeClock()) as bot:
        yield bot


def cloudwatch(moto: MotoHandle) -> Any:
    return boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")


def put_minutes(moto: MotoHandle, namespace: str, dimensions: dict[str, str], metric: str,
                values: list[float], *, end: datetime) -> None:  # fmt: skip
    """`values` one a minute, the last one in the minute before `end`."""
    minute = end.replace(second=0, microsecond=0)
    cloudwatch(moto).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Timestamp": minute - timedelta(minutes=len(values) - index),
                "Value": value,
            }
            for index, value in enumerate(values)
        ],
    )


def decoded_size(bot: RunningBot, block: dict[str, Any]) -> tuple[int, int]:
    png = bot.slack.file_content(block["slack_file"]["id"])
    assert png is not None
    image = Image.open(io.BytesIO(png))
    image.load()  # every byte decoded: a truncated PNG raises
    return image.size


def charts_when(bot: RunningBot, count: int) -> Callable[[], list[dict[str, Any]] | None]:
    return lambda: blocks if len(blocks := chart_blocks(bot)) == count else None


async def fire_then_resolve(bot: RunningBot, make_it_pass: Callable[[], None]) -> list[dict[str, Any]]:
    """Run the check while it fires (twice: the second run adds no chart), then once it passes: both charts."""
    await bot.run_checks()
    [fired] = await bot.wait_for(charts_when(bot, 1))
    await bot.run_checks()
    await bot.drain()
    assert chart_blocks(bot) == [fired]

    await asyncio.to_thread(make_it_pass)
    await bot.run_checks()
    bot.clock.advance(seconds=15)  # the resolved message waits out the group interval; its chart follows it
    charts = await bot.wait_for(charts_when(bot, 2))
    await bot.run_checks()
    await bot.drain()

    assert chart_blocks(bot) == charts
    assert len(bot.slack.channel_messages("#alerts")) == 1  # the charts are replies in the incident's thread
    assert "(firing)" in charts[0]["title"]["text"] and "(resolved)" in charts[1]["title"]["text"]
    assert all(decoded_size(bot, block) == (WIDTH_PX, HEIGHT_PX) for block in charts)
    assert all(block["block_id"].startswith("chart-") for block in charts)
    return charts


async def test_lambda_errors_charts_errors_and_invocations_at_fire_and_at_resolve(
    moto: MotoHandle, database_url: str
) -> None:
    async with charting_bot(moto, database_url, {"type": "lambda_errors", "throttles": 0, "duration_ratio": 0}) as bot:
        now = bot.clock.now
        await asyncio.to_thread(orders_function, moto)
        dimensions = {"FunctionName": "orders"}
        await asyncio.to_thread(put_minutes, moto, "AWS/Lambda", dimensions, "Invocations", [10, 12, 9], end=now)
        await asyncio.to_thread(put_minutes, moto, "AWS/Lambda", dimensions, "Errors", [2, 3, 1], end=now)

        def later() -> None:
            bot.clock.advance(minutes=10)  # the errors fall out of the check's 5-minute window

        fired, resolved = await fire_then_resolve(bot, later)

    alt = fired["alt_text"]
    assert "orders: errors and invocations" in alt
    assert "Errors (Sum): latest 1 at" in alt and "max 3 at" in alt and "3 points" in alt
    assert "Invocations (Sum): latest 9 at" in alt and "max 12 at" in alt
    assert "Threshold ≥1: 3 points breach it." in alt
    assert "Data complete up to" in alt  # Lambda's late metrics: the last timeout + 3 minutes may still grow
    assert "Errors (Sum): latest 1 at" in resolved["alt_text"]


async def test_lambda_duration_is_charted_against_the_functions_timeout(moto: MotoHandle, database_url: str) -> None:
    check = {"type": "lambda_errors", "throttles": 0, "min_errors": 1000}
    async with charting_bot(moto, database_url, check) as bot:
        now = bot.clock.now
        await asyncio.to_thread(orders_function, moto)  # a 3 s timeout
        dimensions = {"FunctionName": "orders"}
        await asyncio.to_thread(put_minutes, moto, "AWS/Lambda", dimensions, "Duration", [800, 2950, 1200], end=now)
        await bot.run_checks()
        [block] = await bot.wait_for(charts_when(bot, 1))

    alt = block["alt_text"]
    assert "orders: duration and its timeout (firing)" in alt
    assert "Duration (Maximum): latest 1.2k ms at" in alt and "max 2.95k ms" in alt
    assert "Threshold ≥2.7k ms: 1 points breach it." in alt  # duration_ratio 0.9 of the timeout
    assert "Timeout 3k ms." in alt


def dead_letter_queue(moto: MotoHandle) -> Any:
    sqs = boto3.client("sqs", endpoint_url=moto.endpoint, region_name="us-east-1")
    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn":"{arn}",'
                                                                      '"maxReceiveCount":"3"}'})  # fmt: skip
    sqs.send_message(QueueUrl=dlq, MessageBody="failed order 42")
    sqs.send_message(QueueUrl=dlq, MessageBody="failed order 43")
    return sqs, dlq


async def test_a_dead_letter_queue_charts_its_depth_and_the_age_of_its_oldest_message(
    moto: MotoHandle, database_url: str
) -> None:
    async with charting_bot(moto, database_url, {"type": "sqs_dead_letters", "max_age": None}) as bot:
        now = bot.clock.now
        sqs, dlq = await asyncio.to_thread(dead_letter_queue, moto)
        queue = {"QueueName": "orders-dlq"}
        await asyncio.to_thread(put_minutes, moto, "AWS/SQS", queue, "ApproximateNumberOfMessagesVisible",
                                [0, 1, 2], end=now)  # fmt: skip
        await asyncio.to_thread(put_minutes, moto, "AWS/SQS", queue, "ApproximateAgeOfOldestMessage",
                                [0, 60, 120], end=now)  # fmt: skip

        fired, _ = await fire_then_resolve(bot, lambda: sqs.purge_queue(QueueUrl=dlq))

    alt = fired["alt_text"]
    assert "orders-dlq: messages waiting and oldest message age" in alt
    assert "messages waiting: latest 2 at" in alt and "max 2 at" in alt
    assert "oldest message age: latest 120 s at" in alt
    assert "Threshold ≥1: 2 points breach it." in alt


async def test_a_metric_threshold_rule_charts_its_metric_and_threshold(moto: MotoHandle, database_url: str) -> None:
    rule = {
        "name": "orders-latency", "namespace": "Custom/Orders", "metric": "Latency",
        "dimensions": {"Service": "orders"}, "statistic": "Maximum", "comparison": ">", "threshold": 500,
        "evaluation_periods": 3, "datapoints_to_alarm": 2,
    }  # fmt: skip
    async with charting_bot(moto, database_url, {"type": "metric_threshold", "metrics": [rule]}) as bot:
        now = bot.clock.now
        dimensions = {"Service": "orders"}
        # Five slow minutes: the rule's last three complete minutes stay slow while draining moves the clock on.
        slow = [300, 700, 800, 900, 650]
        await asyncio.to_thread(put_minutes, moto, "Custom/Orders", dimensions, "Latency", slow, end=now)

        def fast_again() -> None:
            later = bot.clock.advance(minutes=10)
            put_minutes(moto, "Custom/Orders", dimensions, "Latency", [120, 90, 110, 100, 95], end=later)

        fired, resolved = await fire_then_resolve(bot, fast_again)

    alt = fired["alt_text"]
    assert "orders-latency: Custom/Orders Latency" in alt
    assert "Latency (Maximum): latest 650 at" in alt and "max 900 at" in alt and "5 points" in alt
    assert "Threshold >500: 4 points breach it." in alt
    assert "Latency (Maximum): latest 95 at" in resolved["alt_text"]
    # The incident's own firing time is shaded: from its alert's first sighting to the chart, then to its resolution.
    assert f"Firing {now:%H:%M}–" in alt
    assert f"Firing {now:%H:%M}–{now + timedelta(minutes=10):%H:%M} UTC." in resolved["alt_text"]


@pytest.mark.parametrize("statistic", ["Maximum", "Sum"])
async def test_a_ten_day_incident_is_charted_at_its_resolution_in_hourly_periods(
    moto: MotoHandle, database_url: str, statistic: str
) -> None:
    rule = {"name": "orders-latency", "namespace": "Custom/Orders", "metric": "Latency", "statistic": statistic,
            "dimensions": {"Service": "orders"}, "comparison": ">", "threshold": 500}  # fmt: skip
    async with charting_bot(moto, database_url, {"type": "metric_threshold", "metrics": [rule]}) as bot:
        fired_at = bot.clock.now
        dimensions = {"Service": "orders"}
        await asyncio.to_thread(put_minutes, moto, "Custom/Orders", dimensions, "Latency", [700, 800], end=fired_at)
        periods: list[int] = []
        client = await asyncio.to_thread(bot.app.services.aws.client, "cloudwatch")
        client.meta.events.register(
            "provide-client-params.cloudwatch.GetMetricData",
            lambda params, **_: periods.extend(q["MetricStat"]["Period"] for q in params["MetricDataQueries"]),
        )

        def ten_days_later() -> None:
            later = bot.clock.advance(days=10)
            put_minutes(moto, "Custom/Orders", dimensions, "Latency", [100, 90], end=later)

        fired, resolved = await fire_then_resolve(bot, ten_days_later)

    # The chart at resolve reads 10 days in 240 points, not 14,400 (CloudWatch keeps minutes for 15 days only); the
    # check's runs and the chart at fire, an hour long, read the rule's own minutes.
    assert sorted(set(periods)) == [60, 3600] and periods.count(3600) == 1
    alt = resolved["alt_text"]
    latest = {"Maximum": "100", "Sum": "190"}[statistic]  # the last hour's
    assert f"Latency ({statistic}), 1h periods: latest {latest} at" in alt
    assert f"Firing {fired_at:%d %b %H:%M}–" in alt
    if statistic == "Maximum":
        assert "Threshold >500: 1 points breach it." in alt
    else:  # an hour's sum is not a minute's: no threshold line, and the alt text says why
        assert "Threshold" not in alt
        assert "The threshold (500 per 1m period) is not drawn: it does not compare with sums over 1h." in alt
    assert "Threshold >500:" in fired["alt_text"]  # the chart at fire, an hour long, is at the rule's own minute


def put_metric_math_alarm(moto: MotoHandle, *, end: datetime) -> None:
    """An alarm on the expression `m2` (throttles) over two metrics that it does not return itself; moto evaluates
    only expressions that name another query, so the expression picks the second of two to tell them apart."""
    dimensions = {"FunctionName": "orders"}
    put_minutes(moto, "AWS/Lambda", dimensions, "Invocations", [40, 50, 60], end=end)
    put_minutes(moto, "AWS/Lambda", dimensions, "Throttles", [1, 3, 5], end=end)

    alarms = cloudwatch(moto)
    alarms.put_metric_alarm(
        AlarmName="orders-throttled",
        EvaluationPeriods=1,
        Threshold=2,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {"Id": "m1", "MetricStat": orders_sum("Invocations"), "ReturnData": False},
            {"Id": "m2", "MetricStat": orders_sum("Throttles"), "ReturnData": False},
            {"Id": "e1", "Expression": "m2", "Label": "throttled", "ReturnData": True},
        ],
    )
    alarms.set_alarm_state(AlarmName="orders-throttled", StateValue="ALARM", StateReason="5 > 2")


def orders_sum(metric: str) -> dict[str, Any]:
    """The MetricStat of a metric of the function `orders`, summed a minute."""
    dimensions = [{"Name": "FunctionName", "Value": "orders"}]
    return {"Metric": {"Namespace": "AWS/Lambda", "MetricName": metric, "Dimensions": dimensions}, "Period": 60,
            "Stat": "Sum"}  # fmt: skip


async def test_an_alarm_on_metric_math_is_charted_from_its_own_expression_and_threshold(
    moto: MotoHandle, database_url: str
) -> None:
    async with charting_bot(moto, database_url, {"type": "cloudwatch_alarms"}) as bot:
        await asyncio.to_thread(put_metric_math_alarm, moto, end=bot.clock.now)
        queries: list[list[dict[str, Any]]] = []
        client = await asyncio.to_thread(bot.app.services.aws.client, "cloudwatch")
        client.meta.events.register(
            "provide-client-params.cloudwatch.GetMetricData",
            lambda params, **_: queries.append(params["MetricDataQueries"]),
        )

        def calm() -> None:
            cloudwatch(moto).set_alarm_state(AlarmName="orders-throttled", StateValue="OK", StateReason="0")

        fired, _ = await fire_then_resolve(bot, calm)

    assert len(queries) == 2  # one GetMetricData a chart
    assert queries[0] == [
        {"Id": "m1", "MetricStat": orders_sum("Invocations"), "ReturnData": False},
        {"Id": "m2", "MetricStat": orders_sum("Throttles"), "ReturnData": False},
        {"Id": "e1", "Expression": "m2", "Label": "throttled", "ReturnData": True},
    ]
    alt = fired["alt_text"]
    assert "Chart of orders-throttled: m2 (firing)" in alt
    assert "throttled = m2: latest 5 at" in alt and "max 5 at" in alt and "min 1" in alt  # the throttles, not the 60
    assert "Threshold >2: 2 points breach it." in alt


def put_flapping_alarm(moto: MotoHandle, *, end: datetime) -> None:
    """An alarm on the function's errors that went ALARM, OK, INSUFFICIENT_DATA and ALARM again."""
    put_minutes(moto, "AWS/Lambda", {"FunctionName": "orders"}, "Errors", [4, 0, 0, 5], end=end)
    alarms = cloudwatch(moto)
    alarms.put_metric_alarm(
        AlarmName="orders-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=60,
        Dimensions=[{"Name": "FunctionName", "Value": "orders"}], EvaluationPeriods=1, Threshold=3,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    for state in ("ALARM", "OK", "INSUFFICIENT_DATA", "ALARM"):
        alarms.set_alarm_state(AlarmName="orders-errors", StateValue=state, StateReason=f"now {state}")


async def test_an_alarms_chart_shades_every_state_it_was_in_from_its_history(
    moto: MotoHandle, database_url: str
) -> None:
    async with charting_bot(moto, database_url, {"type": "cloudwatch_alarms"}) as bot:
        await asyncio.to_thread(put_flapping_alarm, moto, end=bot.clock.now)
        bot.clock.advance(minutes=1)  # moto stamps the state changes with the real time: the chart's window holds them
        asked: list[dict[str, Any]] = []
        client = await asyncio.to_thread(bot.app.services.aws.client, "cloudwatch")
        client.meta.events.register(
            "provide-client-params.cloudwatch.DescribeAlarmHistory", lambda params, **_: asked.append(params)
        )
        await bot.run_checks()
        [block] = await bot.wait_for(charts_when(bot, 1))

    [history] = asked  # one read of the history, in the chart's window
    assert (history["AlarmName"], history["HistoryItemType"]) == ("orders-errors", "StateUpdate")
    alt = block["alt_text"]
    assert "Errors (Sum): latest 5 at" in alt and "Threshold ≥3: 2 points breach it." in alt
    in_alarm = alt.split("In ALARM ")[1].split(" UTC.")[0]
    assert len(in_alarm.split(", ")) == 2  # the first spell and the one it is in now, not one from its last change
    assert "No data (INSUFFICIENT_DATA) " in alt


async def test_a_429_during_the_upload_delays_the_chart_and_loses_nothing(moto: MotoHandle, database_url: str) -> None:
    refused: list[str] = []

    def refuse_the_first_completion(method: str, params: dict[str, Any]) -> Fault | None:
        if method == "files.completeUploadExternal" and not refused:
            refused.append(method)
            return Fault(429, "ratelimited", 1)
        return None

    async with charting_bot(moto, database_url, {"type": "sqs_dead_letters", "max_age": None}) as bot:
        bot.slack.add_fault_hook(refuse_the_first_completion)
        await asyncio.to_thread(dead_letter_queue, moto)
        await bot.run_checks()
        [block] = await bot.wait_for(charts_when(bot, 1))
        for _ in range(3):
            bot.clock.advance(seconds=10)
            await bot.drain()

        assert refused
        assert chart_blocks(bot) == [block]
        assert decoded_size(bot, block) == (WIDTH_PX, HEIGHT_PX)
        assert "messages waiting: no data." in block["alt_text"]
