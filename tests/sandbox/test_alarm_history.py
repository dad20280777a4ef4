"""moto taught CloudWatch's DescribeAlarmHistory (sandbox/aws/alarm_history.py), through boto3 over HTTP as the bot
calls it: an alarm's state changes as the API reference shows them, filtered by time and type, newest first unless
asked, a page at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from sandbox.aws.server import MotoHandle, sandbox_client


@pytest.fixture
def cloudwatch(moto: MotoHandle) -> BaseClient:
    return sandbox_client(moto.endpoint, "cloudwatch")


def flapping_alarm(cloudwatch: BaseClient, name: str = "orders-errors") -> None:
    """An alarm that went OK → ALARM → OK → ALARM."""
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    for state, reason in (("ALARM", "errors"), ("OK", "calm"), ("ALARM", "errors again")):
        data = json.dumps({"version": "1.0", "recentDatapoints": [3.0]}) if state == "ALARM" else None
        kwargs = {"StateReasonData": data} if data else {}
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason, **kwargs)


def test_state_changes_are_listed_newest_first_as_the_api_reference_shows_them(cloudwatch: BaseClient) -> None:
    flapping_alarm(cloudwatch)

    items = cloudwatch.describe_alarm_history(AlarmName="orders-errors", HistoryItemType="StateUpdate")[
        "AlarmHistoryItems"
    ]

    assert [item["HistorySummary"] for item in items] == [
        "Alarm updated from OK to ALARM", "Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
    ]  # fmt: skip
    assert all(item["AlarmType"] == "MetricAlarm" and item["HistoryItemType"] == "StateUpdate" for item in items)
    assert items[0]["Timestamp"] >= items[1]["Timestamp"] >= items[2]["Timestamp"]
    newest = json.loads(items[0]["HistoryData"])
    assert newest["version"] == "1.0"
    assert newest["oldState"] == {"stateValue": "OK", "stateReason": "calm"}
    assert newest["newState"] == {
        "stateValue": "ALARM", "stateReason": "errors again", "stateReasonData": {"version": "1.0",
                                                                                 "recentDatapoints": [3.0]},
    }  # fmt: skip
    assert "stateReasonData" not in json.loads(items[1]["HistoryData"])["newState"]


def test_the_history_is_filtered_by_alarm_time_and_type_and_paged(cloudwatch: BaseClient) -> None:
    flapping_alarm(cloudwatch)
    flapping_alarm(cloudwatch, "payments-errors")
    now = datetime.now(UTC)

    everything = cloudwatch.describe_alarm_history()["AlarmHistoryItems"]
    assert len(everything) == 6
    assert cloudwatch.describe_alarm_history(StartDate=now + timedelta(minutes=1))["AlarmHistoryItems"] == []
    assert cloudwatch.describe_alarm_history(EndDate=now - timedelta(hours=1))["AlarmHistoryItems"] == []
    assert cloudwatch.describe_alarm_history(HistoryItemType="ConfigurationUpdate")["AlarmHistoryItems"] == []
    assert cloudwatch.describe_alarm_history(AlarmTypes=["CompositeAlarm"])["AlarmHistoryItems"] == []
    assert cloudwatch.describe_alarm_history(AlarmName="nobody")["AlarmHistoryItems"] == []

    first = cloudwatch.describe_alarm_history(AlarmName="orders-errors", MaxRecords=2, ScanBy="TimestampAscending")
    rest = cloudwatch.describe_alarm_history(AlarmName="orders-errors", MaxRecords=2, ScanBy="TimestampAscending",
                                             NextToken=first["NextToken"])  # fmt: skip
    assert [i["HistorySummary"] for i in first["AlarmHistoryItems"] + rest["AlarmHistoryItems"]] == [
        "Alarm updated from OK to ALARM", "Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
    ]  # fmt: skip
    assert "NextToken" not in rest
    paged = cloudwatch.get_paginator("describe_alarm_history").paginate(PaginationConfig={"PageSize": 4})
    assert sum(len(page["AlarmHistoryItems"]) for page in paged) == 6

    with pytest.raises(ClientError) as refused:
        cloudwatch.describe_alarm_history(NextToken="not-a-token")
    assert refused.value.response["Error"]["Code"] == "InvalidNextToken"
