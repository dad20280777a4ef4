"""Charts render to a PNG Slack can show, within budget, whatever the metric holds; alt text says the numbers."""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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


@dataclass
class Drawn:
    legend: list[str]
    legend_right_edge: float


def drawn(data: ChartData, monkeypatch: pytest.MonkeyPatch) -> Drawn:
    """What the render drew in its legend, read from its figure before the figure is cleared for the next chart."""
    from bot.charts import canvas

    seen: list[Drawn] = []
    clear = canvas.clear

    def read_then_clear(figure: Any) -> None:
        legend = figure.axes[0].get_legend()
        right_edge = legend.get_window_extent(figure.canvas.get_renderer()).x1
        seen.append(Drawn([text.get_text() for text in legend.get_texts()], right_edge))
        clear(figure)

    monkeypatch.setattr(canvas, "clear", read_then_clear)
    render_png(data)
    return seen[0]


def test_a_flapping_alarms_states_are_shaded_and_named_in_the_legend_and_the_alt_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spells = tuple(
        Span(T0 + timedelta(days=day, hours=hour), T0 + timedelta(days=day, hours=hour + 1), state)
        for day in range(10) for hour, state in ((2, "ALARM"), (5, "INSUFFICIENT_DATA"), (9, "ALARM"))
    )  # fmt: skip
    hourly = tuple((T0 + timedelta(hours=h), float(h % 7)) for h in range(240))
    data = chart([], series=(Series("Latency (Maximum), 1h periods", hourly),), end=T0 + timedelta(days=10),
                 spans=spells)  # fmt: skip

    png = render_png(data)
    text = alt_text(data)

    assert len(png) <= 100 * 1024 and decoded(png).size == (WIDTH_PX, HEIGHT_PX)
    assert drawn(data, monkeypatch).legend[-2:] == ["in ALARM", "no data"]
    assert "01 May 12:00–11 May 12:00 UTC" in text  # dates over a window of days
    in_alarm = text.split("In ALARM ")[1].split(" UTC.")[0]
    assert in_alarm.startswith("20 times, the latest ") and in_alarm.endswith(", 10 May 21:00–10 May 22:00")
    assert in_alarm.count("–") == 8
    assert "No data (INSUFFICIENT_DATA) 10 times, the latest" in text
    assert len(text) <= 2000


def test_a_check_incidents_firing_time_is_shaded_and_a_second_count_gets_the_right_axis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = chart([0.0, 2.0, 5.0], series=(Series("Errors (Sum)", minutes([0.0, 2.0, 5.0])),
                                          Series("Invocations (Sum)", minutes([900.0, 1000.0, 1200.0]), right=True)),
                 spans=(Span(T0 + timedelta(minutes=1), T0 + timedelta(minutes=30), "FIRING"),))  # fmt: skip

    legend = ["Errors (Sum)", "breaching", "threshold ≥1", "Invocations (Sum) (right)", "firing"]
    assert drawn(data, monkeypatch).legend == legend
    assert "Firing 12:01–12:30 UTC." in alt_text(data)


def test_a_legend_of_long_labels_takes_fewer_columns_and_stays_inside_the_chart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    long_name = "TargetResponseTime (Maximum), 1h periods of checkout-api"
    data = chart([3.0, 1.0], series=(Series(long_name, minutes([3.0, 1.0])),),
                 spans=(Span(T0, T0 + timedelta(minutes=5), "ALARM"), Span(T0 + timedelta(minutes=5),
                        T0 + timedelta(minutes=9), "INSUFFICIENT_DATA")))  # fmt: skip
    assert drawn(data, monkeypatch).legend_right_edge <= WIDTH_PX
