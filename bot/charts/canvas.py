"""Figures kept and reused across renders, a few per chart kind and theme, and their PNG encoding.

A new matplotlib Figure costs more than the drawing on it: each Axes builds its spines, its ticks (a Line2D with
a deep-copied marker and a Text per tick) and its transforms, and a fresh canvas has a fresh renderer, so none of
the text it measured last time is cached. A kept figure has all of that; between charts it loses only what a chart
added (its lines, collections, patches, texts and legend), so each chart starts from the same blank sheet.

matplotlib is not thread-safe (its docs: "Matplotlib is not thread-safe"), so a figure is lent to one thread at a
time; charts drawn at once in two threads get two figures. At most KEPT of each kind and theme are kept (a metric
chart's figure holds ~4 MB): the AWS executor's threads that draw charts are up to 16, and keeping one in each would
hold memory for no speed (the outbox drains one chart at a time).
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
KEPT = 2
"""Blank figures kept per chart kind and theme."""

_kept: dict[Hashable, list[Any]] = {}
_kept_lock = threading.Lock()


@contextmanager
def sheet(key: Hashable, build: Callable[[], Any]) -> Iterator[Any]:
    """A blank figure for `key`: a kept one if one is free, else a new one from `build`; the caller's alone until
    the block ends.

    It is kept again, cleared, only when the drawing succeeded: after an error its state is unknown, so it is
    dropped and a later chart gets a new one."""
    with _kept_lock:
        free = _kept.get(key)
        figure = free.pop() if free else None
    if figure is None:
        figure = build()
    yield figure
    clear(figure)
    with _kept_lock:
        free = _kept.setdefault(key, [])
        if len(free) < KEPT:
            free.append(figure)


def discard_kept_figures() -> None:
    """Lets go of every kept figure (their memory goes with the next garbage collection); later charts build new
    ones."""
    with _kept_lock:
        _kept.clear()


@contextmanager
def pixel_axes(kind: str, background: str, width: int, height: int, dpi: int) -> Iterator[Any]:
    """A blank frameless Axes whose units are pixels from the bottom left, filling a kept figure for `kind` and
    `background`, sized `width` × `height` pixels."""
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
    outline to the pixel grid at full size, and costs 12–25 % of a chart's render time; Slack shows the chart scaled
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
