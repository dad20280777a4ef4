"""Error detection and grouping on the Lambda development corpus: Boltwatch's two paths, a naive regex and drain3.

`python -m bench lambda_grouping [--events N] [--seed S]` generates the corpus (bench/lambda_corpus), runs every
grouper over it in this process and prints detection P/R/F1, GA, FGA and events/s. No target: the figures are
for tuning, and the private corpus is what scores.
"""

from __future__ import annotations

import argparse
import gc
import logging
import time
from collections import Counter

from bench.common import positive_int
from bench.lambda_corpus import generate
from bench.lambda_corpus.groupers import (
    Grouper,
    boltwatch_errors_command,
    boltwatch_log_errors_check,
    check_against_bot,
    drain3_first_line,
    naive_regex,
)
from bench.lambda_corpus.scoring import score

GROUPERS: dict[str, tuple[Grouper, str | None]] = {
    "Boltwatch /errors (summarise)": (boltwatch_errors_command, "summarise"),
    "Boltwatch log_errors check (30 s runs)": (boltwatch_log_errors_check, "group_errors"),
    "naive regex (ERROR/Exception, digits masked)": (naive_regex, None),
    "drain3 0.9.11 (first line, per function)": (drain3_first_line, None),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=positive_int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--functions", type=positive_int, default=30)
    parser.add_argument("--hours", type=float, default=12)
    parser.add_argument("--no-check", action="store_true", help="skip checking the adapters against the bot's calls")


def run(args: argparse.Namespace) -> int:
    logging.getLogger("drain3").setLevel(logging.WARNING)
    started = time.perf_counter()
    events = generate(args.seed, args.events, args.functions, args.hours)
    generated = time.perf_counter() - started
    truth = [e.group for e in events]
    errors = sum(1 for t in truth if t is not None)
    print(
        f"corpus: seed {args.seed}, {len(events):,} events of {len({e.log_group for e in events})} functions over "
        f"{args.hours:g} h, {errors:,} errors ({errors / len(events):.1%}) in {len(set(truth) - {None})} groups; "
        f"generated in {generated:.1f} s"
    )
    print(f"\n| grouper | P | R | F1 | GA | FGA | groups (true {len(set(truth) - {None})}) | events/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    scoring_seconds = 0.0
    problems = []
    for name, (grouper, bot_path) in GROUPERS.items():
        # Whoever runs first would otherwise pay for collecting the corpus's and the last grouper's garbage.
        gc.collect()
        started = time.perf_counter()
        predicted = grouper(events)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        s = score(truth, predicted)
        scoring_seconds += time.perf_counter() - started
        print(
            f"| {name} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.ga:.3f} | {s.fga:.3f} "
            f"| {s.predicted_groups} | {len(events) / seconds:,.0f} |"
        )
        if bot_path and not args.no_check and (problem := check_against_bot(events, predicted, bot_path)):
            problems.append(problem)
    print(f"\nscoring: {scoring_seconds:.2f} s for {len(GROUPERS)} groupers")
    _print_misses(events, truth)
    for problem in problems:
        print(f"WARNING: {problem}")
    return 1 if problems else 0


def _print_misses(events: list, truth: list[str | None]) -> None:
    """Where Boltwatch's detection disagrees with the labels, by the kind of record: what to tune next."""
    predicted = boltwatch_errors_command(events)
    wrong = Counter(
        ("missed" if t is not None else "false alarm", e.kind)
        for e, t, p in zip(events, truth, predicted, strict=True)
        if (t is None) != (p is None)
    )
    if wrong:
        print("Boltwatch /errors detection misses: " + ", ".join(f"{n} {a} ({k})" for (a, k), n in wrong.most_common()))
