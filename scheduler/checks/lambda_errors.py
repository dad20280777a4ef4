"""Lambda functions that fail, are throttled or run close to their timeout, from their AWS/Lambda metrics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from bot.aws.metric_charts import ChartLine, ChartRequest
from bot.aws.metrics import Datapoint, MetricQuery, metric_data
from bot.core.findings import CheckResult, Finding
from bot.durations import Duration, format_duration
from bot.enums import Severity
from scheduler.registry import CheckContext, check

NAMESPACE = "AWS/Lambda"
PERIOD = timedelta(minutes=1)
CRITICAL_ERROR_RATE = 0.5
# Query id suffix → (metric, statistic); four queries a function.
METRICS = {
    "errors": ("Errors", "Sum"),
    "throttles": ("Throttles", "Sum"),
    "invocations": ("Invocations", "Sum"),
    "duration": ("Duration", "Maximum"),
}


class Problem(StrEnum):
    ERRORS = "errors"
    THROTTLES = "throttles"
    DURATION = "duration"


class LambdaErrorsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    functions: list[str] = Field(default_factory=lambda: ["*"], description="function name globs, as fnmatch")
    min_errors: int = Field(default=1, ge=1, description="errors in the window that fire, with error_rate")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="errors/invocations that fire (0.05 is 5%)")
    throttles: int = Field(default=1, ge=0, description="throttles in the window that fire; 0 turns this off")
    duration_ratio: float = Field(
        default=0.9, ge=0, le=1, description="slowest invocation / timeout that fires; 0 turns this off"
    )
    window: Duration = Field(default=timedelta(minutes=5), ge=PERIOD, description="how far back to count")
    metric_delay: Duration = Field(
        default=timedelta(minutes=3), description="how late Lambda's metrics may arrive after an invocation ends"
    )


@dataclass(frozen=True)
class Window:
    """The span one function's numbers cover, and how much of it is final.

    Lambda stamps an invocation's metrics with its start time and sends them after it ends, up to `metric_delay`
    late; so data younger than timeout + delay may still grow. The window reaches back at least that far, so that
    late datapoints still fall inside it when they arrive and no failure is missed.
    """

    start: datetime
    end: datetime
    complete_until: datetime
    timeout: timedelta
    metric_delay: timedelta

    @classmethod
    def for_function(cls, now: datetime, timeout: timedelta, params: LambdaErrorsParams) -> Window:
        lookback = max(params.window, timeout + params.metric_delay)
        return cls(_minute(now - lookback), now, now - timeout - params.metric_delay, timeout, params.metric_delay)

    @property
    def span(self) -> str:
        return format_duration(self.end - self.start)

    def evidence(self) -> dict[str, str]:
        return {
            "Window": f"{self.start:%H:%M}–{self.end:%H:%M} UTC ({self.span})",
            "Data": (
                f"Complete up to {self.complete_until:%H:%M} UTC: Lambda metrics arrive up to "
                f"{format_duration(self.metric_delay)} late, after invocations that can run {_seconds(self.timeout)}"
            ),
        }


@dataclass(frozen=True)
class Usage:
    """One function's numbers over its window."""

    errors: int
    throttles: int
    invocations: int
    slowest_ms: float | None

    @classmethod
    def of(cls, series: Mapping[str, list[Datapoint]], window: Window) -> Usage:
        def inside(key: str) -> list[float]:
            return [point.value for point in series[key] if point.at >= window.start]

        durations = inside("duration")
        return cls(
            errors=round(sum(inside("errors"))),
            throttles=round(sum(inside("throttles"))),
            invocations=round(sum(inside("invocations"))),
            slowest_ms=max(durations) if durations else None,
        )

    @property
    def error_rate(self) -> float:
        # Errors are a subset of invocations; a late Invocations datapoint must not make the rate exceed 100%.
        return self.errors / max(self.invocations, self.errors) if self.errors else 0.0


@check(
    "lambda_errors",
    service="lambda",
    permissions=["lambda:ListFunctions", "cloudwatch:GetMetricData"],
    every="60s",
    params=LambdaErrorsParams,
)
def lambda_errors(ctx: CheckContext, params: LambdaErrorsParams) -> CheckResult:
    """Lambda functions with errors, throttles or invocations close to their timeout."""
    now = ctx.now.astimezone(UTC)
    functions = [
        function
        for page in ctx.client("lambda").get_paginator("list_functions").paginate()
        for function in page["Functions"]
        if any(fnmatchcase(function["FunctionName"], pattern) for pattern in params.functions)
    ]
    windows = [Window.for_function(now, timedelta(seconds=f.get("Timeout", 3)), params) for f in functions]
    queries = [
        MetricQuery(f"f{index}_{key}", NAMESPACE, metric, stat, {"FunctionName": function["FunctionName"]})
        for index, function in enumerate(functions)
        for key, (metric, stat) in METRICS.items()
    ]
    series: dict[str, list[Datapoint]] = {}
    if queries:
        start = min(window.start for window in windows)
        series = metric_data(ctx.client("cloudwatch"), queries, start=start, end=_minute(now) + PERIOD, period=PERIOD)
    findings: list[Finding] = []
    for index, (function, window) in enumerate(zip(functions, windows, strict=True)):
        usage = Usage.of({key: series[f"f{index}_{key}"] for key in METRICS}, window)
        subject = Subject(ctx, function, window)
        judged = [_errors(subject, usage, params)]
        if params.throttles:
            judged.append(_throttles(subject, usage, params))
        if params.duration_ratio:
            judged.append(_duration(subject, usage, params))
        findings.extend(finding for finding in judged if finding.firing)
    # Only what fires is reported: the run sees every function of the region, so its scope resolves the rest (and
    # a run over 4,000 healthy functions hands the incident engine nothing rather than 12,000 quiet findings).
    return CheckResult.of(findings, scope=f"lambda_errors:{ctx.account_id}:{ctx.region}:")


def console_url(region: str, function: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/lambda/home?region={region}"
        f"#/functions/{quote(function, safe='')}?tab=monitoring"
    )


@dataclass(frozen=True)
class Subject:
    """One function in one run: what every finding about it shares."""

    ctx: CheckContext
    function: Mapping[str, Any]
    window: Window

    def finding(
        self,
        problem: Problem,
        *,
        firing: bool,
        severity: Severity,
        title: str,
        evidence: dict[str, str],
        chart: ChartRequest | None = None,
    ) -> Finding:
        ctx, name = self.ctx, self.function["FunctionName"]
        runtime = self.function.get("Runtime") or "container"
        return Finding(
            fingerprint=f"lambda_errors:{ctx.account_id}:{ctx.region}:{name}:{problem}",
            firing=firing,
            title=f"{name}: {title}",
            severity=severity,
            resource=name,
            account=ctx.account_id,
            region=ctx.region,
            labels={"function": name, "runtime": runtime, "problem": problem.value},
            links={"console": console_url(ctx.region, name)},
            evidence=evidence | self.window.evidence(),
            tag_arns=(self.function["FunctionArn"],) if self.function.get("FunctionArn") else (),
            chart=chart.to_payload() if chart is not None and firing else None,
        )

    def chart(self, title: str, lines: tuple[ChartLine, ...], **shown: Any) -> ChartRequest:
        """A chart of this function's metrics, marked where they may still grow (timeout + metric delay)."""
        window = self.window
        return ChartRequest(
            title=f"{self.function['FunctionName']}: {title}",
            account=self.ctx.account,
            region=self.ctx.region,
            lines=lines,
            period_seconds=int(PERIOD.total_seconds()),
            data_delay_seconds=int((window.timeout + window.metric_delay).total_seconds()),
            **shown,
        )

    def line(self, key: str, unit: str = "", stat: str | None = None, *, right: bool = False) -> ChartLine:
        """The metric the check reads as `key` (in METRICS), with its own statistic or `stat`; on the right-hand axis
        if `right` (invocations, beside errors tens or thousands of times fewer)."""
        metric, checked = METRICS[key]
        stat = stat or checked
        query_id = key if stat == checked else f"{key}_{stat.lower()}"
        dimensions = {"FunctionName": self.function["FunctionName"]}
        return ChartLine(query_id, NAMESPACE, metric, stat, f"{metric} ({stat})", dimensions, unit, right)


def _errors(subject: Subject, usage: Usage, params: LambdaErrorsParams) -> Finding:
    rate, invocations = usage.error_rate, _count(usage.invocations, "invocation")
    threshold = _count(params.min_errors, "error")
    if params.error_rate:
        threshold += f" and {_percent(params.error_rate)} of invocations"
    return subject.finding(
        Problem.ERRORS,
        firing=usage.errors >= params.min_errors and rate >= params.error_rate,
        severity=Severity.CRITICAL if rate >= CRITICAL_ERROR_RATE else Severity.WARNING,
        title=f"{_count(usage.errors, 'error')} in {subject.window.span} ({_percent(rate)} of {invocations})",
        evidence={"Errors": f"{usage.errors} of {invocations} ({_percent(rate)})", "Fires at": threshold},
        chart=subject.chart(
            "errors and invocations",
            (subject.line("errors"), subject.line("invocations", right=True)),
            **_per_minute_threshold(params.min_errors if not params.error_rate else None),
        ),
    )


def _throttles(subject: Subject, usage: Usage, params: LambdaErrorsParams) -> Finding:
    return subject.finding(
        Problem.THROTTLES,
        firing=usage.throttles >= params.throttles,
        severity=Severity.WARNING,
        title=f"{_count(usage.throttles, 'throttle')} in {subject.window.span}",
        evidence={
            "Throttles": f"{usage.throttles}, besides {_count(usage.invocations, 'invocation')} that ran",
            "Fires at": _count(params.throttles, "throttle"),
        },
        chart=subject.chart(
            "throttles and invocations",
            (subject.line("throttles"), subject.line("invocations", right=True)),
            **_per_minute_threshold(params.throttles),
        ),
    )


def _duration(subject: Subject, usage: Usage, params: LambdaErrorsParams) -> Finding:
    window, slowest = subject.window, usage.slowest_ms
    timeout_ms = window.timeout.total_seconds() * 1000
    limit_ms = params.duration_ratio * timeout_ms
    title, shown = f"no invocations in {window.span}", "no invocations"
    if slowest is not None:
        timeout = _seconds(window.timeout)
        title = f"slowest invocation {_ms(slowest)} of its {timeout} timeout in {window.span}"
        shown = f"{_ms(slowest)} ({_percent(slowest / timeout_ms)} of the {timeout} timeout)"
    return subject.finding(
        Problem.DURATION,
        firing=slowest is not None and slowest >= limit_ms,
        severity=Severity.WARNING,
        title=title,
        evidence={
            "Slowest invocation": shown,
            "Fires at": f"{_percent(params.duration_ratio)} of the timeout ({_ms(limit_ms)})",
        },
        chart=subject.chart(
            "duration and its timeout",
            (subject.line("duration", "ms"), subject.line("duration", "ms", stat="Average")),
            threshold=limit_ms,
            comparison="GreaterThanOrEqualToThreshold",
            references=(("timeout", timeout_ms),),
        ),
    )


def _per_minute_threshold(fires_at: int | None) -> dict[str, Any]:
    """The threshold line of a count summed over the window, on a chart of it per minute: drawn only when one
    (error, throttle) fires, the one rule that a minute with a point over the line breaks exactly as the window does.
    A higher count or a rate is in the alert's evidence instead of a line that would not mean it."""
    if fires_at != 1:
        return {}
    return {"threshold": 1.0, "comparison": "GreaterThanOrEqualToThreshold"}


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _percent(fraction: float) -> str:
    return f"{fraction:.0%}" if fraction == 0 or fraction >= 0.01 else f"{fraction:.1%}"


def _seconds(delta: timedelta) -> str:
    return _ms(delta.total_seconds() * 1000)


def _ms(milliseconds: float) -> str:
    if milliseconds < 1000:
        return f"{milliseconds:.0f}ms"
    if milliseconds < 60_000:
        return f"{milliseconds / 1000:.3g}s"
    return format_duration(timedelta(milliseconds=milliseconds))
