"""Does rejecting non-errors in bulk (one regex over a batch's joined messages) beat ErrorGrouper's per-line test?

Issue 15's idea: join a log group's messages with "\\x00" (which no message holds; checked), run ONE compiled pattern
over the joined text that stops at every message the grouper's first test would turn away without reading it (START
/END, a REPORT without `Status: `, a line stating a level below ERROR as `QUIET_LINE` reads it, optionally a healthy
JSON platform record), map the remaining matches back to events with `bisect`, and give only those to the per-line
test. The bulk pattern rejects a subset of what the per-line test rejects (checked event by event here), so no
candidate is lost. Timed in CPU ms (min of --repeats), over the Lambda corpus split per log group as `/errors` reads
it, against the grouper's own first test written out as in `ErrorGrouper.group` (no reading of candidates in either).

    .venv/bin/python bench/grouping/bulk_rejection.py [--seed 1] [--events 50000]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from itertools import accumulate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from bench.lambda_corpus import generate
    from bench.lambda_corpus.groupers import errors_command_batches
    from bot.grouping.detection import may_be_error

    batches = [[e.message for e in batch] for _, batch in errors_command_batches(generate(args.seed, args.events))]
    per_line = [_per_line_candidates(messages) for messages in batches]
    print(f"{sum(map(len, batches)):,} events in {len(batches)} log groups; per-line test keeps {_n(per_line):,}")
    print(f"per-line first test (ErrorGrouper.group's loop): {_best(args.repeats, per_line_pass, batches):.1f} ms")
    for name, pattern in bulk_patterns().items():
        kept = [_bulk_candidates(pattern, messages) for messages in batches]
        for bulk, exact, messages in zip(kept, per_line, batches, strict=True):
            assert set(exact) <= set(bulk), "the bulk pattern rejected a line the per-line test keeps"
            assert all(not may_be_error(messages[i]) for i in set(range(len(messages))) - set(bulk))
        bulk_only = _best(args.repeats, lambda bs, p=pattern: [_bulk_candidates(p, m) for m in bs], batches)
        total = _best(args.repeats, lambda bs, p=pattern: [_bulk_then_per_line(p, m) for m in bs], batches)
        print(f"bulk, {name}: keeps {_n(kept):,}; bulk pass {bulk_only:.1f} ms, then the per-line test {total:.1f} ms")
    print(f"naive regex, its one search a line alone: {_best(args.repeats, naive_pass, batches):.1f} ms")
    return 0


def bulk_patterns() -> dict[str, re.Pattern[str]]:
    """The bulk test: a match is a "\\x00" before a message it cannot turn away."""
    from bot.grouping.records import _ASCII_ISO, _NOT_A_PAYLOAD, _QUIET_NAMES, _UUID

    end = r"(?=\x00|\Z)"  # QUIET_LINE's \Z, and no class below crosses a "\x00": each stays inside its message
    quiet = (
        rf'\{{(?:"[A-Za-z0-9_]+":"[^"\\\x00]*",)?"level":(?:"(?ai:{_QUIET_NAMES})"|0*(?:[4-9]|[1-4][0-9]))(?=[,}}])'
        rf"[^\x00]*\}}{end}"
        rf"|\[(?:{_QUIET_NAMES})\]\t{_ASCII_ISO}\t(?:{_UUID}|)\t{_NOT_A_PAYLOAD}"
        rf"|{_ASCII_ISO}\t(?:{_UUID}|undefined|)\t(?:{_QUIET_NAMES})\t{_NOT_A_PAYLOAD}"
        rf"|time=[!-~]{{1,177}} level=(?ai:{_QUIET_NAMES})[ \t]"
        rf"|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} (?![^=\x00]{{0,188}}=)[0-9:]{{8}}[.,][0-9]+ [!-~]*[0-9][!-~]* "
        rf"(?:{_QUIET_NAMES})[ \t]"
    )
    platform = (
        r'\{"time":"[^"\\\x00]*","type":"platform\.\w+","record":\{'
        r'(?:[^"\x00]|"(?!status"))*(?:"status":"success"(?:[^"\x00]|"(?!status"))*)?\}' + end
    )
    edges = r"START RequestId: |END RequestId: "
    report = r"REPORT RequestId: (?![^\x00]*Status: )"
    return {
        "START/END only": re.compile(rf"\x00(?!{edges})"),
        "START/END/REPORT + quiet levels": re.compile(rf"\x00(?!{edges}|{report}|{quiet})"),
        "all but the failure words (+ healthy platform records)": re.compile(
            rf"\x00(?!{edges}|{report}|{quiet}|{platform})"
        ),
    }


def _bulk_candidates(pattern: re.Pattern[str], messages: list[str]) -> list[int]:
    joined = "\x00" + "\x00".join(messages)
    if joined.count("\x00") != len(messages):
        return list(range(len(messages)))  # a message holds the separator: every line is read one by one
    starts = list(accumulate(map((1).__add__, map(len, messages)), initial=0))
    return [bisect_left(starts, match.start()) for match in pattern.finditer(joined)]


def _bulk_then_per_line(pattern: re.Pattern[str], messages: list[str]) -> list[int]:
    return _first_test(messages, _bulk_candidates(pattern, messages))


def _per_line_candidates(messages: list[str]) -> list[int]:
    return _first_test(messages, range(len(messages)))


def per_line_pass(batches: list[list[str]]) -> list[int]:
    return [len(_per_line_candidates(messages)) for messages in batches]


def _first_test(messages: list[str], indices: Iterable[int]) -> list[int]:
    """ErrorGrouper.group's first test (bot/grouping/grouper.py), written out as there: the lines it would read."""
    from bot.grouping.detection import numeric_level
    from bot.grouping.records import QUIET_LINE, is_healthy_platform_record

    quiet, healthy_platform, edges = QUIET_LINE.match, is_healthy_platform_record, {}
    kept = []
    for i in indices:
        message = messages[i]
        first = message[:1]
        if first in "SE" and message.startswith(("START RequestId: ", "END RequestId: ")):
            edges[""] = message
            continue
        if first == "R" and message.startswith("REPORT RequestId: ") and "Status: " not in message:
            continue
        if quiet(message) is None and not (
            first == "{" and message.startswith('{"time"') and healthy_platform(message)
        ):
            lowered = message.lower()
            if (
                "err" in lowered
                or "fatal" in lowered
                or "exception" in lowered
                or "timeout" in lowered
                or "timed out" in lowered
                or "panic" in lowered
                or "crit" in lowered
                or "failure" in lowered
                or "traceback" in lowered
                or "severe" in lowered
                or "alert" in lowered
                or "emerg" in lowered
                or "segmentation" in lowered
                or ("level" in lowered and numeric_level(lowered))
            ):
                kept.append(i)
    return kept


_NAIVE = re.compile(r"ERROR|Exception")


def naive_pass(batches: list[list[str]]) -> list[int]:
    return [sum(1 for message in messages if _NAIVE.search(message)) for messages in batches]


def _best(repeats: int, run: Callable[[list[list[str]]], object], batches: list[list[str]]) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        run(batches)
        best = min(best, time.process_time() - started)
    return best * 1000


def _n(kept: list[list[int]]) -> int:
    return sum(map(len, kept))


if __name__ == "__main__":
    sys.exit(main())
