"""The digest's chart: incidents opened and resolved per day, and the weekly MTTA and MTTR, over the last weeks.

A digest tells one period in numbers; this picture tells whether that period was unusual. The counts are per UTC day
(the last one partial, up to the digest's end); the response times are the median of each trailing 7-day window
ending at the digest's end, so that the newest point is always a full week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.charts.canvas import pixel_axes, png
from bot.charts.model import ALT_TEXT_LIMIT, ChartImage
from bot.charts.render import DPI, PALETTES, WIDTH_PX, Palette, Theme

HEIGHT_PX = 460


@dataclass(frozen=True)
class DayCount:
    day: date
    opened: int
    resolved: int


@dataclass(frozen=True)
class WeekTimes:
    """One trailing week's medians (seconds), None when no incident was answered / resolved in it."""

    start: date
    mtta: float | None
    mttr: float | None
    acknowledged: int
    resolved: int


@dataclass(frozen=True)
class IncidentTrend:
    title: str
    end: datetime
    days: tuple[DayCount, ...]
    weeks: tuple[WeekTimes, ...]

    def to_payload(self) -> dict[str, Any]:
        """JSON for the outbox, which keeps it until the chart is drawn."""
        return {
            "title": self.title,
            "end": self.end.isoformat(),
            "days": [[d.day.isoformat(), d.opened, d.resolved] for d in self.days],
            "weeks": [[w.start.isoformat(), w.mtta, w.mttr, w.acknowledged, w.resolved] for w in self.weeks],
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> IncidentTrend:
        return cls(
            title=str(payload["title"]),
            end=datetime.fromisoformat(payload["end"]),
            days=tuple(DayCount(date.fromisoformat(d), int(o), int(r)) for d, o, r in payload["days"]),
            weeks=tuple(
                WeekTimes(date.fromisoformat(s), mtta, mttr, int(a), int(r)) for s, mtta, mttr, a, r in payload["weeks"]
            ),
        )


def short_duration(seconds: float) -> str:
    """42s, 7m, 1h 5m, 2d 3h: the two largest units, as a person reads a response time."""
    total = round(seconds)
    if total < 60:
        return f"{total}s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def trend_alt_text(trend: IncidentTrend) -> str:
    """Every number the chart shows, in words."""
    parts = [f"Chart of {trend.title}, {len(trend.days)} days to {trend.end:%d %b %H:%M} UTC."]
    if trend.days:
        opened, resolved = sum(d.opened for d in trend.days), sum(d.resolved for d in trend.days)
        busy = [d for d in trend.days if d.opened or d.resolved]
        parts.append(f"Incidents opened {opened}, resolved {resolved}.")
        if busy:
            days = "; ".join(f"{d.day:%d %b} {d.opened} opened {d.resolved} resolved" for d in busy)
            parts.append(f"Per day: {days}.")
    for name, pick, count in (("MTTA", _mtta, _acknowledged), ("MTTR", _mttr, _resolved)):
        weeks = [f"week of {w.start:%d %b} {short_duration(v)} ({count(w)})" for w in trend.weeks
                 if (v := pick(w)) is not None]  # fmt: skip
        parts.append(f"{name} median by week: " + ("; ".join(weeks) if weeks else "none") + ".")
    text = " ".join(parts)
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"


def _mtta(week: WeekTimes) -> float | None:
    return week.mtta


def _mttr(week: WeekTimes) -> float | None:
    return week.mttr


def _acknowledged(week: WeekTimes) -> str:
    return f"{week.acknowledged} answered"


def _resolved(week: WeekTimes) -> str:
    return f"{week.resolved} resolved"


def trend_image(trend: IncidentTrend, theme: Theme = Theme.LIGHT) -> ChartImage:
    """The chart, its alt text and a file name. Blocking (tens of ms): call it in a worker thread."""
    return ChartImage(render_trend(trend, theme), trend_alt_text(trend), trend.title,
                      f"digest-{trend.end:%Y%m%dT%H%M}.png")  # fmt: skip


def render_trend(trend: IncidentTrend, theme: Theme = Theme.LIGHT) -> bytes:
    """Bars of opened and resolved per day across the top; below, the weekly MTTA and MTTR side by side, each on a
    scale of its own (answers take minutes where fixes take hours).

    Drawn in one frameless Axes whose units are pixels, with the grid and labels placed by hand: three Axes with
    their ticks cost twice the 150 ms budget's worth of a one-Axes chart, for nothing a reader sees."""
    from matplotlib.collections import LineCollection

    palette = PALETTES[theme]
    with pixel_axes("trend", palette.background, WIDTH_PX, HEIGHT_PX, DPI) as axes:
        axes.text(LEFT, HEIGHT_PX - 10, trend.title, ha="left", va="top", color=palette.text, fontsize=14,
                  fontweight="bold", parse_math=False)  # fmt: skip
        grid: list[list[tuple[float, float]]] = []
        _counts(axes, trend, palette, grid)
        middle = (LEFT + RIGHT) / 2
        _times(axes, trend, palette, grid, Box(LEFT, middle - 20, 40, 150), "MTTA", _mtta, palette.lines[2])
        _times(axes, trend, palette, grid, Box(middle + 20, RIGHT, 40, 150), "MTTR", _mttr, palette.lines[1])
        axes.add_collection(LineCollection(grid, colors=palette.grid, linewidths=0.8, zorder=1))
        return png(axes.get_figure())


LEFT, RIGHT = 56.0, 776.0


@dataclass(frozen=True)
class Box:
    """A panel's plot area, in pixels from the bottom left."""

    left: float
    right: float
    bottom: float
    top: float


def _y_grid(axes: Any, palette: Palette, grid: list[Any], box: Box, peak: float, bins: int, label: Any) -> float:
    """Horizontal grid lines at round values up to above `peak`, labelled on the left; returns pixels per unit."""
    from matplotlib.ticker import MaxNLocator

    ticks = [t for t in MaxNLocator(nbins=bins, integer=label is None).tick_values(0, max(peak, 1) * 1.15) if t >= 0]
    scale = (box.top - box.bottom) / max(ticks[-1], max(peak, 1) * 1.15)
    for tick in ticks:
        y = box.bottom + tick * scale
        grid.append([(box.left, y), (box.right, y)])
        text = f"{tick:g}" if label is None else label(tick)
        axes.text(box.left - 6, y, text, ha="right", va="center", color=palette.text, fontsize=10)
    return scale


def _title(axes: Any, palette: Palette, box: Box, title: str) -> None:
    axes.text(box.left, box.top + 10, title, ha="left", va="bottom", color=palette.text, fontsize=11)


def _counts(axes: Any, trend: IncidentTrend, palette: Palette, grid: list[Any]) -> None:
    from matplotlib.collections import PolyCollection

    box = Box(LEFT, RIGHT, 250, 370)
    _title(axes, palette, box, "Incidents per day (UTC)")
    for x, text, colour in ((RIGHT - 200, "opened", palette.lines[3]), (RIGHT - 96, "resolved", palette.lines[0])):
        axes.text(x, box.top + 10, "■", ha="left", va="bottom", color=colour, fontsize=13)
        axes.text(x + 22, box.top + 10, text, ha="left", va="bottom", color=palette.text, fontsize=11)
    days = trend.days
    peak = max([d.opened for d in days] + [d.resolved for d in days] + [1])
    scale = _y_grid(axes, palette, grid, box, peak, 4, None)
    slot = (box.right - box.left) / max(len(days), 1)
    for offset, pick, colour in ((0.1, _opened, palette.lines[3]), (0.5, _resolved_count, palette.lines[0])):
        shapes = []
        for index, day in enumerate(days):
            if height := pick(day) * scale:
                x = box.left + slot * (index + offset)
                y = box.bottom
                shapes.append([(x, y), (x, y + height), (x + slot * 0.4, y + height), (x + slot * 0.4, y)])
        axes.add_collection(PolyCollection(shapes, facecolors=colour, edgecolors="none", zorder=3))
    every = max(1, len(days) // 7)
    for index in range(len(days) - 1, -1, -every):
        axes.text(box.left + slot * (index + 0.5), box.bottom - 5, f"{days[index].day:%d %b}", ha="center", va="top",
                  color=palette.text, fontsize=10)  # fmt: skip


def _opened(day: DayCount) -> int:
    return day.opened


def _resolved_count(day: DayCount) -> int:
    return day.resolved


def _times(
    axes: Any, trend: IncidentTrend, palette: Palette, grid: list[Any], box: Box, name: str, pick: Any, colour: str
) -> None:
    weeks = trend.weeks
    _title(axes, palette, box, f"{name}, median by week")
    values = [value for w in weeks if (value := pick(w)) is not None]
    unit, suffix = (3600.0, "h") if values and max(values) >= 2 * 3600 else (60.0, "m")
    peak = max(values) / unit if values else 1.0
    scale = _y_grid(axes, palette, grid, box, peak, 3, lambda tick: f"{tick:g}{suffix}")
    slot = (box.right - box.left) / max(len(weeks), 1)
    xs = [box.left + slot * (index + 0.5) for index in range(len(weeks))]
    ys = [box.bottom + value / unit * scale if (value := pick(w)) is not None else float("nan") for w in weeks]
    axes.plot(xs, ys, color=colour, linewidth=2, marker="o", markersize=5, zorder=3)
    for index in range(len(weeks) - 1, -1, -2):  # every other week, the newest always
        axes.text(xs[index], box.bottom - 5, f"{weeks[index].start:%d %b}", ha="center", va="top", color=palette.text,
                  fontsize=10)  # fmt: skip
    if not values:
        axes.text((box.left + box.right) / 2, (box.bottom + box.top) / 2, "none in these weeks", ha="center",
                  va="center", color=palette.text, fontsize=11)  # fmt: skip
