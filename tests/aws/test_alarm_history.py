"""An alarm's states over a chart's window, read from its state history (DescribeAlarmHistory) through moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import boto3

from bot.aws.alarm_history import alarm_states
from sandbox.aws.server import MotoHandle


def cloudwatch(moto: MotoHandle) -> Any:
    return boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")


def alarm_through(moto: MotoHandle, *states: str) -> Any:
    client = cloudwatch(moto)
    client.put_metric_alarm(
        AlarmName="orders-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    for state in states:
        client.set_alarm_state(AlarmName="orders-errors", StateValue=state, StateReason=state)
    return client


def test_the_window_is_cut_into_the_states_the_alarm_was_in_one_after_another(moto: MotoHandle) -> None:
    start = datetime.now(UTC) - timedelta(minutes=30)
    client = alarm_through(moto, "ALARM", "OK", "INSUFFICIENT_DATA", "ALARM")
    end = datetime.now(UTC) + timedelta(minutes=1)

    spells = alarm_states(client, "orders-errors", start=start, end=end)

    assert spells is not None
    assert [spell.state for spell in spells] == ["OK", "ALARM", "OK", "INSUFFICIENT_DATA", "ALARM"]
    assert spells[0].start == start and spells[-1].end == end
    assert all(a.end == b.start for a, b in pairwise(spells))


def test_no_state_change_in_the_window_leaves_the_shading_to_the_caller(moto: MotoHandle) -> None:
    client = alarm_through(moto, "ALARM")
    later = datetime.now(UTC) + timedelta(hours=1)

    assert alarm_states(client, "orders-errors", start=later, end=later + timedelta(hours=1)) is None
    assert alarm_states(client, "someone-elses", start=later - timedelta(hours=2), end=later) is None
