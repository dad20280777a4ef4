"""The digest's chart: incidents opened and resolved per day, and the weekly MTTA and MTTR, over the last weeks.

A digest tells one period in numbers; this picture tells whether that period was unusual. The counts are per UTC day
(the last one partial, up to the digest's end); the response times are the median of each trailing 7-day window
ending at the digest's end, so that the newest point is always a full week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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
    scale of its own (answers take minutes where fixes take hours)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    palette = PALETTES[theme]
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=palette.background)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 2, height_ratios=[3, 2], hspace=0.6, wspace=0.16)
    figure.suptitle(trend.title, x=0.07, y=0.975, ha="left", color=palette.text, fontsize=14, fontweight="bold",
                    parse_math=False)  # fmt: skip
    _counts(figure.add_subplot(grid[0, :]), trend, palette)
    _times(figure.add_subplot(grid[1, 0]), trend, palette, "MTTA", _mtta, palette.lines[2])
    _times(figure.add_subplot(grid[1, 1]), trend, palette, "MTTR", _mttr, palette.lines[1])
    figure.subplots_adjust(left=0.07, right=0.97, top=0.85, bottom=0.08)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor=palette.background, metadata={"Software": None})
    return buffer.getvalue()


def style_axes(axes: Any, palette: Palette) -> None:
    """The look of `bot.charts.render`'s charts: the same card, grid and text colours."""
    axes.set_facecolor(palette.background)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(palette.grid)
    axes.tick_params(colors=palette.text, labelsize=10)
    axes.grid(True, axis="y", color=palette.grid, linewidth=0.8)
    axes.set_axisbelow(True)


def bars(
    axes: Any, lefts: list[float], heights: list[float], width: float, colour: str, label: str | None = None
) -> None:
    """Bars as one collection of rectangles: a fraction of the cost of `Axes.bar`, which adds (and autoscales on) a
    patch per bar. The caller sets the axes' limits."""
    from matplotlib.collections import PolyCollection

    shapes = [[(x, 0.0), (x, h), (x + width, h), (x + width, 0.0)] for x, h in zip(lefts, heights, strict=True) if h]
    axes.add_collection(PolyCollection(shapes, facecolors=colour, edgecolors="none", label=label, zorder=3))


def panel_title(axes: Any, palette: Palette, title: str) -> None:
    """A title on the left above the panel. Its place is given (`y`), which spares matplotlib measuring every tick
    label to place it: a good part of the draw time otherwise."""
    axes.set_title(title, loc="left", color=palette.text, fontsize=11, pad=6, y=1.0, parse_math=False)


def legend(axes: Any, palette: Palette, title: str) -> None:
    """The panel's title on the left and its legend beside it, above the plot."""
    panel_title(axes, palette, title)
    drawn = axes.legend(loc="lower right", fontsize=10, frameon=False, ncols=2, bbox_to_anchor=(1, 1.0),
                        borderaxespad=0.2)  # fmt: skip
    for text in drawn.get_texts():
        text.set_color(palette.text)


def _counts(axes: Any, trend: IncidentTrend, palette: Palette) -> None:
    from matplotlib.ticker import MaxNLocator

    style_axes(axes, palette)
    positions = range(len(trend.days))
    opened, resolved = [float(d.opened) for d in trend.days], [float(d.resolved) for d in trend.days]
    bars(axes, [p - 0.4 for p in positions], opened, 0.4, palette.lines[3], "opened")
    bars(axes, [float(p) for p in positions], resolved, 0.4, palette.lines[0], "resolved")
    axes.set_xlim(-0.7, max(len(trend.days), 1) - 0.3)
    axes.set_ylim(0, max([d.opened for d in trend.days] + [d.resolved for d in trend.days] + [1]) * 1.15)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    every = max(1, len(trend.days) // 7)
    ticks = list(range(len(trend.days) - 1, -1, -every))[::-1]
    axes.set_xticks(ticks, [f"{trend.days[t].day:%d %b}" for t in ticks])
    legend(axes, palette, "Incidents per day (UTC)")


def _times(axes: Any, trend: IncidentTrend, palette: Palette, name: str, pick: Any, colour: str) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    style_axes(axes, palette)
    weeks = trend.weeks
    values = [value for w in weeks if (value := pick(w)) is not None]
    unit, suffix = (3600.0, "h") if values and max(values) >= 2 * 3600 else (60.0, "m")
    positions = list(range(len(weeks)))
    ys = [value / unit if (value := pick(w)) is not None else float("nan") for w in weeks]
    axes.plot(positions, ys, color=colour, linewidth=2, marker="o", markersize=5, zorder=3)
    axes.set_xlim(-0.4, max(len(weeks), 1) - 0.6)
    axes.set_ylim(0, (max(values) / unit if values else 1) * 1.25)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=3))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}{suffix}"))
    ticks = positions[::-2][::-1]  # every other week, the newest always
    axes.set_xticks(ticks, [f"{weeks[t].start:%d %b}" for t in ticks])
    if not values:
        axes.text(0.5, 0.5, "none in these weeks", transform=axes.transAxes, ha="center", va="center",
                  color=palette.text, fontsize=11)  # fmt: skip
    panel_title(axes, palette, f"{name}, median by week")
