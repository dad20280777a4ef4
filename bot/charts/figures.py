"""Figures: charts drawn from data an outbox item carries (a digest's trend, `/errors`' groups), not from AWS.

The producer stores `figure_payload(chart)` with its message; the drainer calls `draw_figure` when it sends it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bot.charts.model import ChartImage
from bot.charts.render import Theme
from bot.charts.small_multiples import ErrorGroupsChart, groups_image
from bot.charts.trend import IncidentTrend, trend_image


class FigureKind(StrEnum):
    INCIDENT_TREND = "incident_trend"
    ERROR_GROUPS = "error_groups"


def figure_payload(chart: IncidentTrend | ErrorGroupsChart) -> dict[str, Any]:
    kind = FigureKind.INCIDENT_TREND if isinstance(chart, IncidentTrend) else FigureKind.ERROR_GROUPS
    return {"kind": kind.value, **chart.to_payload()}


def draw_figure(payload: dict[str, Any], theme: Theme = Theme.LIGHT) -> ChartImage:
    """The picture of a stored figure. Blocking: run it in a worker thread. ValueError for an unknown kind."""
    kind = FigureKind(str(payload.get("kind")))
    if kind is FigureKind.INCIDENT_TREND:
        return trend_image(IncidentTrend.from_payload(payload), theme)
    return groups_image(ErrorGroupsChart.from_payload(payload), theme)
