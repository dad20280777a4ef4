"""CloudWatch DescribeAlarmHistory for moto's server: an alarm's state changes, as a chart of its metric shades them.

moto (5.2.6, the newest on PyPI) keeps each alarm's earlier states (`Alarm.history`: a tuple of the state it left, its
reason, reason data and since when, appended on every SetAlarmState) but has no operation that reads them.
`install()` adds DescribeAlarmHistory to moto's `CloudWatchResponse`, which dispatches by operation name and
serialises an `ActionResult` from botocore's output shape, so a boto3 client gets it as the API reference describes
it: `AlarmHistoryItems` of `AlarmName`, `AlarmType`, `Timestamp`, `HistoryItemType`, `HistorySummary` ("Alarm updated
from OK to ALARM") and `HistoryData` (JSON: `version`, `oldState` and `newState`, each `stateValue` and
`stateReason`, the new one with `stateReasonData` when it has some), filtered by `AlarmName`, `AlarmTypes` (metric
alarms when omitted), `HistoryItemType`, `StartDate` and `EndDate`, newest first unless `ScanBy` is
`TimestampAscending`, `MaxRecords` (1 to 100) a page with a `NextToken` for the next.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html
Not as CloudWatch does: only state updates are recorded (moto keeps no configuration updates or actions, so those
item types are always empty), and a new alarm starts in OK (moto's), not INSUFFICIENT_DATA. Drop this module once
moto implements the operation: `install()` already leaves alone an operation moto has.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from moto.cloudwatch.exceptions import CloudWatchException, InvalidParameterValue
from moto.cloudwatch.models import Alarm
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

STATE_UPDATE = "StateUpdate"
MAX_RECORDS = 100


class InvalidNextToken(CloudWatchException):
    code = "InvalidNextToken"


def install() -> None:
    """Add DescribeAlarmHistory to moto's CloudWatch (before its server starts), unless moto has it."""
    if not hasattr(CloudWatchResponse, "describe_alarm_history"):
        CloudWatchResponse.describe_alarm_history = _describe_alarm_history  # type: ignore[attr-defined]


def state_updates(alarm: Alarm) -> list[dict[str, Any]]:
    """The alarm's state changes, oldest first, as AlarmHistoryItems: moto's history holds each state the alarm left,
    so a change goes from one kept state to the next (the last to the alarm's state now)."""
    states = [(value, reason, data, since) for _kind, reason, data, value, since in alarm.history]
    states.append((alarm.state_value, alarm.state_reason, alarm.state_reason_data, alarm.state_updated_timestamp))
    items = []
    for (old, old_reason, _, _), (new, reason, data, at) in pairwise(states):
        new_state: dict[str, Any] = {"stateValue": new, "stateReason": reason}
        if data and data != "{}":
            new_state["stateReasonData"] = json.loads(data)
        history = {"version": "1.0", "oldState": {"stateValue": old, "stateReason": old_reason}, "newState": new_state}
        items.append(
            {
                "AlarmName": alarm.name,
                "AlarmType": "CompositeAlarm" if alarm.rule is not None else "MetricAlarm",
                "Timestamp": at,
                "HistoryItemType": STATE_UPDATE,
                "HistorySummary": f"Alarm updated from {old} to {new}",
                "HistoryData": json.dumps(history, separators=(",", ":")),
            }
        )
    return items


def _describe_alarm_history(response: CloudWatchResponse) -> ActionResult:
    name = response._get_param("AlarmName")
    types = response._get_param("AlarmTypes") or ["MetricAlarm"]
    kind = response._get_param("HistoryItemType")
    start, end = _utc(response._get_param("StartDate")), _utc(response._get_param("EndDate"))
    limit = response._get_param("MaxRecords") or MAX_RECORDS
    if not 1 <= limit <= MAX_RECORDS:
        raise InvalidParameterValue(f"The parameter MaxRecords must be between 1 and {MAX_RECORDS}.")
    alarms = response.cloudwatch_backend.alarms.values()
    items = [
        item
        for alarm in list(alarms)
        if name is None or alarm.name == name
        for item in state_updates(alarm)
        if item["AlarmType"] in types
        and kind in (None, STATE_UPDATE)
        and (start is None or item["Timestamp"] >= start)
        and (end is None or item["Timestamp"] <= end)
    ]
    items.sort(key=lambda item: item["Timestamp"], reverse=response._get_param("ScanBy") != "TimestampAscending")
    offset = _offset(response._get_param("NextToken"))
    page: dict[str, Any] = {"AlarmHistoryItems": items[offset : offset + limit]}
    if offset + limit < len(items):
        page["NextToken"] = base64.b64encode(json.dumps({"offset": offset + limit}).encode()).decode()
    return ActionResult(page)


def _utc(at: datetime | None) -> datetime | None:
    """As moto keeps times: naive, in UTC."""
    return at.astimezone(UTC).replace(tzinfo=None) if at is not None and at.tzinfo is not None else at


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    try:
        return int(json.loads(base64.b64decode(token, validate=True))["offset"])
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise InvalidNextToken("The service couldn't process your request because the NextToken is invalid.") from error
