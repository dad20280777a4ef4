"""Figures reused across renders, one per chart kind and theme in each thread, and their PNG encoding.

A new matplotlib Figure costs more than the drawing on it: each Axes builds its spines, its ticks (a Line2D with
a deep-copied marker and a Text per tick) and its transforms, and a fresh canvas has a fresh renderer, so none of
the text it measured last time is cached. A reused figure keeps all of that; between charts it loses only what a
chart added (its lines, collections, patches, texts and legend), so each chart starts from the same blank sheet.
matplotlib is not thread-safe (its docs: "Matplotlib is not thread-safe"), hence one sheet per thread: the worker
threads that draw charts are few and long-lived (the AWS executor's and asyncio's default executor's).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

PNG_COMPRESS_LEVEL = 3
"""zlib level 3 instead of Pillow's default 6: ~40 % less encoding time for ~4 % more bytes (the busiest chart,
five noisy lines, stays under 90 KB)."""

_sheets = threading.local()


@contextmanager
def sheet(key: Hashable, build: Callable[[], Any]) -> Iterator[Any]:
    """This thread's figure for `key` (built by `build` the first time), blank on entry.

    The figure is taken out of the cache while in use and goes back cleared only when the drawing succeeded: after an
    error its state is unknown, so the next chart gets a new one."""
    figures: dict[Hashable, Any] = _sheets.__dict__.setdefault("figures", {})
    figure = figures.pop(key, None)
    if figure is None:
        figure = build()
    yield figure
    clear(figure)
    figures[key] = figure


@contextmanager
def pixel_axes(kind: str, background: str, width: int, height: int, dpi: int) -> Iterator[Any]:
    """A blank frameless Axes whose units are pixels from the bottom left, filling this thread's figure for `kind`
    (one per background colour), sized `width` × `height` pixels."""
    with sheet((kind, background), lambda: _frameless(background, dpi)) as figure:
        if tuple(figure.canvas.get_width_height()) != (width, height):
            figure.set_size_inches(width / dpi, height / dpi)
        axes = figure.axes[0]
        axes.set_xlim(0, width)
        axes.set_ylim(0, height)
        yield axes


def _frameless(background: str, dpi: int) -> Any:
    figure = new_figure(background, dpi=dpi)
    figure.add_axes((0, 0, 1, 1)).set_axis_off()
    return figure


def new_figure(background: str, *, dpi: int, size_px: tuple[int, int] | None = None) -> Any:
    """A Figure on an Agg canvas: the only way the charts make one, so that matplotlib is set up first."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _set_up_matplotlib()
    size = None if size_px is None else (size_px[0] / dpi, size_px[1] / dpi)
    figure = Figure(figsize=size, dpi=dpi, facecolor=background)
    FigureCanvasAgg(figure)
    return figure


def _set_up_matplotlib() -> None:
    """Draws glyphs unhinted. FreeType's hinter (matplotlib's default, `text.hinting: default`) snaps each glyph's
    outline to the pixel grid at full size, and is a fifth of a chart's render time; Slack shows the chart scaled
    to ~45 % in its preview, where the snapping is lost anyway, and at full size unhinted text is as legible. An
    rcParam because Agg reads it globally at draw time (`backend_agg.get_hinting_flag`); the bot is the process's
    only matplotlib user."""
    import matplotlib

    matplotlib.rcParams["text.hinting"] = "no_hinting"


def clear(figure: Any) -> None:
    """Removes what a chart drew, keeping the Axes, their styling, ticks, locators and formatters."""
    for axes in figure.axes:
        for artist in (*axes.lines, *axes.collections, *axes.patches, *axes.texts):
            artist.remove()
        if axes.legend_ is not None:
            axes.legend_.remove()
    for text in figure.texts:
        text.remove()


def png(figure: Any) -> bytes:
    """The figure as an opaque RGB PNG: the charts have no transparency, so the alpha channel would be a quarter of
    the pixels to compress for nothing."""
    from PIL import Image

    canvas = figure.canvas
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()
