"""Charts of two units (counts and seconds) get a second axis; a reference level (a timeout) is drawn and said."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.charts.model import Reference, Series, alt_text
from bot.charts.render import HEIGHT_PX, PALETTES, WIDTH_PX, Theme, render_png
from tests.charts.test_render import T0, chart, decoded, minutes

WAITING = Series("messages waiting", minutes([0.0, 3.0, 5.0]))
OLDEST = Series("oldest", minutes([30, 90, 7200]), "s")


def queue_chart(*series: Series):  # type: ignore[no-untyped-def]
    return chart([], series=series or (WAITING, OLDEST))


def highest_row_of(png: bytes, colour: str, below: int) -> int:
    """The topmost pixel row under `below` (the legend) drawn in `colour`: how high a line reaches."""
    image = decoded(png).convert("RGB")
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    width, height = image.size
    return next(y for y in range(below, height) if any(image.getpixel((x, y)) == wanted for x in range(width)))


@pytest.mark.parametrize("theme", list(Theme))
def test_a_chart_of_two_units_renders_a_valid_png_within_budget(theme: Theme) -> None:
    png = render_png(queue_chart(), theme)

    image = decoded(png)
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    assert len(png) <= 100 * 1024


def test_the_second_unit_gets_an_axis_of_its_own_so_its_big_values_do_not_flatten_the_first() -> None:
    first_line = PALETTES[Theme.LIGHT].lines[0]
    plot_top = 100  # below the legend, which has a sample of each line
    shared = highest_row_of(render_png(queue_chart(WAITING, replace(OLDEST, unit=""))), first_line, plot_top)
    own_axis = highest_row_of(render_png(queue_chart()), first_line, plot_top)
    assert shared > HEIGHT_PX * 0.75  # 5 messages against 7,200 seconds: flat along the bottom
    assert own_axis < HEIGHT_PX * 0.4  # its peak near the top of the plot


def test_alt_text_gives_each_series_its_unit_and_names_the_reference_level() -> None:
    data = chart(
        [800.0, 2950.0, 1200.0],
        series=(Series("Duration (Maximum)", minutes([800.0, 2950.0, 1200.0]), "ms"),),
        threshold=2700.0,
        references=(Reference("timeout", 3000.0),),
        end=T0 + timedelta(minutes=3),
    )

    text = alt_text(data)

    assert "Duration (Maximum): latest 1.2k ms at 12:02, max 2.95k ms at 12:01, min 800 ms, 3 points." in text
    assert "Threshold ≥2.7k ms: 1 points breach it." in text
    assert "Timeout 3k ms." in text
    assert "oldest: latest 7.2k s" in alt_text(queue_chart())
