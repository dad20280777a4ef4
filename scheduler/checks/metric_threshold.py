"""Any CloudWatch metric declared as data: fire when M of its last N complete periods breach a threshold.

Like a CloudWatch alarm, with three differences. Percentile statistics (p99) are not supported yet: moto, which
the tests run against, cannot serve them. With `missing_data: ignore` a period without data counts neither way,
and a rule with no data at all in its N periods gets no verdict: its alert, if any, stays as it was. So that such
a rule is not resolved by omission, a run covers only the rules it reports; an alert of a rule removed from the
config stays open until resolved by hand.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.aws.metric_charts import ChartLine, ChartRequest
from bot.aws.metrics import MetricQuery, metric_data
from bot.core.findings import CheckResult, Finding
from bot.durations import Duration, format_duration
from bot.enums import Severity
from scheduler.registry import CheckContext, check

COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
ALARM_COMPARISON = {
    ">": "GreaterThanThreshold",
    ">=": "GreaterThanOrEqualToThreshold",
    "<": "LessThanThreshold",
    "<=": "LessThanOrEqualToThreshold",
}
"""A rule's comparison as a CloudWatch alarm (and a chart) names it."""
HIGH_RESOLUTION_SECONDS = (1, 5, 10, 30)
VALUES_SHOWN = 10


class MetricRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="names the rule in titles and fingerprints; unique in the check")
    namespace: str = Field(min_length=1)
    metric: str = Field(min_length=1)
    dimensions: dict[str, str] = Field(default_factory=dict)
    statistic: Literal["Average", "Sum", "Minimum", "Maximum", "SampleCount"] = Field(
        description="percentiles are not supported yet"
    )
    period: Duration = Field(default=timedelta(minutes=1), description="1s, 5s, 10s, 30s or whole minutes")
    comparison: Literal[">", ">=", "<", "<="]
    threshold: float
    datapoints_to_alarm: int = Field(default=1, ge=1, description="M: breaching periods that fire")
    evaluation_periods: int = Field(default=1, ge=1, description="N: the latest complete periods looked at")
    missing_data: Literal["ignore", "breaching", "not_breaching"] = "ignore"
    severity: Literal["critical", "warning", "info"] = "warning"

    @field_validator("period")
    @classmethod
    def _period_cloudwatch_accepts(cls, period: timedelta) -> timedelta:
        seconds = period.total_seconds()
        if seconds not in HIGH_RESOLUTION_SECONDS and seconds % 60:
            raise ValueError("period must be 1s, 5s, 10s, 30s or a whole number of minutes")
        return period

    @model_validator(mode="after")
    def _m_of_n(self) -> MetricRule:
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError("datapoints_to_alarm cannot exceed evaluation_periods")
        return self

    def in_words(self) -> str:
        """`Average of AWS/SQS ApproximateNumberOfMessagesVisible (QueueName=orders) > 100 for 3 of 5 minutes`."""
        dimensions = ", ".join(f"{name}={value}" for name, value in self.dimensions.items())
        shown = f"{self.namespace} {self.metric}" + (f" ({dimensions})" if dimensions else "")
        return (
            f"{self.statistic} of {shown} {self.comparison} {_number(self.threshold)} "
            f"for {self.datapoints_to_alarm} of {_periods(self.evaluation_periods, self.period)}"
        )


class MetricThresholdParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metrics: list[MetricRule] = Field(min_length=1)
    account: str | None = Field(default=None, description="the configured account to look in; default: each")
    region: str | None = Field(default=None, description="the region to look in; default: each configured one")

    @field_validator("metrics")
    @classmethod
    def _unique_names(cls, rules: list[MetricRule]) -> list[MetricRule]:
        names = [rule.name for rule in rules]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"two metrics share the name {repeated[0]!r}")
        return rules


class Verdict(StrEnum):
    FIRING = "firing"
    OK = "ok"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class Evaluation:
    verdict: Verdict
    breaching: int
    missing: int


def evaluate(values: Sequence[float | None], rule: MetricRule) -> Evaluation:
    """M of N over `values`, one per period (None where a period has no data), as a CloudWatch alarm would."""
    missing = sum(value is None for value in values)
    breaching = sum(value is not None and COMPARE[rule.comparison](value, rule.threshold) for value in values)
    if rule.missing_data == "breaching":
        breaching += missing
    if breaching >= rule.datapoints_to_alarm:
        return Evaluation(Verdict.FIRING, breaching, missing)
    if rule.missing_data == "ignore" and missing == len(values):
        return Evaluation(Verdict.NO_DATA, breaching, missing)
    return Evaluation(Verdict.OK, breaching, missing)


def period_starts(now: datetime, period: timedelta, count: int) -> list[datetime]:
    """The starts of the last `count` complete periods before `now`, oldest first, aligned as CloudWatch aligns."""
    seconds = int(period.total_seconds())
    end = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, UTC)
    return [end - period * (count - n) for n in range(count)]


Recent = list[tuple[datetime, float | None]]


def recent_values(ctx: CheckContext, rules: Sequence[MetricRule]) -> list[Recent]:
    """Each rule's last N periods, fetched in one GetMetricData call per distinct period (500 queries a call)."""
    by_period: dict[timedelta, list[int]] = defaultdict(list)
    for index, rule in enumerate(rules):
        by_period[rule.period].append(index)
    recent: dict[int, Recent] = {}
    for period, indexes in by_period.items():
        starts = period_starts(ctx.now, period, max(rules[i].evaluation_periods for i in indexes))
        queries = [
            MetricQuery(f"r{i}", rules[i].namespace, rules[i].metric, rules[i].statistic, rules[i].dimensions)
            for i in indexes
        ]
        series = metric_data(ctx.client("cloudwatch"), queries, start=starts[0], end=starts[-1] + period, period=period)
        for i in indexes:
            points = dict(series[f"r{i}"])
            recent[i] = [(at, points.get(at)) for at in starts[-rules[i].evaluation_periods :]]
    return [recent[i] for i in range(len(rules))]


@check(
    "metric_threshold",
    service="cloudwatch",
    permissions=["cloudwatch:GetMetricData"],
    every="60s",
    params=MetricThresholdParams,
)
def metric_threshold(ctx: CheckContext, params: MetricThresholdParams) -> CheckResult:
    """CloudWatch metrics that breach a threshold in M of their last N periods."""
    if params.account not in (None, ctx.account) or params.region not in (None, ctx.region):
        return CheckResult.of([])
    findings = []
    for rule, recent in zip(params.metrics, recent_values(ctx, params.metrics), strict=True):
        evaluation = evaluate([value for _, value in recent], rule)
        if evaluation.verdict is not Verdict.NO_DATA:
            findings.append(_finding(ctx, rule, recent, evaluation))
    return CheckResult.of(findings)


def _finding(ctx: CheckContext, rule: MetricRule, recent: Recent, evaluation: Evaluation) -> Finding:
    shown = [_value(at, value, rule) for at, value in recent[-VALUES_SHOWN:]]
    evidence = {
        "Rule": rule.in_words(),
        "Values": ("…, " if len(recent) > VALUES_SHOWN else "") + ", ".join(shown),
        "Window": f"{recent[0][0]:%H:%M}–{recent[-1][0] + rule.period:%H:%M} UTC",
    }
    if evaluation.missing:
        treated = {"ignore": "not counted", "breaching": "counted as breaching", "not_breaching": "counted as fine"}
        evidence["Missing data"] = f"{evaluation.missing} of {len(recent)} periods, {treated[rule.missing_data]}"
    breached = f"{evaluation.breaching} of {_periods(len(recent), rule.period)}"
    firing = evaluation.verdict is Verdict.FIRING
    return Finding(
        fingerprint=f"metric_threshold:{ctx.account_id}:{ctx.region}:{rule.name}",
        firing=firing,
        title=f"{rule.name}: {rule.metric} {rule.comparison} {_number(rule.threshold)} for {breached}",
        severity=Severity(rule.severity),
        resource=next(iter(rule.dimensions.values()), rule.metric),
        account=ctx.account_id,
        region=ctx.region,
        labels={**rule.dimensions, "namespace": rule.namespace, "metric": rule.metric, "rule": rule.name},
        links={"console": console_url(ctx.region, rule)},
        evidence=evidence,
        chart=rule_chart(ctx, rule).to_payload() if firing else None,
    )


def rule_chart(ctx: CheckContext, rule: MetricRule) -> ChartRequest:
    """The rule's metric at its statistic and period, and its threshold."""
    line = ChartLine("m0", rule.namespace, rule.metric, rule.statistic, f"{rule.metric} ({rule.statistic})",
                     rule.dimensions)  # fmt: skip
    return ChartRequest(
        title=f"{rule.name}: {rule.namespace} {rule.metric}",
        account=ctx.account,
        region=ctx.region,
        lines=(line,),
        period_seconds=int(rule.period.total_seconds()),
        threshold=rule.threshold,
        comparison=ALARM_COMPARISON[rule.comparison],
    )


def console_url(region: str, rule: MetricRule) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#metricsV2:graph=~();search={quote(rule.metric, safe='')};namespace={quote(rule.namespace, safe='')}"
    )


def _value(at: datetime, value: float | None, rule: MetricRule) -> str:
    when = f"{at:%H:%M:%S}" if rule.period < timedelta(minutes=1) else f"{at:%H:%M}"
    if value is None:
        return f"{when} no data"
    breaching = " (breaching)" if COMPARE[rule.comparison](value, rule.threshold) else ""
    return f"{when} {_number(value)}{breaching}"


def _periods(count: int, period: timedelta) -> str:
    """`5 minutes`, `1 hour`, `3 periods of 5m`."""
    unit = {timedelta(minutes=1): "minute", timedelta(hours=1): "hour"}.get(period)
    counted = f"{count} {unit or 'period'}{'s' if count > 1 else ''}"
    return counted if unit else f"{counted} of {format_duration(period)}"


def _number(value: float) -> str:
    return f"{value:.10g}"
