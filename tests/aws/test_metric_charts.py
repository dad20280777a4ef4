"""What an alarm's chart asks CloudWatch for: its own metric, or its own metric math, and its threshold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bot.aws.metric_charts import (
    ChartLine,
    ChartRequest,
    alarm_chart,
    chart_period,
    fetch_series,
    threshold_holds,
)
from sandbox.aws.server import MotoHandle

ERROR_RATE = [
    {"Id": "errors", "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors",
     "Dimensions": [{"Name": "FunctionName", "Value": "orders"}]}, "Period": 300, "Stat": "Sum"}, "ReturnData": False},
    {"Id": "calls", "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Invocations",
     "Dimensions": [{"Name": "FunctionName", "Value": "orders"}]}, "Period": 300, "Stat": "Sum"}, "ReturnData": False},
    {"Id": "rate", "Expression": "100 * errors / calls", "Label": "error rate", "ReturnData": True},
]  # fmt: skip


def alarm(**fields: Any) -> dict[str, Any]:
    return {
        "AlarmName": "orders-error-rate", "StateValue": "ALARM", "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold", "Metrics": ERROR_RATE,
        "StateUpdatedTimestamp": datetime(2026, 12, 5, 1, 0, tzinfo=UTC), **fields,
    }  # fmt: skip


def test_a_metric_math_alarm_is_charted_from_its_own_queries_showing_the_expression_it_returns() -> None:
    request = alarm_chart(alarm(), account="prod", region="eu-west-1")

    assert request is not None
    assert list(request.metric_math) == ERROR_RATE  # fetched as the alarm evaluates them
    [line] = request.lines
    assert (line.id, line.label) == ("rate", "error rate = 100 * errors / calls")
    assert request.title == "orders-error-rate: 100 * errors / calls"
    assert (request.threshold, request.comparison) == (5.0, "GreaterThanThreshold")
    assert request.period_seconds == 300
    assert request.alarm_since == "2026-12-05T01:00:00+00:00"


def test_the_outbox_keeps_a_metric_math_chart_as_json_and_gets_the_same_request_back() -> None:
    request = alarm_chart(alarm(), account=None, region="us-east-1")
    assert request is not None

    kept = json.loads(json.dumps(request.to_payload()))

    assert ChartRequest.from_payload(kept) == request


def test_an_anomaly_detection_alarm_draws_its_band_and_no_fixed_threshold() -> None:
    band = [{"Id": "m1", "MetricStat": ERROR_RATE[0]["MetricStat"], "ReturnData": True},
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": True}]  # fmt: skip
    anomaly = alarm(Metrics=band, ThresholdMetricId="ad1", Threshold=None)
    request = alarm_chart(anomaly, account=None, region="us-east-1")

    assert request is not None
    assert [line.id for line in request.lines] == ["m1", "ad1"]
    assert request.threshold is None and request.comparison is None


def test_an_alarm_on_a_percentile_is_not_charted() -> None:
    percentile = {"AlarmName": "slow", "Namespace": "AWS/Lambda", "MetricName": "Duration", "ExtendedStatistic": "p99"}
    assert alarm_chart(percentile, account=None, region="us-east-1") is None


NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def chart_at(period: int, stat: str = "Sum") -> ChartRequest:
    line = ChartLine("m0", "AWS/Lambda", "Errors", stat, "Errors")
    return ChartRequest(title="t", account=None, region="us-east-1", lines=(line,), period_seconds=period)


def test_a_long_window_is_fetched_at_a_coarser_period_in_whole_periods_of_the_metrics_own() -> None:
    def period(request: ChartRequest, days: float, ago: float = 0) -> int:
        end = NOW - timedelta(days=ago)
        return chart_period(request, start=end - timedelta(days=days), end=end, now=NOW)

    assert period(chart_at(60), 1 / 24) == 60  # an hour: the metric's own minutes
    assert period(chart_at(300), 1 / 24) == 300
    assert period(chart_at(60), 1) == 300  # at most 500 points
    assert period(chart_at(60), 10) == 3600
    assert period(chart_at(120), 1) == 360  # 5 minutes in whole 2-minute periods
    assert period(chart_at(60), 1 / 24, ago=20) == 300  # CloudWatch keeps 1-minute data for 15 days
    assert period(chart_at(60), 1 / 24, ago=70) == 3600  # and 5-minute data for 63


def test_a_threshold_holds_at_a_coarser_period_only_for_statistics_that_do_not_grow_with_it() -> None:
    assert threshold_holds(chart_at(60, "Sum"), 60)
    assert not threshold_holds(chart_at(60, "Sum"), 3600)
    assert not threshold_holds(chart_at(60, "SampleCount"), 3600)
    assert threshold_holds(chart_at(60, "Maximum"), 3600)
    math = alarm_chart(alarm(), account=None, region="us-east-1")
    assert math is not None and not threshold_holds(math, 3600)  # sums of errors and calls inside the expression


def test_metric_math_is_fetched_at_the_coarser_period_as_its_queries_with_that_period(moto: MotoHandle) -> None:
    request = alarm_chart(alarm(), account=None, region="us-east-1")
    assert request is not None
    asked: list[list[dict[str, Any]]] = []
    client = boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")
    client.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData", lambda params, **_: asked.append(params["MetricDataQueries"])
    )

    fetch_series(client, request, start=NOW - timedelta(days=3), end=NOW, period=900)

    [queries] = asked
    assert [q.get("MetricStat", {}).get("Period") for q in queries] == [900, 900, None]
    assert [q["Id"] for q in queries] == ["errors", "calls", "rate"] and queries[2]["Expression"] == ERROR_RATE[2][
        "Expression"
    ]
