"""The charts the checks attach at fire and at resolve, and `/boltwatch chart`'s, as the charts benchmark draws
them: each with the series, units, threshold and reference lines the bot gives it (scheduler/checks/*,
bot/aws/chart_targets)."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from bot.aws.metric_charts import ChartLine, ChartRequest, chart_period
from bot.charts.model import ChartData, Reference, Series, Span
from bot.durations import format_duration


def _minutes(label: str, start: datetime, count: int, scale: float, rng: random.Random, unit: str = "",
             step: timedelta = timedelta(minutes=1), right: bool = False) -> Series:  # fmt: skip
    points = []
    for index in range(count):
        value = max(0.0, scale * (1 + math.sin(index / 7)) + rng.gauss(0, scale / 4))
        points.append((start + step * index, value))
    return Series(label, tuple(points), unit, right)


def long_incident(t0: datetime, rng: random.Random, days: int = 10) -> ChartData:
    """The chart at resolve of an alarm that fired `days` ago and flapped since: `days` days and the half hour before,
    at the period the bot fetches it at (`chart_period`: an hour), its ALARM and INSUFFICIENT_DATA spells shaded."""
    fired, end = t0 + timedelta(minutes=30), t0 + timedelta(minutes=30, days=days)
    line = ChartLine("m0", "AWS/ApplicationELB", "TargetResponseTime", "Maximum", "TargetResponseTime (Maximum)")
    request = ChartRequest(title="t", account=None, region="us-east-1", lines=(line,), period_seconds=60)
    period = timedelta(seconds=chart_period(request, start=t0, end=end, now=end))
    count = int((end - t0) / period)
    spans, at = [], fired
    while at < end:  # 40 spells in ALARM, one in four followed by one without data
        spell = (end - fired) / 80
        spans.append(Span(at, at + spell, "ALARM"))
        if len(spans) % 5 == 0:
            spans.append(Span(at + spell, at + spell * 1.5, "INSUFFICIENT_DATA"))
        at += spell * 2
    return ChartData(
        "checkout-latency: TargetResponseTime (resolved)",
        (_minutes(f"TargetResponseTime (Maximum), {format_duration(period)} periods", t0, count, 1.2, rng, "s",
                  step=period),),
        t0, end, alert_start=fired, threshold=2, comparison="GreaterThanThreshold", spans=tuple(spans),
    )  # fmt: skip


def check_chart_types(t0: datetime, rng: random.Random) -> dict[str, ChartData]:
    """One chart of each kind the checks and the chart command draw, over the windows they use (an hour and a half
    of minutes at fire; three hours for the command; a day in 5-minute periods; a 10-day incident at resolve)."""
    end = t0 + timedelta(minutes=90)
    fired = t0 + timedelta(minutes=60)
    ge = "GreaterThanOrEqualToThreshold"
    firing = (Span(fired, end, "FIRING"),)
    errors = ChartData(
        "orders-api: errors and invocations (firing)",
        (_minutes("Errors (Sum)", t0, 90, 3, rng), _minutes("Invocations (Sum)", t0, 90, 400, rng, right=True)),
        t0, end, alert_start=fired, threshold=1, comparison=ge, complete_until=end - timedelta(minutes=4),
        spans=firing,
    )  # fmt: skip
    duration = ChartData(
        "orders-api: duration and its timeout (firing)",
        (_minutes("Duration (Maximum)", t0, 90, 1400, rng, "ms"),
         _minutes("Duration (Average)", t0, 90, 500, rng, "ms")),
        t0, end, alert_start=fired, threshold=2700, comparison=ge, references=(Reference("timeout", 3000),),
        complete_until=end - timedelta(minutes=4), spans=firing,
    )  # fmt: skip
    queue = ChartData(
        "orders-dlq: messages waiting and oldest message age (firing)",
        (_minutes("messages waiting", t0, 90, 3, rng), _minutes("oldest message age", t0, 90, 600, rng, "s")),
        t0, end, alert_start=fired, threshold=1, comparison=ge, spans=firing,
    )  # fmt: skip
    rule = ChartData(
        "orders-latency: Custom/Orders Latency (resolved)",
        (_minutes("Latency (Maximum)", t0, 90, 400, rng),),
        t0, end, alert_start=fired, threshold=500, comparison="GreaterThanThreshold", spans=firing,
    )  # fmt: skip
    metric_math = ChartData(
        "orders-error-rate: 100 * errors / calls (firing)",
        (_minutes("error rate = 100 * errors / calls", t0, 90, 4, rng),),
        t0, end, alert_start=fired, threshold=5, comparison="GreaterThanThreshold",
        spans=(Span(fired, end, "ALARM"),),
    )  # fmt: skip
    command = ChartData(
        "Lambda function orders-api",
        (
            _minutes("Invocations (Sum)", t0, 180, 40, rng), _minutes("Errors (Sum)", t0, 180, 3, rng),
            _minutes("Throttles (Sum)", t0, 180, 1, rng), _minutes("Duration (Average)", t0, 180, 300, rng, "ms"),
            _minutes("Duration (Maximum)", t0, 180, 900, rng, "ms"),
        ),
        t0, t0 + timedelta(hours=3),
    )  # fmt: skip
    command_day = ChartData(
        "SQS queue orders",
        (
            _minutes("ApproximateNumberOfMessagesVisible (Maximum)", t0, 288, 50, rng, step=timedelta(minutes=5)),
            _minutes("ApproximateAgeOfOldestMessage (Maximum)", t0, 288, 900, rng, "s", step=timedelta(minutes=5)),
        ),
        t0, t0 + timedelta(days=1),
    )  # fmt: skip
    return {
        "lambda_errors": errors, "lambda_duration": duration, "sqs_dead_letters": queue, "metric_threshold": rule,
        "alarm_metric_math": metric_math, "chart_command_3h": command, "chart_command_1d": command_day,
        "incident_10d": long_incident(t0, random.Random(10)),  # its own draws: the other types' data stay the same
    }  # fmt: skip
