"""What a chart of an alert shows, as data a finding carries and the outbox keeps, and its one GetMetricData call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.client import BaseClient

from bot.aws.metrics import Datapoint, MetricQuery, metric_data

CONTEXT = timedelta(minutes=30)
"""How much of the metric before the alert a chart shows, at least."""
SHORTEST_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class ChartLine:
    id: str
    namespace: str
    metric: str
    stat: str
    label: str
    dimensions: Mapping[str, str] = field(default_factory=dict)

    def query(self) -> MetricQuery:
        return MetricQuery(self.id, self.namespace, self.metric, self.stat, dict(self.dimensions))


@dataclass(frozen=True)
class ChartRequest:
    """The metrics of one alert (the first line is the one `threshold` applies to), where they live, and since when
    the alert fires; JSON-serialisable so that the outbox keeps it until the chart is drawn."""

    title: str
    account: str | None
    """The configured account's name; None for the first one."""
    region: str
    lines: tuple[ChartLine, ...]
    period_seconds: int = 60
    threshold: float | None = None
    comparison: str | None = None
    alarm_since: str | None = None
    """ISO time the alarm entered ALARM, when the metric is an alarm's: shaded on the chart."""
    data_delay_seconds: int = 0
    """How late the metric's data may arrive (Lambda): the chart marks what is not complete yet."""

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ChartRequest:
        lines = tuple(ChartLine(**line) for line in payload.get("lines", ()))
        return cls(**{**payload, "lines": lines})

    def window(self, *, since: datetime, now: datetime) -> tuple[datetime, datetime]:
        """From some context before the alert (`since`) to `now`, at least an hour."""
        start = min(since - CONTEXT, now - SHORTEST_WINDOW)
        return start, now


def fetch_series(
    client: BaseClient, request: ChartRequest, *, start: datetime, end: datetime
) -> dict[str, list[Datapoint]]:
    """Every line's datapoints: one GetMetricData call (a chart has far fewer than 500 queries)."""
    period = timedelta(seconds=max(60, request.period_seconds))
    return metric_data(client, [line.query() for line in request.lines], start=start, end=end, period=period)


def alarm_chart(alarm: Mapping[str, Any], *, account: str | None, region: str) -> ChartRequest | None:
    """The chart of a metric alarm as DescribeAlarms describes it: its own metric, statistic, period and threshold.
    None for alarms on metric math or extended statistics (not drawn yet)."""
    if not alarm.get("MetricName") or not alarm.get("Statistic"):
        return None
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    line = ChartLine("m0", alarm["Namespace"], alarm["MetricName"], alarm["Statistic"],
                     f"{alarm['MetricName']} ({alarm['Statistic']})", dimensions)  # fmt: skip
    since = alarm.get("StateUpdatedTimestamp") if alarm.get("StateValue") == "ALARM" else None
    return ChartRequest(
        title=f"{alarm['AlarmName']}: {alarm['Namespace']} {alarm['MetricName']}",
        account=account,
        region=region,
        lines=(line,),
        period_seconds=int(alarm.get("Period") or 60),
        threshold=alarm.get("Threshold"),
        comparison=alarm.get("ComparisonOperator"),
        alarm_since=since.isoformat() if isinstance(since, datetime) else None,
    )
