"""CloudWatch alarm state changes as AWS pushes them, read into the shape DescribeAlarms gives a metric alarm, so
that a pushed alarm becomes the same finding the polled one does.

Two forms arrive through SNS: the notification an alarm action publishes (`AlarmName`, `NewStateValue`, `Trigger`,
`Region` as a long name like "US East (N. Virginia)") and the EventBridge event "CloudWatch Alarm State Change"
(`detail.alarmName`, `detail.state.value`, `detail.configuration.metrics`). Composite alarms are left out, as the
`cloudwatch_alarms` check leaves them out.

What the alarm's chart needs comes along: its metric and period, or its metric math (`Trigger.Metrics`, the same
queries as DescribeAlarms' `Metrics` but for the dimensions' lower-case keys; `configuration.metrics`, in camel case
and with dimensions as a map), and its threshold, which only the notification carries: the EventBridge event has no
threshold or comparison, so its chart reads them from DescribeAlarms when it is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.aws.region_names import region_code

ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
_STATISTICS = {
    "SUM": "Sum", "AVERAGE": "Average", "MINIMUM": "Minimum", "MAXIMUM": "Maximum", "SAMPLE_COUNT": "SampleCount",
}  # fmt: skip
"""The alarm notification's `Trigger.Statistic` spelling → DescribeAlarms'."""


@dataclass(frozen=True)
class AlarmChange:
    """One metric alarm's new state, in one account and region."""

    account_id: str
    region: str
    alarm: dict[str, Any]
    """As DescribeAlarms' `MetricAlarms[]`: AlarmName, AlarmArn, AlarmDescription, StateValue, StateReason,
    StateUpdatedTimestamp (a datetime), Namespace, MetricName, Dimensions, Statistic, Period, or Metrics (metric
    math); ComparisonOperator and Threshold (from a notification only)."""


def event_kind(document: object) -> str:
    """What a notification's message is, in a few words for the record: `alarm notification`, the EventBridge
    detail-type, or `unknown`."""
    if isinstance(document, dict):
        if isinstance(document.get("detail-type"), str) and "detail" in document:
            return f"event: {document['detail-type'][:80]}"
        if "AlarmName" in document and "NewStateValue" in document:
            return "alarm notification"
    return "unknown"


def alarm_change(document: object) -> AlarmChange | None:
    """The metric alarm state change `document` describes, or None (another event, a composite alarm, fields
    missing)."""
    if not isinstance(document, dict):
        return None
    try:
        if document.get("detail-type") == ALARM_STATE_CHANGE and document.get("source") == "aws.cloudwatch":
            return _from_event(document)
        if "AlarmName" in document and "NewStateValue" in document:
            return _from_notification(document)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return None


def _from_notification(doc: dict[str, Any]) -> AlarmChange | None:
    trigger = doc.get("Trigger")
    if not isinstance(trigger, dict):
        return None  # a composite alarm's notification has an AlarmRule instead
    arn = str(doc.get("AlarmArn") or "")
    region = _arn_part(arn, 3) or region_code(str(doc.get("Region", "")))
    if not region:
        return None
    alarm: dict[str, Any] = {
        "AlarmName": str(doc["AlarmName"]),
        "AlarmDescription": doc.get("AlarmDescription") or "",
        "StateValue": str(doc["NewStateValue"]),
        "StateReason": str(doc.get("NewStateReason") or ""),
        "StateUpdatedTimestamp": _time(str(doc["StateChangeTime"])),
        "Dimensions": [{"Name": d["name"], "Value": d["value"]} for d in trigger.get("Dimensions") or []],
    }
    if arn:
        alarm["AlarmArn"] = arn
    if trigger.get("MetricName"):
        alarm |= {
            "Namespace": trigger.get("Namespace", ""),
            "MetricName": trigger["MetricName"],
            "Statistic": _STATISTICS.get(str(trigger.get("Statistic")), trigger.get("Statistic") or ""),
        }
    elif isinstance(trigger.get("Metrics"), list):
        alarm["Metrics"] = [_query(query, _notified_stat) for query in trigger["Metrics"]]
    alarm |= {
        "ComparisonOperator": trigger.get("ComparisonOperator", ""),
        "Threshold": trigger.get("Threshold"),
    }
    if trigger.get("Period"):
        alarm["Period"] = int(trigger["Period"])
    if trigger.get("ThresholdMetricId"):
        alarm["ThresholdMetricId"] = trigger["ThresholdMetricId"]
    return AlarmChange(account_id=str(doc["AWSAccountId"]), region=region, alarm=alarm)


def _from_event(event: dict[str, Any]) -> AlarmChange | None:
    detail = event["detail"]
    configuration = detail.get("configuration") or {}
    metrics = configuration.get("metrics")
    if not isinstance(metrics, list):
        return None  # a composite alarm: configuration.alarmRule
    state = detail["state"]
    alarm: dict[str, Any] = {
        "AlarmName": str(detail["alarmName"]),
        "AlarmDescription": configuration.get("description") or "",
        "StateValue": str(state["value"]),
        "StateReason": str(state.get("reason") or ""),
        "StateUpdatedTimestamp": _time(str(state.get("timestamp") or event["time"])),
        "Dimensions": [],
    }
    resources = [r for r in event.get("resources") or [] if isinstance(r, str) and ":alarm:" in r]
    if resources:
        alarm["AlarmArn"] = resources[0]
    if len(metrics) == 1 and isinstance(metrics[0].get("metricStat"), dict):
        stat = metrics[0]["metricStat"]
        metric = stat["metric"]
        dimensions = metric.get("dimensions") or {}
        alarm |= {
            "Namespace": metric.get("namespace", ""),
            "MetricName": metric["name"],
            "Statistic": stat.get("stat", ""),
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        }
        if stat.get("period"):
            alarm["Period"] = int(stat["period"])
    elif metrics:
        alarm["Metrics"] = [_query(_capitalised(query), _event_stat) for query in metrics]
    return AlarmChange(account_id=str(event["account"]), region=str(event["region"]), alarm=alarm)


def _query(query: dict[str, Any], metric_stat: Any) -> dict[str, Any]:
    """A metric math query as DescribeAlarms gives it, from a pushed one with capitalised keys."""
    described = {key: query[key] for key in ("Id", "Expression", "Label", "ReturnData", "Period", "AccountId") if
                 query.get(key) is not None}  # fmt: skip
    if isinstance(query.get("MetricStat"), dict):
        described["MetricStat"] = metric_stat(query["MetricStat"])
    return described


def _notified_stat(stat: dict[str, Any]) -> dict[str, Any]:
    """A notification's MetricStat: as DescribeAlarms', but for `name` and `value` in its dimensions."""
    metric = stat["Metric"]
    dimensions = [{"Name": d["name"], "Value": d["value"]} for d in metric.get("Dimensions") or []]
    described = {"Metric": {"Namespace": metric["Namespace"], "MetricName": metric["MetricName"],
                            "Dimensions": dimensions}, "Period": int(stat["Period"]), "Stat": stat["Stat"]}  # fmt: skip
    return described | ({"Unit": stat["Unit"]} if stat.get("Unit") else {})


def _event_stat(stat: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge event's metricStat (already capitalised): `name` for MetricName, dimensions as a map."""
    metric = stat["Metric"]
    dimensions = [{"Name": k, "Value": v} for k, v in (metric.get("Dimensions") or {}).items()]
    described = {"Metric": {"Namespace": metric["Namespace"], "MetricName": metric["Name"],
                            "Dimensions": dimensions}, "Period": int(stat["Period"]), "Stat": stat["Stat"]}  # fmt: skip
    return described | ({"Unit": stat["Unit"]} if stat.get("Unit") else {})


def _capitalised(value: Any) -> Any:
    """An EventBridge event's camel-case keys (`metricStat`, `returnData`) as the API's (`MetricStat`), all the way
    down but for a dimension map's keys, which are names."""
    if not isinstance(value, dict):
        return value
    return {key[:1].upper() + key[1:]: item if key == "dimensions" else _capitalised(item) for key, item in
            value.items()}  # fmt: skip


def _arn_part(arn: str, index: int) -> str:
    parts = arn.split(":")
    return parts[index] if len(parts) > index and parts[0] == "arn" else ""


def _time(text: str) -> datetime:
    """CloudWatch writes `2024-01-02T03:04:05.678+0000`; EventBridge `2024-01-02T03:04:05Z`."""
    return datetime.fromisoformat(text)
