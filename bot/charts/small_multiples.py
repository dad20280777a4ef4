"""`/errors`' chart: the top error groups' counts over the window, one small panel per group.

Small multiples rather than one chart of many lines: each group gets its own panel in the same place, so a reader
compares shapes (a burst, a steady drip, a start ten minutes ago) at a glance. Each panel has its own scale, with
its peak written on it, so that a group of 3 errors is not flattened by one of 3,000.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.charts.canvas import pixel_axes, png
from bot.charts.model import ALT_TEXT_LIMIT, ChartImage, number
from bot.charts.render import DPI, PALETTES, WIDTH_PX, Palette, Theme

MAX_PANELS = 6
TITLE_CHARS = {1: 95, 2: 46}
"""How much of a panel's title fits above it, by panels a row (11 pt at 800 px)."""
HEAD_PX, ROW_PX, FOOT_PX = 64, 134, 6
"""The chart's title and note; one row of panels (title, bars, times); the margin below."""
LEFT_PX, RIGHT_PX, GAP_PX = 48, 16, 40
TITLE_PX, BARS_PX = 24, 80


@dataclass(frozen=True)
class GroupCounts:
    title: str
    total: int
    counts: tuple[int, ...]
    """Errors per equal slice of the window, oldest first."""


@dataclass(frozen=True)
class ErrorGroupsChart:
    title: str
    start: datetime
    end: datetime
    groups: tuple[GroupCounts, ...]
    """The most frequent groups first, at most MAX_PANELS."""
    others: int = 0
    """Groups of the window the chart leaves out."""

    def to_payload(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "groups": [[g.title, g.total, list(g.counts)] for g in self.groups],
            "others": self.others,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ErrorGroupsChart:
        return cls(
            title=str(payload["title"]),
            start=datetime.fromisoformat(payload["start"]),
            end=datetime.fromisoformat(payload["end"]),
            groups=tuple(GroupCounts(str(t), int(n), tuple(int(c) for c in cs)) for t, n, cs in payload["groups"]),
            others=int(payload.get("others", 0)),
        )

    def slice_of(self, group: GroupCounts) -> timedelta:
        return (self.end - self.start) / max(len(group.counts), 1)


def shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def groups_alt_text(chart: ErrorGroupsChart) -> str:
    """Every panel in numbers: its total, its peak and when, and how many slices had errors."""
    parts = [f"Chart of {chart.title}, {chart.start:%H:%M}–{chart.end:%H:%M} UTC, one panel per group."]
    for rank, group in enumerate(chart.groups, 1):
        line = f"{rank}. {shorten(group.title, 120)}: {group.total} errors"
        if group.counts and max(group.counts) > 0:
            peak = max(group.counts)
            at = chart.start + chart.slice_of(group) * group.counts.index(peak)
            busy = sum(1 for c in group.counts if c)
            line += f", peak {peak} at {at:%H:%M}, errors in {busy} of {len(group.counts)} slices"
        parts.append(line + ".")
    if chart.others:
        parts.append(f"{chart.others} more groups not drawn.")
    if not chart.groups:
        parts.append("No errors.")
    text = " ".join(parts)
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"


def groups_image(chart: ErrorGroupsChart, theme: Theme = Theme.LIGHT) -> ChartImage:
    """The chart, its alt text and a file name. Blocking (tens of ms): call it in a worker thread."""
    return ChartImage(render_groups(chart, theme), groups_alt_text(chart), chart.title,
                      f"errors-{chart.end:%Y%m%dT%H%M}.png")  # fmt: skip


def layout(panels: int) -> tuple[int, int]:
    """(rows, columns): two panels a row, wide enough for a readable title and a shape at Slack's preview size."""
    columns = 1 if panels <= 1 else 2
    return max(1, math.ceil(panels / columns)), columns


def height_px(panels: int) -> int:
    return HEAD_PX + ROW_PX * layout(panels)[0] + FOOT_PX


def render_groups(chart: ErrorGroupsChart, theme: Theme = Theme.LIGHT) -> bytes:
    """All panels in one frameless Axes whose units are pixels: matplotlib's cost per Axes (ticks, spines, their
    text) six times over would not fit the 150 ms budget, and a panel needs none of it but a baseline and two
    numbers."""
    palette = PALETTES[theme]
    groups = chart.groups[:MAX_PANELS]
    height = height_px(len(groups))
    with pixel_axes("groups", palette.background, WIDTH_PX, height, DPI) as axes:
        axes.text(LEFT_PX, height - 10, shorten(chart.title, 90), ha="left", va="top", color=palette.text,
                  fontsize=14, fontweight="bold", parse_math=False)  # fmt: skip
        if groups:
            more = f"; {chart.others} more groups not drawn" if chart.others else ""
            note = f"errors per {_span(chart.slice_of(groups[0]))} (UTC), each panel on its own scale{more}"
        else:
            note = "no errors in this window"
        axes.text(LEFT_PX, height - 36, note, ha="left", va="top", color=palette.text, fontsize=10)
        _panels(axes, chart, groups, palette, height)
        return png(axes.get_figure())


def _span(step: timedelta) -> str:
    seconds = round(step.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def _panels(axes: Any, chart: ErrorGroupsChart, groups: tuple[GroupCounts, ...], palette: Palette, height: int) -> None:
    """Each group: its title, its bars scaled to its peak over a baseline and a line at the peak, the peak's value;
    the start, middle and end times under the last panel of each column."""
    from matplotlib.collections import LineCollection, PolyCollection

    _rows, columns = layout(len(groups))
    width = (WIDTH_PX - LEFT_PX - RIGHT_PX - GAP_PX * (columns - 1)) / columns
    shapes: list[list[tuple[float, float]]] = []
    lines: list[list[tuple[float, float]]] = []
    for index, group in enumerate(groups):
        row, column = divmod(index, columns)
        x0 = LEFT_PX + column * (width + GAP_PX)
        top = height - HEAD_PX - row * ROW_PX
        y0 = top - TITLE_PX - BARS_PX
        prefix = f"{index + 1}. {group.total}× "
        axes.text(x0, top - 4, prefix + shorten(group.title, TITLE_CHARS[columns] - len(prefix)), ha="left",
                  va="top", color=palette.text, fontsize=11, parse_math=False)  # fmt: skip
        peak = max(group.counts, default=0)
        scale = (BARS_PX - 6) / peak if peak else 0.0
        step = width / max(len(group.counts), 1)
        shapes += [
            [(x, y0), (x, y0 + count * scale), (x + step * 0.8, y0 + count * scale), (x + step * 0.8, y0)]
            for x, count in ((x0 + step * i, count) for i, count in enumerate(group.counts))
            if count
        ]
        lines.append([(x0, y0), (x0 + width, y0)])
        axes.text(x0 - 6, y0, "0", ha="right", va="center", color=palette.text, fontsize=10)
        if peak:
            lines.append([(x0, y0 + peak * scale), (x0 + width, y0 + peak * scale)])
            axes.text(x0 - 6, y0 + peak * scale, number(peak), ha="right", va="center", color=palette.text,
                      fontsize=10)  # fmt: skip
        if index + columns >= len(groups):
            for fraction, align in ((0.0, "left"), (0.5, "center"), (1.0, "right")):
                at = chart.start + (chart.end - chart.start) * fraction
                axes.text(x0 + width * fraction, y0 - 5, f"{at:%H:%M}", ha=align, va="top", color=palette.text,
                          fontsize=10)  # fmt: skip
    axes.add_collection(LineCollection(lines, colors=palette.grid, linewidths=1, zorder=2))
    axes.add_collection(PolyCollection(shapes, facecolors=palette.lines[0], edgecolors="none", zorder=3))
