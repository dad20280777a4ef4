"""The digest's trend and `/errors`' small multiples: PNGs Slack can show within budget, whatever the data; alt text
that says every number; payloads that survive the outbox's JSON."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from bench.chart_figures import error_groups, incident_trend
from bot.charts.figures import draw_figure, figure_payload
from bot.charts.render import WIDTH_PX, Theme
from bot.charts.small_multiples import ErrorGroupsChart, GroupCounts, groups_alt_text, height_px, layout, render_groups
from bot.charts.trend import HEIGHT_PX, DayCount, IncidentTrend, WeekTimes, render_trend, trend_alt_text
from tests.charts.test_render import decoded, png_size

END = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
BUDGET = 100 * 1024


def trend(days: list[tuple[int, int]], weeks: list[tuple[float | None, float | None]]) -> IncidentTrend:
    first = END.date() - timedelta(days=len(days) - 1)
    return IncidentTrend(
        "Incidents, last weeks",
        END,
        tuple(DayCount(first + timedelta(days=n), o, r) for n, (o, r) in enumerate(days)),
        tuple(
            WeekTimes(date(2026, 10, 2) + timedelta(weeks=n), a, r, int(a is not None), int(r is not None))
            for n, (a, r) in enumerate(weeks)
        ),
    )


def groups(*counts: list[int], title: str = "KeyError: 'id'") -> ErrorGroupsChart:
    return ErrorGroupsChart(
        "Errors in /aws/lambda/orders-api, last 1h", END - timedelta(hours=1), END,
        tuple(GroupCounts(f"{title} #{n}", sum(c), tuple(c)) for n, c in enumerate(counts)),
    )  # fmt: skip


@pytest.mark.parametrize("theme", list(Theme))
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(trend([], []), id="nothing"),
        pytest.param(trend([(0, 0)] * 28, [(None, None)] * 8), id="a quiet month"),
        pytest.param(trend([(3, 2)], [(60.0, 120.0)]), id="one day, one week"),
        pytest.param(trend([(900, 850)] * 28, [(86400.0 * 9, 86400.0 * 30)] * 8), id="huge numbers"),
        pytest.param(incident_trend(random.Random(1)), id="a month with a bad week"),
    ],
)
def test_the_trend_renders_a_valid_png_within_budget(data: IncidentTrend, theme: Theme) -> None:
    png = render_trend(data, theme)

    assert decoded(png).size == png_size(png) == (WIDTH_PX, HEIGHT_PX)
    assert len(png) <= BUDGET


def test_the_trend_alt_text_states_the_counts_of_each_busy_day_and_each_weeks_medians() -> None:
    text = trend_alt_text(trend([(0, 0), (2, 1), (0, 0), (1, 3)], [(None, 3600.0), (420.0, 5400.0)]))

    assert "4 days to 27 Nov 09:00 UTC" in text
    assert "Incidents opened 3, resolved 4." in text
    assert "Per day: 25 Nov 2 opened 1 resolved; 27 Nov 1 opened 3 resolved." in text
    assert "MTTA median by week: week of 09 Oct 7m (1 answered)." in text
    assert "MTTR median by week: week of 02 Oct 1h (1 resolved); week of 09 Oct 1h 30m (1 resolved)." in text


@pytest.mark.parametrize("theme", list(Theme))
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(groups(), id="no groups"),
        pytest.param(groups([0] * 30), id="a group of no counts"),
        pytest.param(groups([5]), id="one slice"),
        pytest.param(groups([1] * 30, [0] * 29 + [9000]), id="two groups"),
        pytest.param(groups(*[[n] * 30 for n in range(5)]), id="five groups"),
        pytest.param(error_groups(random.Random(1)), id="six groups of different shapes"),
        pytest.param(
            groups([3, 1, 4], title="cost $5 at 10$ and ^{x}_y \\frac{1}{2} " + "long " * 60),
            id="a title mathtext would choke on",
        ),
    ],
)
def test_the_small_multiples_render_a_valid_png_within_budget(data: ErrorGroupsChart, theme: Theme) -> None:
    png = render_groups(data, theme)

    assert decoded(png).size == png_size(png) == (WIDTH_PX, height_px(len(data.groups)))
    assert len(png) <= BUDGET


def test_panels_go_two_a_row() -> None:
    assert [layout(n) for n in range(7)] == [(1, 1), (1, 1), (1, 2), (2, 2), (2, 2), (3, 2), (3, 2)]


def test_the_small_multiples_alt_text_states_each_groups_total_and_peak() -> None:
    data = groups([0, 2, 0, 0, 0, 0], [1, 1, 1, 1, 1, 7])

    text = groups_alt_text(data)

    assert "08:00–09:00 UTC" in text
    assert "1. KeyError: 'id' #0: 2 errors, peak 2 at 08:10, errors in 1 of 6 slices." in text
    assert "2. KeyError: 'id' #1: 12 errors, peak 7 at 08:50, errors in 6 of 6 slices." in text


@pytest.mark.parametrize("chart", [incident_trend(random.Random(2)), error_groups(random.Random(2))])
def test_a_figure_drawn_from_its_stored_json_is_the_same_picture(chart: IncidentTrend | ErrorGroupsChart) -> None:
    stored = json.loads(json.dumps(figure_payload(chart)))

    image = draw_figure(stored, Theme.DARK)

    again = render_trend(chart, Theme.DARK) if isinstance(chart, IncidentTrend) else render_groups(chart, Theme.DARK)
    assert image.png == again
    assert image.filename.endswith(".png") and image.title == chart.title
    assert image.alt_text.startswith(f"Chart of {chart.title}")
