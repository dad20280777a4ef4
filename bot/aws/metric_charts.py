"""What a chart of an alert shows, as data a finding carries and the outbox keeps, and its one GetMetricData call."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bot.aws.metrics import Datapoint, MetricQuery, metric_data, raw_query_data

log = logging.getLogger(__name__)

CONTEXT = timedelta(minutes=30)
"""How much of the metric before the alert a chart shows, at least."""
SHORTEST_WINDOW = timedelta(hours=1)
PERIODS = (60, 300, 900, 3600)
MAX_POINTS = 500
"""A chart's line has at most this many points (800 px wide): the shortest period that keeps it so is used."""
RETENTION = ((timedelta(days=15), 60), (timedelta(days=63), 300), (timedelta(days=455), 3600))
"""How long CloudWatch keeps data at each period: the shortest period a window reaching that far back can have.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention"""
SCALED_STATISTICS = frozenset({"Sum", "SampleCount"})
"""Statistics whose values grow with the period: over a coarser period they no longer compare with a threshold set
for the metric's own."""


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
    right: bool = False
    """Drawn against the right-hand axis although its unit is the first line's (a count of another magnitude)."""

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
    alarm_name: str | None = None
    """The alarm the metric is an alarm's: its state history is shaded on the chart."""
    threshold_from_alarm: bool = False
    """The threshold and comparison were not in what AWS pushed (an EventBridge alarm event): read from
    DescribeAlarms when the chart is drawn."""

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

    def own_period(self) -> int:
        """The metric's own period (the alarm's, the check's), at least a minute."""
        return max(60, self.period_seconds)

    def statistics(self) -> set[str]:
        return {line.stat for line in self.lines if line.stat} | {
            str(query["MetricStat"].get("Stat", "")) for query in self.metric_math if "MetricStat" in query
        }


def period_for(span: timedelta) -> int:
    """60 s up to 8 h, 5 min up to ~1.7 days, 15 min up to ~5 days, then an hour."""
    return next((period for period in PERIODS if span.total_seconds() / period <= MAX_POINTS), PERIODS[-1])


def chart_period(request: ChartRequest, *, start: datetime, end: datetime, now: datetime) -> int:
    """The period a chart of [start, end] fetches: the metric's own, coarsened to at most MAX_POINTS points and to
    what CloudWatch still keeps of `start` (1-minute data for 15 days, 5-minute for 63), in whole own periods."""
    own = request.own_period()
    kept = next((period for age, period in RETENTION if now - start <= age), RETENTION[-1][1])
    wanted = max(period_for(end - start), kept)
    return own if wanted <= own else math.ceil(wanted / own) * own


def threshold_holds(request: ChartRequest, period: int) -> bool:
    """Whether the threshold still compares with values over `period`: at the metric's own period, or with
    statistics that do not grow with the period (a Sum over an hour is not comparable with a per-minute threshold)."""
    return period == request.own_period() or not request.statistics() & SCALED_STATISTICS


def fetch_series(
    client: BaseClient, request: ChartRequest, *, start: datetime, end: datetime, period: int | None = None
) -> dict[str, list[Datapoint]]:
    """Every line's datapoints at `period` (the metric's own when None): one GetMetricData call (a chart has far
    fewer than 500 queries)."""
    seconds = period or request.own_period()
    if request.metric_math:
        queries = request.metric_math
        if seconds != request.own_period():
            queries = tuple(_with_period(query, seconds) for query in queries)
        return raw_query_data(client, queries, start=start, end=end)
    span = timedelta(seconds=seconds)
    return metric_data(client, [line.query() for line in request.lines], start=start, end=end, period=span)


def _with_period(query: Mapping[str, Any], seconds: int) -> dict[str, Any]:
    """A metric math query at another period: its metric's (MetricStat.Period) and its own (an expression's)."""
    changed = dict(query)
    if "MetricStat" in changed:
        changed["MetricStat"] = {**changed["MetricStat"], "Period": seconds}
    if "Period" in changed:
        changed["Period"] = seconds
    return changed


def with_alarm_threshold(client: BaseClient, request: ChartRequest) -> ChartRequest:
    """`request` with its alarm's threshold and comparison as DescribeAlarms gives them (one call), for an alarm
    whose pushed event left them out; as it was when the alarm is gone or CloudWatch refuses."""
    try:
        found = client.describe_alarms(AlarmNames=[request.alarm_name], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    except ClientError as error:
        log.warning("no threshold for alarm %s: %s", request.alarm_name, error.response.get("Error", {}).get("Code"))
        found = []
    if not found or found[0].get("ThresholdMetricId"):
        return replace(request, threshold_from_alarm=False)
    alarm = found[0]
    return replace(request, threshold=alarm.get("Threshold"), comparison=alarm.get("ComparisonOperator"),
                   threshold_from_alarm=False)  # fmt: skip


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
        alarm_name=alarm["AlarmName"],
        threshold_from_alarm=alarm.get("Threshold") is None,
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
        alarm_name=alarm["AlarmName"],
        threshold_from_alarm=static and alarm.get("Threshold") is None,
    )


def _query_label(query: Mapping[str, Any]) -> str:
    expression = query.get("Expression")
    label = query.get("Label") or query["Id"]
    return f"{label} = {expression}" if expression and label != expression else str(label)


def _alarm_since(alarm: Mapping[str, Any]) -> str | None:
    since = alarm.get("StateUpdatedTimestamp") if alarm.get("StateValue") == "ALARM" else None
    return since.isoformat() if isinstance(since, datetime) else None
