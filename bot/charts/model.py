"""What a chart shows, as plain data, and the alt text that says it in numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ALARM, INSUFFICIENT_DATA, FIRING = "ALARM", "INSUFFICIENT_DATA", "FIRING"
"""The states a chart shades: an alarm's ALARM and INSUFFICIENT_DATA (its OK is left clear), and a check's firing
incident."""
SHADED_AS = {ALARM: "in ALARM", FIRING: "firing", INSUFFICIENT_DATA: "no data (INSUFFICIENT_DATA)"}
SPANS_SAID = 8
"""The shaded spans of a state the alt text lists, the latest."""
ALT_TEXT_LIMIT = 2000
"""Slack's limit on an image block's `alt_text`."""
COMPARISONS = {
    "GreaterThanOrEqualToThreshold": "≥",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
}


@dataclass(frozen=True)
class ChartImage:
    """A drawn chart, ready to upload."""

    png: bytes
    alt_text: str
    title: str
    filename: str


@dataclass(frozen=True)
class Series:
    """One metric statistic over time; NaN values are gaps."""

    label: str
    points: tuple[tuple[datetime, float], ...]
    unit: str = ""
    """What the values measure (`ms`, `s`, `%`; empty for counts): a chart's second unit gets its own axis."""
    right: bool = False
    """Drawn against the right-hand axis although its unit is the first series' (a count of another magnitude)."""

    def finite(self) -> list[tuple[datetime, float]]:
        return [(at, value) for at, value in self.points if math.isfinite(value)]


@dataclass(frozen=True)
class Span:
    """A stretch of time in `state`: an alarm's (ALARM and INSUFFICIENT_DATA are shaded), or FIRING, an incident's."""

    start: datetime
    end: datetime
    state: str


@dataclass(frozen=True)
class Reference:
    """A level worth seeing beside the threshold (a Lambda function's timeout), on the first series' axis."""

    label: str
    value: float


@dataclass(frozen=True)
class ChartData:
    """A metric over the alert's window plus context before it. The first series is the one the threshold is for."""

    title: str
    series: tuple[Series, ...]
    start: datetime
    end: datetime
    alert_start: datetime | None = None
    threshold: float | None = None
    comparison: str | None = None
    complete_until: datetime | None = None
    """Data after this may still grow (late Lambda metrics): marked on the chart."""
    spans: tuple[Span, ...] = field(default=())
    references: tuple[Reference, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    """Sentences the alt text ends with (why a threshold is not drawn)."""

    def breaches(self, value: float) -> bool:
        if self.threshold is None or self.comparison is None or not math.isfinite(value):
            return False
        match self.comparison:
            case "GreaterThanOrEqualToThreshold":
                return value >= self.threshold
            case "GreaterThanThreshold":
                return value > self.threshold
            case "LessThanThreshold":
                return value < self.threshold
            case "LessThanOrEqualToThreshold":
                return value <= self.threshold
        return False

    def breaching_points(self) -> list[tuple[datetime, float]]:
        if not self.series:
            return []
        return [(at, value) for at, value in self.series[0].finite() if self.breaches(value)]


def number(value: float) -> str:
    """A value short enough for a label: 3, 2.5, 1.2k, 3.4M, 5e+12."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1e12:
        return f"{value:.2g}"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def with_unit(value: float, unit: str) -> str:
    """`7`, `2.4k ms`, `35%`."""
    if not unit:
        return number(value)
    return f"{number(value)}{unit}" if unit == "%" else f"{number(value)} {unit}"


def alt_text(data: ChartData) -> str:
    """The chart in words, with its numbers: what a screen reader and a notification show."""
    moment = "%d %b %H:%M" if data.end - data.start > timedelta(days=1) else "%H:%M"
    parts = [f"Chart of {data.title}, {data.start:{moment}}–{data.end:{moment}} UTC."]
    for series in data.series:
        finite = series.finite()
        if not finite:
            parts.append(f"{series.label}: no data.")
            continue
        peak_at, peak = max(finite, key=lambda point: point[1])
        low = min(value for _, value in finite)
        latest_at, latest = finite[-1]
        unit = series.unit
        parts.append(
            f"{series.label}: latest {with_unit(latest, unit)} at {latest_at:{moment}}, max {with_unit(peak, unit)} at "
            f"{peak_at:{moment}}, min {with_unit(low, unit)}, {len(finite)} points."
        )
    first_unit = data.series[0].unit if data.series else ""
    if data.threshold is not None:
        sign = COMPARISONS.get(data.comparison or "", "")
        breaching = data.breaching_points()
        level = with_unit(data.threshold, first_unit)
        parts.append(f"Threshold {sign}{level}: {len(breaching)} points breach it.".replace("  ", " "))
    parts.extend(f"{ref.label.capitalize()} {with_unit(ref.value, first_unit)}." for ref in data.references)
    for state, shown in SHADED_AS.items():
        spans = [span for span in data.spans if span.state == state]
        if spans:
            times = ", ".join(f"{s.start:{moment}}–{s.end:{moment}}" for s in spans[-SPANS_SAID:])
            count = f" {len(spans)} times, the latest" if len(spans) > SPANS_SAID else ""
            parts.append(f"{shown[0].upper()}{shown[1:]}{count} {times} UTC.")
    if data.complete_until is not None and data.complete_until < data.end:
        parts.append(f"Data complete up to {data.complete_until:%H:%M} UTC.")
    parts.extend(data.notes)
    text = " ".join(parts)
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"
