"""What the ack-latency benchmark prints: bursts, percentiles, and how much of a burst a check run overlapped."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Burst:
    app: str
    latencies_ms: list[float]
    statuses: list[int]
    started: float
    ended: float
    cycle_cover: float | None = None
    loop_lag_ms: float = 0.0
    gc_ms: float = 0.0
    gc_max_ms: float = 0.0
    cpu_s: float = 0.0
    loop_cpu_s: float = 0.0
    sender_cpu_s: float = 0.0

    @property
    def non_200(self) -> int:
        return sum(1 for status in self.statuses if status != 200)

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / len(self.latencies_ms)

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def overlap(cycles: list[list[float]], start: float, end: float) -> float:
    """The fraction of [start, end] during which some check run was in flight."""
    covered, cursor = 0.0, start
    for c_start, c_end in sorted(cycles):
        lo, hi = max(c_start, cursor), min(c_end, end)
        if hi > lo:
            covered += hi - lo
            cursor = hi
    return covered / (end - start) if end > start else 0.0


def cpu_pressure() -> str:
    """The kernel's CPU pressure (PSI): the share of time some runnable task waited for a CPU."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return "cpu pressure n/a"
    fields = dict(item.split("=") for item in some[1:])
    return f"cpu pressure (some) avg10 {fields['avg10']}% avg60 {fields['avg60']}%"


def print_table(bursts: list[Burst], apps: Sequence[str] = ("bare", "boltwatch")) -> dict[str, dict[str, float]]:
    header = (
        f"{'app':<10} {'burst':>5} {'requests':>8} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'non-200':>7}"
        f" {'loop lag':>8} {'cpu/req':>7} {'gc':>6} {'gc max':>6} {'cycle':>6}"
    )
    print(header)
    print("-" * len(header))
    medians: dict[str, dict[str, float]] = {}
    for app in apps:
        mine = [b for b in bursts if b.app == app]
        for index, b in enumerate(mine, 1):
            cover = "-" if b.cycle_cover is None else f"{b.cycle_cover:.0%}"
            print(
                f"{app:<10} {index:>5} {len(b.latencies_ms):>8} {b.pct(50):>8.1f} {b.pct(90):>8.1f} {b.pct(99):>8.1f}"
                f" {max(b.latencies_ms):>8.1f} {b.non_200:>7} {b.loop_lag_ms:>8.1f} {b.cpu_ms_per_request:>7.2f}"
                f" {b.gc_ms:>6.1f} {b.gc_max_ms:>6.1f} {cover:>6}"
            )
        stats = {
            "requests": statistics.median(len(b.latencies_ms) for b in mine),
            "p50": statistics.median(b.pct(50) for b in mine),
            "p90": statistics.median(b.pct(90) for b in mine),
            "p99": statistics.median(b.pct(99) for b in mine),
            "max": statistics.median(max(b.latencies_ms) for b in mine),
            "non_200": sum(b.non_200 for b in mine),
        }
        medians[app] = stats
        print(
            f"{app:<10} {'med':>5} {stats['requests']:>8.0f} {stats['p50']:>8.1f} {stats['p90']:>8.1f}"
            f" {stats['p99']:>8.1f} {stats['max']:>8.1f} {stats['non_200']:>7.0f}"
        )
        pooled = [latency for b in mine for latency in b.latencies_ms]
        print(
            f"{app:<10} {'all':>5} {len(pooled):>8} {percentile(pooled, 50):>8.1f} {percentile(pooled, 90):>8.1f}"
            f" {percentile(pooled, 99):>8.1f} {max(pooled):>8.1f} {stats['non_200']:>7.0f}"
        )
    print("(ms; med = median over bursts, all = every request of every burst; loop lag = worst late wake-up of")
    print(" the app's event loop during the burst; cpu/req = the app process's CPU time during the burst / requests;")
    print(" gc, gc max = total and longest garbage collection pause in the app process during the burst;")
    print(" cycle = share of the burst during which a check run was in flight in the bot)")
    if "web" in apps:
        print(" (web: the web role, whose checks run in the worker; its cycle = a run in flight in the worker)")
    return medians
