"""Error detection and grouping on the Lambda development corpus: Boltwatch's two paths, a naive regex and drain3.

`python -m bench lambda_grouping [--events N] [--seed S]` generates the corpus (bench/lambda_corpus), runs every
grouper over it in this process and prints detection P/R/F1, GA, FGA and events/s, and each Boltwatch path's speed
as a multiple of the naive regex's in the same run (issue 15's target: 0.5). Events/s are per CPU second of this
process (`time.process_time`): the machine is shared, and wall time moves with the neighbours' load. No quality
target: the figures are for tuning, and the private corpus is what scores.
"""

from __future__ import annotations

import argparse
import gc
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence

from bench.common import positive_int
from bench.lambda_corpus import generate
from bench.lambda_corpus.groupers import (
    Batch,
    Grouper,
    boltwatch_errors_command,
    check_against_bot,
    drain3_first_line,
    errors_command_batches,
    group_batches,
    log_errors_check_batches,
    naive_regex,
    predictions,
)
from bench.lambda_corpus.invocation import LabelledEvent
from bench.lambda_corpus.scoring import score

# Boltwatch's paths: how a read is split into the batches the bot groups (untimed: the events arrive per log group),
# and which of the bot's functions the adapter is checked against.
BOT_PATHS: dict[str, tuple[Callable[[Sequence[LabelledEvent]], list[Batch]], str]] = {
    "Boltwatch /errors (summarise)": (errors_command_batches, "summarise"),
    "Boltwatch log_errors check (30 s runs)": (log_errors_check_batches, "group_errors"),
}
OTHERS: dict[str, Grouper] = {
    "naive regex (ERROR/Exception, digits masked)": naive_regex,
    "drain3 0.9.11 (first line, per function)": drain3_first_line,
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
    speeds: dict[str, float] = {}
    for name in [*BOT_PATHS, *OTHERS]:
        # Whoever runs first would otherwise pay for collecting the corpus's and the last grouper's garbage.
        gc.collect()
        if name in BOT_PATHS:
            split, bot_path = BOT_PATHS[name]
            batches = split(events)
            started = time.process_time()
            keys = group_batches(batches)
            seconds = time.process_time() - started
            predicted = predictions(events, batches, keys)
        else:
            started = time.process_time()
            predicted = OTHERS[name](events)
            seconds = time.process_time() - started
        started = time.perf_counter()
        s = score(truth, predicted)
        scoring_seconds += time.perf_counter() - started
        speeds[name] = len(events) / seconds
        print(
            f"| {name} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | {s.ga:.3f} | {s.fga:.3f} "
            f"| {s.predicted_groups} | {speeds[name]:,.0f} |"
        )
        if name in BOT_PATHS and not args.no_check and (problem := check_against_bot(events, predicted, bot_path)):
            problems.append(problem)
    naive = speeds[next(iter(OTHERS))]
    ratios = ", ".join(f"{name} {speeds[name] / naive:.2f}×" for name in BOT_PATHS)
    from bot.grouping import COMPILED

    built = "compiled by mypyc (setup.py)" if COMPILED else "its Python sources (no compiled build)"
    print(f"\nBoltwatch ÷ naive regex, events/s in this run: {ratios}; bot.grouping ran {built}")
    print(f"scoring: {scoring_seconds:.2f} s for {len(BOT_PATHS) + len(OTHERS)} groupers")
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
