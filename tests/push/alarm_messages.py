"""What CloudWatch and EventBridge publish to SNS about an alarm, in the shapes AWS documents (the values are ours)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

ACCOUNT = "123456789012"


def cloudwatch_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def alarm_notification(
    name: str,
    state: str,
    *,
    at: datetime,
    function: str = "orders-api",
    description: str | None = None,
    account: str = ACCOUNT,
    region_name: str = "US East (N. Virginia)",
    region: str = "us-east-1",
    period: int = 60,
) -> dict[str, Any]:
    """The JSON an alarm action publishes to its SNS topic."""
    return {
        "AlarmName": name,
        "AlarmDescription": f"{function} is failing" if description is None else description,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": cloudwatch_time(at),
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 datapoint [5.0 (02/03/26 09:00:00)] was greater than or equal to "
        "the threshold (1.0).",
        "StateChangeTime": cloudwatch_time(at),
        "Region": region_name,
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "OKActions": [],
        "AlarmActions": [f"arn:aws:sns:{region}:{account}:boltwatch-alarms"],
        "InsufficientDataActions": [],
        "Trigger": {
            "MetricName": "Errors",
            "Namespace": "AWS/Lambda",
            "StatisticType": "Statistic",
            "Statistic": "SUM",
            "Unit": None,
            "Dimensions": [{"value": function, "name": "FunctionName"}],
            "Period": period,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1.0,
            "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def alarm_state_change_event(
    name: str, state: str, *, at: datetime, function: str = "orders-api", account: str = ACCOUNT, period: int = 60
) -> dict[str, Any]:
    """The EventBridge event "CloudWatch Alarm State Change" of a single-metric alarm, as an SNS target gets it."""
    return {
        "version": "0",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:cloudwatch:us-east-1:{account}:alarm:{name}"],
        "detail": {
            "alarmName": name,
            "configuration": {
                "description": f"{function} is failing",
                "metrics": [
                    {
                        "id": "30b6c6b2-a864-43a2-4877-c09a1afc3b87",
                        "metricStat": {
                            "metric": {
                                "dimensions": {"FunctionName": function},
                                "name": "Errors",
                                "namespace": "AWS/Lambda",
                            },
                            "period": period,
                            "stat": "Sum",
                        },
                        "returnData": True,
                    }
                ],
            },
            "previousState": {"reason": "", "timestamp": cloudwatch_time(at), "value": "OK"},
            "state": {
                "reason": "Threshold Crossed: 1 out of the last 1 datapoints [5.0] was >= the threshold (1.0).",
                "timestamp": cloudwatch_time(at),
                "value": state,
            },
        },
    }


def metric_math_notification(name: str, state: str, *, at: datetime) -> dict[str, Any]:
    """The notification of an alarm on `100 * errors / calls` of a function, 5-minute sums: the `Trigger` has the
    alarm's `Metrics` (dimensions with lower-case keys, as in a single metric's `Trigger`) and no metric of its own."""
    notification = alarm_notification(name, state, at=at, period=300)
    dimensions = [{"value": "orders-api", "name": "FunctionName"}]
    notification["Trigger"] = {
        "Period": 300, "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold", "Threshold": 5.0,
        "TreatMissingData": "missing", "EvaluateLowSampleCountPercentile": "",
        "Metrics": [
            {"Expression": "100 * errors / calls", "Id": "rate", "Label": "error rate", "ReturnData": True},
            {"Id": "errors", "MetricStat": {"Metric": {"Dimensions": dimensions, "MetricName": "Errors",
             "Namespace": "AWS/Lambda"}, "Period": 300, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "calls", "MetricStat": {"Metric": {"Dimensions": dimensions, "MetricName": "Invocations",
             "Namespace": "AWS/Lambda"}, "Period": 300, "Stat": "Sum"}, "ReturnData": False},
        ],
    }  # fmt: skip
    return notification


def metric_math_event(name: str, state: str, *, at: datetime) -> dict[str, Any]:
    """The EventBridge event of the same alarm: `configuration.metrics` in camel case, dimensions as a map."""
    event = alarm_state_change_event(name, state, at=at)
    dimensions = {"FunctionName": "orders-api"}
    event["detail"]["configuration"]["metrics"] = [
        {"id": "rate", "expression": "100 * errors / calls", "label": "error rate", "returnData": True},
        {"id": "errors", "metricStat": {"metric": {"namespace": "AWS/Lambda", "name": "Errors",
         "dimensions": dimensions}, "period": 300, "stat": "Sum"}, "returnData": False},
        {"id": "calls", "metricStat": {"metric": {"namespace": "AWS/Lambda", "name": "Invocations",
         "dimensions": dimensions}, "period": 300, "stat": "Sum"}, "returnData": False},
    ]  # fmt: skip
    return event
