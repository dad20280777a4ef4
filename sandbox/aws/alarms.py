"""CloudWatch alarms of the sandbox estate, and moving them between states (moto never evaluates them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.client import BaseClient

from sandbox.aws.server import sandbox_client

FIRING_ALARM = "orders-api-errors"
QUIET_ALARM = "payments-worker-throttles"


def put_sandbox_alarms(cloudwatch: BaseClient, *, now: datetime) -> None:
    """One alarm on orders-api errors, put in ALARM, and one on payments-worker throttles, left OK."""
    cloudwatch.put_metric_alarm(
        AlarmName=FIRING_ALARM,
        AlarmDescription="orders-api is failing requests; customers cannot place orders",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "orders-api"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        Tags=[{"Key": "team", "Value": "checkout"}, {"Key": "project", "Value": "storefront"}],
    )
    cloudwatch.put_metric_alarm(
        AlarmName=QUIET_ALARM,
        AlarmDescription="payments-worker is being throttled; payments queue up",
        Namespace="AWS/Lambda",
        MetricName="Throttles",
        Dimensions=[{"Name": "FunctionName", "Value": "payments-worker"}],
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=2,
        Threshold=10.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        Tags=[{"Key": "team", "Value": "payments"}, {"Key": "project", "Value": "storefront"}],
    )
    minute = (now - timedelta(minutes=1)).strftime("%d/%m/%y %H:%M:00")
    cloudwatch.set_alarm_state(
        AlarmName=FIRING_ALARM,
        StateValue="ALARM",
        StateReason=(
            f"Threshold Crossed: 1 out of the last 1 datapoints [3.0 ({minute})] was greater than or equal to "
            "the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
        ),
    )


def set_alarm_state(endpoint: str, name: str, state: str, reason: str, region: str = "us-east-1") -> None:
    """Move alarm `name` to `state` (OK, ALARM or INSUFFICIENT_DATA) with `reason`, as a scenario step."""
    sandbox_client(endpoint, "cloudwatch", region).set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)


STORM_ALARM = "checkout-tg-{:02d}-unhealthy"


def fire_alarm_storm(endpoint: str, count: int, region: str = "us-east-1") -> tuple[str, ...]:
    """An outage behind the load balancer: `count` target groups' unhealthy-host alarms go to ALARM at once.

    The alarms are created on first use; returns their names.
    """
    cloudwatch = sandbox_client(endpoint, "cloudwatch", region)
    names = tuple(STORM_ALARM.format(index) for index in range(1, count + 1))
    for index, name in enumerate(names, start=1):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            AlarmDescription=f"checkout target group {index:02d} has no healthy hosts",
            Namespace="AWS/ApplicationELB",
            MetricName="UnHealthyHostCount",
            Dimensions=[
                {"Name": "TargetGroup", "Value": f"targetgroup/checkout-{index:02d}/{index:016x}"},
                {"Name": "LoadBalancer", "Value": "app/storefront/50dc6c495c0c9188"},
            ],
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            Tags=[{"Key": "team", "Value": "checkout"}, {"Key": "project", "Value": "storefront"}],
        )
        cloudwatch.set_alarm_state(
            AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [2.0] >= 1.0"
        )
    return names


def calm_alarm_storm(endpoint: str, region: str = "us-east-1") -> tuple[str, ...]:
    """Every storm alarm back to OK; returns the names of those that were firing."""
    cloudwatch = sandbox_client(endpoint, "cloudwatch", region)
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=STORM_ALARM.split("{", 1)[0])
    firing = [alarm["AlarmName"] for page in pages for alarm in page["MetricAlarms"] if alarm["StateValue"] == "ALARM"]
    for name in firing:
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="Targets healthy again")
    return tuple(firing)


def alarm_notification(alarm: dict[str, Any], *, account_id: str, region: str) -> dict[str, Any]:
    """The JSON CloudWatch publishes to an alarm's SNS actions when it changes state, made from the alarm as
    `describe_alarms` returns it (documented shape: AlarmName, NewStateValue, StateChangeTime, Trigger, …)."""

    def cloudwatch_time(at: datetime) -> str:
        return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"

    changed = alarm.get("StateUpdatedTimestamp") or datetime.now(UTC)
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": cloudwatch_time(alarm.get("AlarmConfigurationUpdatedTimestamp", changed)),
        "NewStateValue": alarm["StateValue"],
        "NewStateReason": alarm.get("StateReason", ""),
        "StateChangeTime": cloudwatch_time(changed),
        "Region": region,  # CloudWatch writes the long name ("US East (N. Virginia)"); readers use AlarmArn first
        "AlarmArn": alarm.get("AlarmArn") or f"arn:aws:cloudwatch:{region}:{account_id}:alarm:{alarm['AlarmName']}",
        "OldStateValue": "OK" if alarm["StateValue"] != "OK" else "ALARM",
        "OKActions": alarm.get("OKActions", []),
        "AlarmActions": alarm.get("AlarmActions", []),
        "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
        "Trigger": {
            "MetricName": alarm.get("MetricName"),
            "Namespace": alarm.get("Namespace"),
            "StatisticType": "Statistic",
            "Statistic": str(alarm.get("Statistic", "")).upper(),
            "Unit": None,
            "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions", [])],
            "Period": alarm.get("Period"),
            "EvaluationPeriods": alarm.get("EvaluationPeriods"),
            "ComparisonOperator": alarm.get("ComparisonOperator"),
            "Threshold": alarm.get("Threshold"),
            "TreatMissingData": alarm.get("TreatMissingData", "missing"),
            "EvaluateLowSampleCountPercentile": "",
        },
    }


def publish_alarm_actions(endpoint: str, name: str, *, account_id: str, region: str = "us-east-1") -> list[str]:
    """Publish alarm `name`'s state-change notification to the SNS topics of its actions for its current state, as
    CloudWatch does and moto (5.2) does not; returns the topics published to."""
    cloudwatch = sandbox_client(endpoint, "cloudwatch", region)
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    actions = {"ALARM": "AlarmActions", "OK": "OKActions"}.get(alarm["StateValue"], "InsufficientDataActions")
    topics = [arn for arn in alarm.get(actions, []) if arn.startswith("arn:aws:sns:")]
    message = json.dumps(alarm_notification(alarm, account_id=account_id, region=region), default=str)
    sns = sandbox_client(endpoint, "sns", region)
    subject = f'{alarm["StateValue"]}: "{name}" in {region}'
    for topic in topics:
        sns.publish(TopicArn=topic, Message=message, Subject=subject[:100])
    return topics
