"""Charts render to a PNG Slack can show, within budget, whatever the metric holds; alt text says the numbers."""

from __future__ import annotations

import io
import math
import struct
from datetime import UTC, datetime, timedelta

import pytest

from bot.charts.model import ChartData, Series, Span, alt_text
from bot.charts.render import HEIGHT_PX, WIDTH_PX, Theme, render_png

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def minutes(values: list[float]) -> tuple[tuple[datetime, float], ...]:
    return tuple((T0 + timedelta(minutes=i), value) for i, value in enumerate(values))


def chart(values: list[float], **overrides: object) -> ChartData:
    fields: dict[str, object] = {
        "title": "Errors (Sum) orders-api",
        "series": (Series("Errors", minutes(values)),),
        "start": T0,
        "end": T0 + timedelta(minutes=30),
        "threshold": 1.0,
        "comparison": "GreaterThanOrEqualToThreshold",
    }
    return ChartData(**(fields | overrides))  # type: ignore[arg-type]


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def decoded(png: bytes):  # type: ignore[no-untyped-def]
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every byte: a truncated or corrupt PNG raises
    return image


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([], id="no points"),
        pytest.param([4.0], id="one point"),
        pytest.param([0.0, math.nan, 3.0, math.nan, math.inf, 2.0], id="NaNs and inf"),
        pytest.param([1e15, 3e15, 2e300, 0.0], id="huge values"),
        pytest.param([-5.0, -1e9, 7.0], id="negative values"),
        pytest.param([2.0] * 30, id="flat"),
    ],
)
@pytest.mark.parametrize("theme", list(Theme))
def test_edge_data_renders_a_valid_png_within_the_size_budget(values: list[float], theme: Theme) -> None:
    png = render_png(chart(values), theme)

    image = decoded(png)
    assert image.format == "PNG"
    assert image.size == png_size(png) == (WIDTH_PX, HEIGHT_PX)
    assert len(png) <= 100 * 1024


def test_the_two_themes_draw_on_different_backgrounds() -> None:
    light, dark = (decoded(render_png(chart([1.0, 2.0]), theme)).convert("RGB") for theme in Theme)
    assert sum(light.getpixel((2, 2))) > 600  # near white
    assert sum(dark.getpixel((2, 2))) < 150  # near Slack's dark background


def test_alt_text_states_the_latest_peak_threshold_and_breaches() -> None:
    data = chart(
        [0.0, 2.0, 5.0, 1.0, 0.0],
        spans=(Span(T0 + timedelta(minutes=1), T0 + timedelta(minutes=4), "ALARM"),),
        complete_until=T0 + timedelta(minutes=27),
    )

    text = alt_text(data)

    assert "12:00–12:30 UTC" in text
    assert "latest 0 at 12:04" in text
    assert "max 5 at 12:02" in text
    assert "Threshold ≥1: 3 points breach it" in text
    assert "In ALARM 12:01–12:04 UTC" in text
    assert "Data complete up to 12:27 UTC" in text


def test_alt_text_of_a_chart_without_data_says_so() -> None:
    text = alt_text(chart([math.nan]))
    assert "Errors: no data." in text
    assert "0 points breach" in text


def test_alt_text_of_huge_values_stays_short_and_readable() -> None:
    text = alt_text(chart([2e12, 3.5e6, 1200.0]))
    assert "max 2e+12" in text
    assert "latest 1.2k" in text
    assert len(text) <= 2000
