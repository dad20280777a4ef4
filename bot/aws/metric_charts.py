"""What a chart of an alert shows, as data a finding carries and the outbox keeps, and its one GetMetricData call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.client import BaseClient

from bot.aws.metrics import Datapoint, MetricQuery, metric_data, raw_query_data

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
    unit: str = ""
    """`ms`, `s`, `%`, or empty for counts: a chart's second unit is drawn against an axis of its own."""

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
    references: tuple[tuple[str, float], ...] = ()
    """(label, level) drawn beside the threshold, on the first line's axis: a Lambda function's timeout."""
    metric_math: tuple[Mapping[str, Any], ...] = ()
    """An alarm's own `Metrics` (metric math): fetched as the alarm has them, in one call; `lines` name the results
    drawn (those it returns) by their ids."""

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ChartRequest:
        lines = tuple(ChartLine(**line) for line in payload.get("lines", ()))
        references = tuple((str(label), float(level)) for label, level in payload.get("references", ()))
        math = tuple(dict(query) for query in payload.get("metric_math", ()))
        return cls(**{**payload, "lines": lines, "references": references, "metric_math": math})

    def window(self, *, since: datetime, now: datetime) -> tuple[datetime, datetime]:
        """From some context before the alert (`since`) to `now`, at least an hour."""
        start = min(since - CONTEXT, now - SHORTEST_WINDOW)
        return start, now


def fetch_series(
    client: BaseClient, request: ChartRequest, *, start: datetime, end: datetime
) -> dict[str, list[Datapoint]]:
    """Every line's datapoints: one GetMetricData call (a chart has far fewer than 500 queries)."""
    if request.metric_math:
        return raw_query_data(client, request.metric_math, start=start, end=end)
    period = timedelta(seconds=max(60, request.period_seconds))
    return metric_data(client, [line.query() for line in request.lines], start=start, end=end, period=period)


def alarm_chart(alarm: Mapping[str, Any], *, account: str | None, region: str) -> ChartRequest | None:
    """The chart of a metric alarm as DescribeAlarms describes it: its own metric, statistic, period and threshold,
    or its own metric math (`Metrics`). None for alarms on an extended statistic (p99: moto cannot serve it)."""
    if alarm.get("Metrics"):
        return _metric_math_chart(alarm, account=account, region=region)
    if not alarm.get("MetricName") or not alarm.get("Statistic"):
        return None
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    line = ChartLine("m0", alarm["Namespace"], alarm["MetricName"], alarm["Statistic"],
                     f"{alarm['MetricName']} ({alarm['Statistic']})", dimensions)  # fmt: skip
    return ChartRequest(
        title=f"{alarm['AlarmName']}: {alarm['Namespace']} {alarm['MetricName']}",
        account=account,
        region=region,
        lines=(line,),
        period_seconds=int(alarm.get("Period") or 60),
        threshold=alarm.get("Threshold"),
        comparison=alarm.get("ComparisonOperator"),
        alarm_since=_alarm_since(alarm),
    )


QUERY_FIELDS = ("Id", "MetricStat", "Expression", "Label", "ReturnData", "Period", "AccountId")
"""What a metric alarm's `Metrics` entry and a GetMetricData query share (they are the same shape)."""


def _metric_math_chart(alarm: Mapping[str, Any], *, account: str | None, region: str) -> ChartRequest | None:
    """An alarm on metric math: GetMetricData takes the alarm's own queries as they are, so the chart shows what the
    alarm evaluates, its expression's result (ReturnData true) against its threshold.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html"""
    queries = tuple({key: query[key] for key in QUERY_FIELDS if key in query} for query in alarm["Metrics"])
    returned = [query for query in queries if query.get("ReturnData", True)]
    if not returned:
        return None
    lines = tuple(ChartLine(str(q["Id"]), "", "", "", _query_label(q)) for q in returned)
    shown = returned[0].get("Expression") or returned[0].get("Label") or returned[0]["Id"]
    # An anomaly detection alarm compares with a band (ThresholdMetricId), not a number: its lines show the band.
    static = not alarm.get("ThresholdMetricId")
    periods = [int(q["MetricStat"].get("Period", 60)) for q in queries if "MetricStat" in q]
    return ChartRequest(
        title=f"{alarm['AlarmName']}: {shown}",
        account=account,
        region=region,
        lines=lines,
        period_seconds=max(periods, default=60),
        threshold=alarm.get("Threshold") if static else None,
        comparison=alarm.get("ComparisonOperator") if static else None,
        alarm_since=_alarm_since(alarm),
        metric_math=queries,
    )


def _query_label(query: Mapping[str, Any]) -> str:
    expression = query.get("Expression")
    label = query.get("Label") or query["Id"]
    return f"{label} = {expression}" if expression and label != expression else str(label)


def _alarm_since(alarm: Mapping[str, Any]) -> str | None:
    since = alarm.get("StateUpdatedTimestamp") if alarm.get("StateValue") == "ALARM" else None
    return since.isoformat() if isinstance(since, datetime) else None
