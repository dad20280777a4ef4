"""What an alarm's chart asks CloudWatch for: its own metric, or its own metric math, and its threshold."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.aws.metric_charts import ChartRequest, alarm_chart

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
