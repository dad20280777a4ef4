"""A pushed alarm state change, in either of the forms SNS carries, reads into the finding the `cloudwatch_alarms`
check makes of the same alarm from DescribeAlarms."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from bot.aws.alarm_events import alarm_change, event_kind
from bot.aws.metric_charts import ChartRequest, alarm_chart
from bot.aws.region_names import region_code
from bot.core.findings import Finding
from sandbox.aws.server import MotoHandle
from scheduler.checks.cloudwatch_alarms import AlarmParams, alarm_finding
from tests.push.alarm_messages import (
    alarm_notification,
    alarm_state_change_event,
    metric_math_event,
    metric_math_notification,
)

AT = datetime(2026, 3, 2, 9, 0, 0, 123000, tzinfo=UTC)
DESCRIBED = {
    "AlarmName": "orders-api-errors-critical",
    "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-api-errors-critical",
    "AlarmDescription": "orders-api is failing",
    "StateValue": "ALARM",
    "StateReason": "Threshold Crossed: 1 datapoint [5.0 (02/03/26 09:00:00)] was greater than or equal to the "
    "threshold (1.0).",
    "StateUpdatedTimestamp": AT,
    "MetricName": "Errors",
    "Namespace": "AWS/Lambda",
    "Statistic": "Sum",
    "Dimensions": [{"Name": "FunctionName", "Value": "orders-api"}],
    "Period": 60,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
}
PARAMS = AlarmParams()


def polled() -> Finding:
    return alarm_finding(DESCRIBED, account_id="123456789012", region="us-east-1", params=PARAMS)


def pushed(document: dict[str, Any]) -> Finding:
    change = alarm_change(document)
    assert change is not None
    return alarm_finding(change.alarm, account_id=change.account_id, region=change.region, params=PARAMS)


def test_an_alarm_notification_is_the_polled_finding() -> None:
    notification = alarm_notification("orders-api-errors-critical", "ALARM", at=AT)
    assert pushed(notification) == polled()


def test_an_eventbridge_alarm_state_change_is_the_polled_finding_but_for_what_the_event_leaves_out() -> None:
    event = alarm_state_change_event("orders-api-errors-critical", "ALARM", at=AT)
    finding = pushed(event)
    assert replace(finding, evidence={}, chart=None) == replace(polled(), evidence={}, chart=None)
    assert finding.evidence["Metric"] == "AWS/Lambda Errors (Sum)"  # the event has no threshold
    # The event has no threshold: the chart reads it from DescribeAlarms when it is drawn.
    assert finding.chart == {**(polled().chart or {}), "threshold": None, "comparison": None,
                             "threshold_from_alarm": True}  # fmt: skip
    assert finding.evidence["Reason"].startswith("Threshold Crossed")


def test_a_pushed_five_minute_alarm_is_charted_at_five_minutes() -> None:
    for document in (alarm_notification("slow", "ALARM", at=AT, period=300),
                     alarm_state_change_event("slow", "ALARM", at=AT, period=300)):  # fmt: skip
        chart = ChartRequest.from_payload(pushed(document).chart or {})
        assert chart.period_seconds == 300
        assert chart.lines[0].metric == "Errors" and chart.alarm_name == "slow"


ERROR_RATE = [
    {"Id": "rate", "Expression": "100 * errors / calls", "Label": "error rate", "ReturnData": True},
    {"Id": "errors", "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors",
     "Dimensions": [{"Name": "FunctionName", "Value": "orders-api"}]}, "Period": 300, "Stat": "Sum"},
     "ReturnData": False},
    {"Id": "calls", "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Invocations",
     "Dimensions": [{"Name": "FunctionName", "Value": "orders-api"}]}, "Period": 300, "Stat": "Sum"},
     "ReturnData": False},
]  # fmt: skip
"""The alarm's `Metrics` as DescribeAlarms gives them (and PutMetricAlarm takes them)."""


def test_a_pushed_metric_math_alarm_is_charted_from_its_own_queries_as_the_polled_one_is(moto: MotoHandle) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")
    cloudwatch.put_metric_alarm(AlarmName="orders-error-rate", EvaluationPeriods=1, Threshold=5.0,
                                ComparisonOperator="GreaterThanThreshold", Metrics=ERROR_RATE)  # fmt: skip
    [described] = cloudwatch.describe_alarms(AlarmNames=["orders-error-rate"])["MetricAlarms"]
    polled_chart = alarm_chart(described, account=None, region="us-east-1")
    assert polled_chart is not None

    notified = ChartRequest.from_payload(pushed(metric_math_notification("orders-error-rate", "ALARM", at=AT)).chart
                                         or {})  # fmt: skip
    evented = ChartRequest.from_payload(pushed(metric_math_event("orders-error-rate", "ALARM", at=AT)).chart or {})

    for chart in (notified, evented):
        assert chart.metric_math == polled_chart.metric_math == tuple(ERROR_RATE)
        assert chart.lines == polled_chart.lines
        assert chart.period_seconds == 300
    assert (notified.threshold, notified.comparison) == (5.0, "GreaterThanThreshold")
    assert (evented.threshold, evented.threshold_from_alarm) == (None, True)


@pytest.mark.parametrize("state", ["OK", "INSUFFICIENT_DATA"])
def test_a_state_other_than_alarm_is_a_finding_that_does_not_fire(state: str) -> None:
    assert not pushed(alarm_notification("orders-api-errors", state, at=AT)).firing
    assert not pushed(alarm_state_change_event("orders-api-errors", state, at=AT)).firing


def test_the_region_comes_from_the_alarm_arn_or_else_from_its_long_name() -> None:
    notification = alarm_notification("x", "ALARM", at=AT, region="eu-west-1", region_name="EU (Ireland)")
    assert alarm_change(notification).region == "eu-west-1"  # type: ignore[union-attr]
    del notification["AlarmArn"]
    assert alarm_change(notification).region == "eu-west-1"  # type: ignore[union-attr]
    assert [region_code(n) for n in ("US East (N. Virginia)", "Europe (Frankfurt)", "AWS GovCloud (US-West)")] == [
        "us-east-1", "eu-central-1", "us-gov-west-1",
    ]  # fmt: skip
    assert region_code("Atlantis (Central)") == ""


def test_composite_alarms_and_other_messages_are_not_alarm_changes() -> None:
    composite = alarm_notification("x", "ALARM", at=AT)
    del composite["Trigger"]
    composite["AlarmRule"] = 'ALARM("a") OR ALARM("b")'
    event = alarm_state_change_event("x", "ALARM", at=AT)
    event["detail"]["configuration"] = {"alarmRule": 'ALARM("a")'}
    broken = alarm_notification("x", "ALARM", at=AT)
    broken["StateChangeTime"] = "soon"
    for document in (composite, event, broken, {"hello": 1}, "text", None, [1]):
        assert alarm_change(document) is None
    assert event_kind(event) == "event: CloudWatch Alarm State Change"
    assert event_kind(composite) == "alarm notification"
    assert event_kind("text") == "unknown"
