"""Charts are drawn on figures kept for their kind and theme: each chart must come out as it would on a new figure,
whatever that figure drew before (even a chart that failed halfway), and charts drawn at once in two threads as
each would alone."""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bench.chart_figures import error_groups, incident_trend
from bench.check_charts import check_chart_types
from bot.charts.canvas import discard_kept_figures
from bot.charts.model import ChartData, Series
from bot.charts.render import Theme, render_png
from bot.charts.small_multiples import render_groups
from bot.charts.trend import render_trend
from tests.charts.test_render import decoded

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
Drawing = Callable[[], bytes]


def on_new_figures(*drawings: Drawing) -> list[bytes]:
    """The PNGs of `drawings`, drawn in order starting from no kept figure; a drawing that raises TypeError (a
    broken chart, on purpose) adds none."""
    discard_kept_figures()
    pngs: list[bytes] = []
    for draw in drawings:
        with contextlib.suppress(TypeError):
            pngs.append(draw())
    return pngs


def metric(name: str, theme: Theme = Theme.LIGHT) -> Drawing:
    data = check_chart_types(T0, random.Random(19))[name]
    return lambda: render_png(data, theme)


NO_DATA = ChartData("queue depth", (Series("ApproximateNumberOfMessagesVisible", ()),), T0, T0 + timedelta(hours=1))


@pytest.mark.parametrize(
    ("before", "chart"),
    [
        pytest.param(["chart_command_3h", "lambda_duration"], "metric_threshold", id="after two axes and a reference"),
        pytest.param(["alarm_metric_math", "sqs_dead_letters"], "lambda_errors", id="after an ALARM span, two axes"),
        pytest.param(["metric_threshold"], "chart_command_1d", id="a second axis after one"),
    ],
)
def test_a_metric_chart_drawn_after_others_is_the_picture_it_is_on_its_own(before: list[str], chart: str) -> None:
    [alone] = on_new_figures(metric(chart))
    *_, after = on_new_figures(*(metric(name) for name in before), metric(chart))

    assert after == alone


def test_a_chart_without_data_after_a_busy_one_shows_no_leftovers() -> None:
    [alone] = on_new_figures(lambda: render_png(NO_DATA))
    *_, after = on_new_figures(metric("chart_command_3h"), lambda: render_png(NO_DATA))

    assert after == alone


def test_the_digest_and_errors_charts_drawn_after_others_are_the_pictures_they_are_on_their_own() -> None:
    rng = random.Random(19)
    trend, groups = incident_trend(rng), error_groups(rng)
    fewer = error_groups(random.Random(7), panels=3)
    draw_trend, draw_groups = (lambda: render_trend(trend)), (lambda: render_groups(groups))
    [trend_alone, groups_alone] = on_new_figures(draw_trend, draw_groups)

    *_, trend_after, groups_after = on_new_figures(
        lambda: render_trend(incident_trend(random.Random(3), days=14)), lambda: render_groups(fewer),
        draw_trend, draw_groups,
    )  # fmt: skip

    assert trend_after == trend_alone
    assert groups_after == groups_alone
    assert decoded(groups_after).size != decoded(on_new_figures(lambda: render_groups(fewer))[0]).size


def test_a_chart_that_fails_halfway_leaves_nothing_on_the_next_one() -> None:
    drawn = Series("Invocations", tuple((T0 + timedelta(minutes=m), float(m)) for m in range(60)))
    not_a_number = Series("Errors", ((T0, "3"),))  # type: ignore[arg-type]
    broken = ChartData("broken", (drawn, not_a_number), T0, T0 + timedelta(hours=1))  # fails after drawing a line
    with pytest.raises(TypeError):
        render_png(broken)
    [alone] = on_new_figures(metric("lambda_errors"))

    *_, after = on_new_figures(metric("alarm_metric_math"), lambda: render_png(broken), metric("lambda_errors"))

    assert after == alone


def test_the_two_themes_keep_figures_of_their_own() -> None:
    light, dark, light_again = on_new_figures(
        metric("lambda_errors"), metric("lambda_errors", Theme.DARK), metric("lambda_errors")
    )

    assert light_again == light
    assert decoded(dark).convert("RGB").getpixel((2, 2)) != decoded(light).convert("RGB").getpixel((2, 2))


def test_charts_drawn_at_once_in_two_threads_are_each_the_picture_drawn_alone() -> None:
    names = ["lambda_errors", "chart_command_3h", "metric_threshold", "sqs_dead_letters"]
    alone = dict(zip(names, on_new_figures(*(metric(name) for name in names)), strict=True))
    start = threading.Barrier(2)
    drawn: dict[str, list[bytes]] = {name: [] for name in names}

    def draw(mine: list[str]) -> None:
        start.wait()
        for _ in range(3):
            for name in mine:
                drawn[name].append(metric(name)())

    threads = [threading.Thread(target=draw, args=(names[:2],)), threading.Thread(target=draw, args=(names[2:],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {name: set(pngs) for name, pngs in drawn.items()} == {name: {alone[name]} for name in names}
