"""Chart rendering: time and PNG size per chart type and theme (budget: 150 ms and 100 KB per chart)."""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import chart_figures
from bench.check_charts import check_chart_types
from bench.common import positive_int
from bot.charts.model import ChartData, Series, Span
from bot.charts.render import Theme, render_png
from bot.charts.small_multiples import render_groups
from bot.charts.trend import render_trend
from bot.runtime.heap import freeze_heap

BUDGET_MS, BUDGET_KB = 150.0, 100.0
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _series(label: str, count: int, scale: float, rng: random.Random, gaps: bool = False) -> Series:
    points = []
    for minute in range(count):
        value = max(0.0, scale * (1 + math.sin(minute / 7)) + rng.gauss(0, scale / 4))
        points.append((T0 + timedelta(minutes=minute), math.nan if gaps and minute % 11 == 0 else value))
    return Series(label, tuple(points))


def chart_types(rng: random.Random) -> dict[str, ChartData]:
    """One chart of each shape the bot draws: an alarm's metric, a Lambda function's four, an empty window."""
    end = T0 + timedelta(minutes=90)
    alarm = ChartData(
        "Alarm orders-api-errors: AWS/Lambda Errors (Sum)",
        (_series("Errors", 90, 3, rng, gaps=True),),
        T0,
        end,
        alert_start=T0 + timedelta(minutes=60),
        threshold=4,
        comparison="GreaterThanOrEqualToThreshold",
        spans=(Span(T0 + timedelta(minutes=20), T0 + timedelta(minutes=32), "ALARM"),
               Span(T0 + timedelta(minutes=32), T0 + timedelta(minutes=40), "INSUFFICIENT_DATA"),
               Span(T0 + timedelta(minutes=60), end, "ALARM")),
    )  # fmt: skip
    lambda_chart = ChartData(
        "orders-api: errors, invocations, throttles",
        tuple(_series(name, 90, scale, rng) for name, scale in (("Errors", 3), ("Invocations", 40), ("Throttles", 1))),
        T0,
        end,
        alert_start=T0 + timedelta(minutes=75),
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
        complete_until=end - timedelta(minutes=5),
    )
    empty = ChartData("queue depth", (Series("ApproximateNumberOfMessagesVisible", ()),), T0, end)
    dense = ChartData("1 day at 1-minute resolution", (_series("Duration", 1440, 800, rng),), T0,
                      T0 + timedelta(days=1), threshold=2000, comparison="GreaterThanThreshold")  # fmt: skip
    return {"alarm": alarm, "lambda": lambda_chart, "empty": empty, "dense_day": dense}


def drawings(rng: random.Random) -> dict[str, Callable[[Theme], bytes]]:
    """Every chart type, ready to draw in a theme: the metric charts above, the digest's and `/errors`' figures."""
    metric_charts = chart_types(rng) | check_chart_types(T0, rng)
    drawn: dict[str, Callable[[Theme], bytes]] = {
        name: (lambda theme, data=data: render_png(data, theme)) for name, data in metric_charts.items()
    }
    trend, groups = chart_figures.incident_trend(rng), chart_figures.error_groups(rng)
    drawn["digest_trend"] = lambda theme: render_trend(trend, theme)
    drawn["error_groups"] = lambda theme: render_groups(groups, theme)
    return drawn


EXAMPLES = (
    "alarm", "alarm_metric_math", "lambda_errors", "lambda_duration", "sqs_dead_letters", "metric_threshold",
    "chart_command_3h", "incident_10d", "digest_trend", "error_groups",
)  # fmt: skip
"""The chart types `--write-examples` draws: one of each the bot posts (the others are stress shapes)."""


def write_examples(folder: Path) -> list[Path]:
    """One PNG of each chart type in EXAMPLES, light and dark, drawn from the seeded data (the same bytes each run
    with the same matplotlib)."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = drawings(random.Random(19))
    written = []
    for name in EXAMPLES:
        for theme in Theme:
            path = folder / (f"{name}.png" if theme is Theme.LIGHT else f"{name}-{theme}.png")
            path.write_bytes(drawn[name](theme))
            written.append(path)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=positive_int, default=10, help="renders per chart type and theme")
    parser.add_argument("--write-examples", type=Path, metavar="DIR",
                        help="write one PNG of each chart type the bot posts into DIR, then measure")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    render_png(ChartData("warm-up", (), T0, T0 + timedelta(minutes=1)))
    print(f"first render (imports matplotlib): {(time.perf_counter() - started) * 1000:.0f} ms, once per process")
    freeze_heap("the first chart is drawn")  # as the bot does then (bot/app.py): matplotlib's objects are long-lived
    if args.write_examples is not None:
        for path in write_examples(args.write_examples):
            print(f"wrote {path} ({path.stat().st_size / 1024:.1f} KB)")
    drawn = drawings(random.Random(19))
    print(warm_up(drawn))
    worst: dict[str, tuple[float, float]] = {}
    with FullCollections() as collections:
        for name, draw in drawn.items():
            for theme in Theme:
                times, cpu, size = [], [], 0
                for _ in range(args.rounds):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    size = len(draw(theme))
                    times.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - cpu_started) * 1000)
                slowest = max(times)
                # CPU time too: on a shared machine the wall time includes waiting for a core, the CPU time does not.
                print(f"{name:>17} {theme:>5}: median {statistics.median(times):5.1f} ms, slowest {slowest:5.1f} ms "
                      f"(CPU median {statistics.median(cpu):5.1f} ms, slowest {max(cpu):5.1f} ms), "
                      f"{size / 1024:5.1f} KB")  # fmt: skip
                ms, kb = worst.get(name, (0.0, 0.0))
                worst[name] = (max(ms, slowest), max(kb, size / 1024))
    print(f"full garbage collections during the renders above: {collections.count}, "
          f"{collections.seconds * 1000:.0f} ms in all (each lands in one render)")  # fmt: skip
    missed = [name for name, (ms, kb) in worst.items() if ms > BUDGET_MS or kb > BUDGET_KB]
    print("slowest ms / largest KB per chart type: " + ", ".join(
        f"{name} {ms:.0f} ms {kb:.0f} KB" for name, (ms, kb) in worst.items()))  # fmt: skip
    return 1 if missed else 0


def warm_up(drawn: dict[str, Callable[[Theme], bytes]]) -> str:
    """Draws each type in each theme once, unmeasured, and says what that cost: the first chart of each kind and
    theme builds the figure the process keeps for it (bot/charts/canvas.py), once."""
    firsts = []
    for name, draw in drawn.items():
        for theme in Theme:
            started = time.perf_counter()
            draw(theme)
            firsts.append(((time.perf_counter() - started) * 1000, f"{name} {theme}"))
    slowest, which = max(firsts)
    return (f"warm-up, one render of each type and theme (builds the figure kept for each kind and theme, once "
            f"per process): median {statistics.median(ms for ms, _ in firsts):.0f} ms, slowest {slowest:.0f} ms "
            f"({which})")  # fmt: skip


class FullCollections:
    """Counts the garbage collector's full (generation 2) collections while it is entered, and their time."""

    def __init__(self) -> None:
        self.count, self.seconds, self._started = 0, 0.0, 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._started

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._callback)
