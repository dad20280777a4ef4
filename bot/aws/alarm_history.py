"""An alarm's states over a chart's window, from its state history: what the chart of its metric shades.

DescribeAlarmHistory (HistoryItemType StateUpdate) lists each change with its old and new state in `HistoryData`
(JSON); CloudWatch keeps 30 days of it.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

CHANGES_READ = 500
"""The newest state changes in a window read for one chart (5 calls of 100): more than an 800-pixel-wide chart can
show apart. Before the oldest one read, the chart shades nothing."""


@dataclass(frozen=True)
class StateSpell:
    """A stretch of time the alarm spent in `state` (OK, ALARM, INSUFFICIENT_DATA)."""

    start: datetime
    end: datetime
    state: str


def alarm_states(client: BaseClient, alarm_name: str, *, start: datetime, end: datetime) -> list[StateSpell] | None:
    """The alarm's states in [start, end], oldest first, from its state changes in that window; None when it did not
    change state there (or CloudWatch refused: a role from before charts read the history lacks
    cloudwatch:DescribeAlarmHistory), so that the caller falls back on what it knows. Blocking: run it in a worker
    thread."""
    try:
        changes = _changes(client, alarm_name, start=start, end=end)
    except ClientError as error:
        log.warning("no state history for alarm %s: %s", alarm_name, error.response.get("Error", {}).get("Code"))
        return None
    if not changes:
        return None
    changes.reverse()  # oldest first
    spells: list[StateSpell] = []
    if len(changes) < CHANGES_READ:  # else the state before the oldest change read is not known
        spells.append(StateSpell(start, changes[0][0], changes[0][1]))
    for (at, _, new), (following, _, _) in zip(changes, [*changes[1:], (end, "", "")], strict=True):
        spells.append(StateSpell(at, following, new))
    return [spell for spell in spells if spell.end > spell.start]


def _changes(client: BaseClient, alarm_name: str, *, start: datetime, end: datetime) -> list[tuple[datetime, str, str]]:
    """(when, old state, new state) of the newest CHANGES_READ state changes in the window, newest first."""
    pages = client.get_paginator("describe_alarm_history").paginate(
        AlarmName=alarm_name,
        HistoryItemType="StateUpdate",
        StartDate=start,
        EndDate=end,
        ScanBy="TimestampDescending",
        PaginationConfig={"MaxItems": CHANGES_READ, "PageSize": 100},
    )
    changes = []
    for page in pages:
        for item in page.get("AlarmHistoryItems", []):
            change = _change(item)
            if change is not None:
                changes.append(change)
    return changes


def _change(item: dict[str, Any]) -> tuple[datetime, str, str] | None:
    try:
        data = json.loads(item["HistoryData"])
        old, new = str(data["oldState"]["stateValue"]), str(data["newState"]["stateValue"])
    except (KeyError, TypeError, ValueError):
        return None
    at = item["Timestamp"]
    return at.astimezone(UTC), old, new
