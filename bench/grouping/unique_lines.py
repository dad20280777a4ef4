"""Throughput when no line repeats: the Loghub-2k messages cycled to N lines, each made unique.

grouping_eval.py's --large run repeats the same 32,000 lines, which favours a grouper that deduplicates them.
Here every line ends with a distinct sequence number (" seq=N"), so nothing repeats.

    .venv/bin/python bench/grouping/unique_lines.py --lines 200000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BENCHMARKS = os.path.join(os.path.dirname(ROOT), "shared", "benchmarks")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--benchmarks", default=BENCHMARKS, help="folder holding grouping_eval.py")
    parser.add_argument("--drain3", action="store_true", help="also time drain3 (default config)")
    args = parser.parse_args()

    sys.path[:0] = [ROOT, args.benchmarks]
    import grouping_eval

    from bot.grouping import group_messages

    with open(os.path.join(grouping_eval.DEFAULT_DATA_DIR, "FORMATS.json")) as fh:
        formats = json.load(fh)
    pool: list[str] = []
    for name in grouping_eval.SYSTEMS:
        data = grouping_eval.load_dataset(grouping_eval.DEFAULT_DATA_DIR, name, formats[name], "corrected", "EventId")
        pool.extend(data.contents)
    lines = [f"{pool[i % len(pool)]} seq={i}" for i in range(args.lines)]

    groupers = [("bot.grouping", group_messages)]
    if args.drain3:
        groupers.append(("drain3", grouping_eval.make_grouper("drain3", [], None, None)))
    for name, grouper in groupers:
        started = time.perf_counter()
        groups = grouper(list(lines))
        seconds = time.perf_counter() - started
        print(
            f"{name}: {len(lines)} unique lines in {seconds:.2f} s = {len(lines) / seconds:,.0f} lines/s; "
            f"{len(set(groups))} groups"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
