"""ChartData → PNG with matplotlib's Agg backend, imported on first use (it costs ~0.5 s) and never on the loop.

Sized for Slack: 800×340 px, drawn big enough (11 pt and up, 2 px lines) to stay readable when Slack scales the
image down to its ~360 px preview. Two themes: `light` draws on an off-white card rather than pure white, which
glares in dark mode; `dark` draws on Slack's own dark background. Both use Okabe–Ito colours (safe for colour
blindness) that keep their contrast on either background, so a chart stays legible whichever mode a reader uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.charts.canvas import new_figure, png, sheet
from bot.charts.model import ALARM, COMPARISONS, FIRING, INSUFFICIENT_DATA, ChartData, Span, number

WIDTH_PX, HEIGHT_PX, DPI = 800, 340, 100
LEGEND_COLUMNS = 4
LEGEND_MARGIN_PX = 8
"""What the legend leaves clear at the figure's right edge."""
LEGEND_ROW = 0.065
"""The height of a legend row, as a fraction of the figure's."""
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
LEGEND_NAMES = {ALARM: "in ALARM", FIRING: "firing", INSUFFICIENT_DATA: "no data"}
"""How the legend names a shaded state (the alt text says INSUFFICIENT_DATA in full)."""
DAYS_SHOWN = timedelta(days=2)
"""A window longer than this has dates on its time axis (`05 Dec`), a shorter one times (`14:30`)."""


class Theme(StrEnum):
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True)
class Palette:
    background: str
    text: str
    grid: str
    lines: tuple[str, ...]
    threshold: str
    breach: str
    alarm_span: str
    pending: str
    no_data: str
    """The hatching of an alarm's INSUFFICIENT_DATA spans."""


PALETTES = {
    Theme.LIGHT: Palette(
        "#f4f5f7",
        "#1d1c1d",
        "#d5d7db",
        ("#0072b2", "#009e73", "#cc79a7", "#e69f00"),
        "#d55e00",
        "#d55e00",
        "#f3c6b0",
        "#e3e5e8",
        "#8a8f98",
    ),
    Theme.DARK: Palette(
        "#1a1d21",
        "#e8e8e8",
        "#3a3e44",
        ("#56b4e9", "#009e73", "#cc79a7", "#e69f00"),
        "#ff8a4c",
        "#ff8a4c",
        "#5a2f22",
        "#2c3036",
        "#7a808a",
    ),
}


def render_png(data: ChartData, theme: Theme = Theme.LIGHT) -> bytes:
    """The chart as PNG bytes. Blocking (tens of ms): call it in a worker thread."""
    with sheet(("metric", theme), lambda: _blank(theme)) as figure:
        axes, right = figure.axes
        palette = PALETTES[theme]
        left = 0.095 if data.series and data.series[0].unit else 0.08
        legend_rows = _draw(axes, right, data, palette, room=WIDTH_PX * (1 - left) - LEGEND_MARGIN_PX)
        figure.text(0.08, 0.97, data.title, ha="left", va="top", color=palette.text, fontsize=14, fontweight="bold",
                    parse_math=False)  # fmt: skip
        top = 0.80 - LEGEND_ROW * (legend_rows - 1)  # a second legend row pushes the plot down, not into the title
        figure.subplots_adjust(left=left, right=0.90 if right.get_visible() else 0.95, top=top, bottom=0.14)
        return png(figure)


def _blank(theme: Theme) -> Any:
    """The figure every metric chart in `theme` is drawn on: styled Axes with a UTC time axis, and a hidden twin for
    a second unit. Kept and reused (see `canvas`); each chart sets the limits, labels and everything drawn."""
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.ticker import FuncFormatter

    palette = PALETTES[theme]
    figure = new_figure(palette.background, dpi=DPI, size_px=(WIDTH_PX, HEIGHT_PX))
    axes = figure.add_subplot()
    _style(axes, palette)
    axes.set_xlim(EPOCH, EPOCH + timedelta(hours=1))  # the time axis's units, before the twin shares them
    axes.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=7))
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M", tz="UTC"))
    axes.yaxis.set_major_formatter(FuncFormatter(_tick_label))
    axes.set_xlabel("UTC", color=palette.text, fontsize=10, loc="right", labelpad=1)
    right = axes.twinx()
    _style(right, palette)
    right.grid(False)
    right.spines["right"].set_visible(True)
    right.spines["right"].set_color(palette.grid)
    right.yaxis.set_major_formatter(FuncFormatter(_tick_label))
    right.set_visible(False)
    _pin_time_label(figure, axes)
    return figure


def _pin_time_label(figure: Any, axes: Any) -> None:
    """Fixes "UTC" where matplotlib's automatic placement puts it, under the time axis's tick labels (whose height
    never changes), so that a chart's draw no longer measures every tick label again to place it there."""
    from matplotlib.transforms import ScaledTranslation

    figure.canvas.draw()
    below = axes.bbox.y0 - axes.xaxis.label.get_position()[1]  # pixels, from the axes' bottom edge
    down = ScaledTranslation(0, -below / figure.dpi, figure.dpi_scale_trans)
    axes.xaxis.set_label_coords(1, 0, transform=axes.transAxes + down)


def _tick_label(value: float, _position: int) -> str:
    return number(value)


def _style(axes: Any, palette: Palette) -> None:
    axes.set_facecolor(palette.background)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(palette.grid)
    axes.tick_params(colors=palette.text, labelsize=11)
    axes.grid(True, color=palette.grid, linewidth=0.8)
    axes.set_axisbelow(True)


def _draw(axes: Any, right: Any, data: ChartData, palette: Palette, *, room: float) -> int:
    """Draws the chart on blank `axes` and their twin `right` (shown only for a second unit), its legend in at most
    `room` pixels across; returns the rows its legend takes."""
    axes.set_xlim(data.start, data.end)
    _time_format(axes, data)
    shaded = _shade(axes, data.spans, palette)
    if data.alert_start is not None and data.start < data.alert_start < data.end:
        axes.axvline(data.alert_start, color=palette.text, linewidth=1, linestyle=":", zorder=1)
    if data.complete_until is not None and data.start < data.complete_until < data.end:
        axes.axvspan(data.complete_until, data.end, color=palette.pending, alpha=0.8, linewidth=0, zorder=0)
        axes.text(data.complete_until, 0.98, f"complete up to {data.complete_until:%H:%M} ", ha="right", va="top",
                  transform=axes.get_xaxis_transform(), color=palette.text, fontsize=10, zorder=5)  # fmt: skip
    on_right = _on_right(data)
    right.set_visible(any(on_right))
    right_unit = next((series.unit for series, r in zip(data.series, on_right, strict=True) if r), "")
    values: list[float] = []
    right_values: list[float] = []
    for index, series in enumerate(data.series):
        finite = series.finite()
        (right_values if on_right[index] else values).extend(value for _, value in finite)
        if not series.points:
            continue
        times = [at for at, _ in series.points]
        ys = [value if math.isfinite(value) else float("nan") for _, value in series.points]
        colour = palette.lines[index % len(palette.lines)]
        if on_right[index]:
            target, label = right, f"{series.label} ({right_unit}, right)" if right_unit else f"{series.label} (right)"
        else:
            target, label = axes, series.label
        target.plot(times, ys, color=colour, linewidth=2, label=label, marker="o" if len(finite) < 3 else None,
                    markersize=4, zorder=3)  # fmt: skip
    breaching = data.breaching_points()
    if breaching:
        axes.scatter([at for at, _ in breaching], [value for _, value in breaching], s=36, color=palette.breach,
                     edgecolors=palette.background, linewidths=1, zorder=4, label="breaching")  # fmt: skip
    if data.threshold is not None and math.isfinite(data.threshold):
        values.append(data.threshold)
        sign = COMPARISONS.get(data.comparison or "", "")
        axes.axhline(data.threshold, color=palette.threshold, linewidth=1.5, linestyle="--", zorder=2,
                     label=f"threshold {sign}{number(data.threshold)}")  # fmt: skip
    for reference in data.references:
        if math.isfinite(reference.value):
            values.append(reference.value)
            axes.axhline(reference.value, color=palette.text, linewidth=1.2, linestyle="-.", zorder=2,
                         label=f"{reference.label} {number(reference.value)}")  # fmt: skip
    _y_range(axes, values)
    if any(on_right):
        _y_range(right, right_values)
        right.set_ylabel(right_unit, color=palette.text, fontsize=10)
    axes.set_ylabel(data.series[0].unit if data.series else "", color=palette.text, fontsize=10, labelpad=2)
    if not values and not right_values:
        axes.text(0.5, 0.5, "no data in this window", transform=axes.transAxes, ha="center", va="center",
                  color=palette.text, fontsize=13)  # fmt: skip
    handles, labels = axes.get_legend_handles_labels()
    if any(on_right):
        more_handles, more_labels = right.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    handles, labels = handles + [h for h, _ in shaded], labels + [label for _, label in shaded]
    if not handles:
        return 0
    columns = LEGEND_COLUMNS if not any(on_right) else LEGEND_COLUMNS - 1
    while True:
        legend = axes.legend(handles, labels, loc="lower left", fontsize=10, frameon=False, ncols=columns,
                             bbox_to_anchor=(0, 1.01), borderaxespad=0)  # fmt: skip
        # Long labels (a metric's name, a coarser period) fit in fewer columns. Measuring lays the texts out, which
        # the draw then reuses.
        if columns == 1 or legend.get_window_extent(axes.figure.canvas.get_renderer()).width <= room:
            break
        legend.remove()
        columns -= 1
    for text in legend.get_texts():
        text.set_color(palette.text)
    return math.ceil(len(handles) / columns)


def _on_right(data: ChartData) -> list[bool]:
    """Which series the right-hand axis shows: those marked `right`; else the second of exactly two units (counts and
    ms, say); with one unit, or more than two, every series shares the left axis."""
    if any(series.right for series in data.series):
        return [series.right for series in data.series]
    units = list(dict.fromkeys(series.unit for series in data.series))
    return [len(units) == 2 and series.unit == units[1] for series in data.series]


def _time_format(axes: Any, data: ChartData) -> None:
    """Times of day on the time axis, or dates over a window of days (where every tick would read 00:00)."""
    from matplotlib.dates import DateFormatter

    pattern = "%d %b" if data.end - data.start > DAYS_SHOWN else "%H:%M"
    if axes.xaxis.get_major_formatter().fmt != pattern:
        axes.xaxis.set_major_formatter(DateFormatter(pattern, tz="UTC"))


def _shade(axes: Any, spans: tuple[Span, ...], palette: Palette) -> list[tuple[Any, str]]:
    """The spans shaded behind the lines, one collection a state (a flapping alarm's hundreds of spans stay one
    artist); their legend entries."""
    from matplotlib.dates import date2num

    styles = {
        ALARM: {"facecolor": palette.alarm_span, "alpha": 0.6},
        FIRING: {"facecolor": palette.alarm_span, "alpha": 0.6},
        INSUFFICIENT_DATA: {"facecolor": "none", "edgecolor": palette.no_data, "hatch": "//", "alpha": 0.5},
    }
    entries = []
    for state, style in styles.items():
        ranges = [(date2num(s.start), date2num(s.end) - date2num(s.start)) for s in spans if s.state == state]
        if ranges:
            bars = axes.broken_barh(ranges, (0, 1), transform=axes.get_xaxis_transform(), linewidth=0, zorder=0,
                                    **style)  # fmt: skip
            entries.append((bars, LEGEND_NAMES[state]))
    return entries


def _y_range(axes: Any, values: list[float]) -> None:
    """Zero-based for counts, with room above the highest value; a flat or empty series still gets a span."""
    if not values:
        axes.set_ylim(0, 1)
        return
    low, high = min(min(values), 0.0), max(values)
    if high <= low:
        high = low + 1
    pad = (high - low) * 0.1
    if math.isfinite(high + pad) and math.isfinite(low - pad):
        axes.set_ylim(low if low >= 0 else low - pad, high + pad)
