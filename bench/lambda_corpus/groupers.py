"""The groupers the benchmark compares, each giving every event a group id scoped to its log group (None: no error).

The Boltwatch adapters are the one place the benchmark touches the bot: they call its public entry points
(`bot.grouping.ErrorGrouper`, `bot.core.error_groups.summarise`,
`scheduler.checks.log_errors.group_errors`) the way the bot does, and check the per-event ids they compute against
what the bot itself returns, so a change in the bot's paths shows up here instead of scoring something else.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import groupby

from bench.lambda_corpus.invocation import LabelledEvent
from bot.aws.logs import LogEvent
from bot.core.error_groups import summarise
from bot.grouping import ErrorGrouper
from scheduler.checks.log_errors import group_errors

Grouper = Callable[[Sequence[LabelledEvent]], list[str | None]]
Batch = tuple[str, list[LabelledEvent]]  # a log group, and the events one call of the bot groups
CHECK_EVERY_MS = 30_000  # log_errors runs every 30 s (its @check default) and groups what each run read


def by_log_group(events: Sequence[LabelledEvent]) -> dict[str, list[LabelledEvent]]:
    windows: dict[str, list[LabelledEvent]] = defaultdict(list)
    for event in events:
        windows[event.log_group].append(event)
    return windows


def as_log_events(events: Sequence[LabelledEvent]) -> list[LogEvent]:
    return [LogEvent(datetime.fromtimestamp(e.timestamp / 1000, UTC), "", e.message, "") for e in events]


def check_runs(window: Sequence[LabelledEvent]) -> list[list[LabelledEvent]]:
    """A log group's events as the `log_errors` check reads them: what each of its runs read since the last one."""
    return [list(run) for _, run in groupby(window, key=lambda e: e.timestamp // CHECK_EVERY_MS)]


def as_read(events: Sequence[LabelledEvent]) -> list[LabelledEvent]:
    """Events as a read of their log group delivers them: objects (and messages) of their own, made one after another.

    FilterLogEvents' pages parse into fresh objects per log group; walking the corpus's shared objects in log-group
    order instead jumps around memory, which costs even the naive regex ~20 % (measured on the seed-1 corpus).
    """
    return [replace(event, message=event.message.encode().decode()) for event in events]


def errors_command_batches(events: Sequence[LabelledEvent]) -> list[Batch]:
    """`/errors`: `summarise` over each log group's whole window."""
    return [(log_group, as_read(window)) for log_group, window in by_log_group(events).items()]


def log_errors_check_batches(events: Sequence[LabelledEvent]) -> list[Batch]:
    """The `log_errors` check: each run groups the events it read since the last one (`group_errors`)."""
    windows = by_log_group(events).items()
    return [(log_group, as_read(run)) for log_group, window in windows for run in check_runs(window)]


def group_batches(batches: Sequence[Batch]) -> dict[int, str]:
    """What `summarise` and `group_errors` do with each batch: one `ErrorGrouper` fed its events in order.

    This is the part the benchmark times (the events through the grouper calls). The grouper reads an event's
    `message` (and `stream`, which the corpus has not), so it is given the corpus's events themselves, as the naive
    regex is: the `LogEvent` the bot makes of each FilterLogEvents record belongs to reading the logs, as the split
    of a read into log groups does, not to grouping them (`check_against_bot` makes them, untimed).
    """
    keys: dict[int, str] = {}
    for log_group, batch in batches:
        for event, signature in ErrorGrouper().group(batch):
            keys[id(event)] = f"{log_group}|{signature.key}"
    return keys


def predictions(events: Sequence[LabelledEvent], batches: Sequence[Batch], keys: dict[int, str]) -> list[str | None]:
    """Each event's group id, in the corpus's order (the batches hold each log group's events in order)."""
    copies = [copy for _, batch in batches for copy in batch]
    originals = [event for window in by_log_group(events).values() for event in window]
    key_of = {id(event): keys.get(id(copy)) for event, copy in zip(originals, copies, strict=True)}
    return [key_of[id(event)] for event in events]


def boltwatch_errors_command(events: Sequence[LabelledEvent]) -> list[str | None]:
    batches = errors_command_batches(events)
    return predictions(events, batches, group_batches(batches))


def check_against_bot(events: Sequence[LabelledEvent], predicted: Sequence[str | None], path: str) -> str | None:
    """None when the adapter's group sizes equal what the bot's own function returns, else what differs."""
    predicted_of = {id(event): key for event, key in zip(events, predicted, strict=True)}
    for log_group, window in by_log_group(events).items():
        batches = [window] if path == "summarise" else check_runs(window)
        mine: Counter[str] = Counter()
        theirs: Counter[str] = Counter()
        for batch in batches:
            keys = Counter(key for e in batch if (key := predicted_of[id(e)]) is not None)
            window = as_log_events(batch)
            mine += Counter({key.split("|", 1)[1]: n for key, n in keys.items()})
            if path == "summarise":
                start, end = window[0].timestamp, window[-1].timestamp
                theirs += Counter({g.key: g.count for g in summarise(window, start=start, end=end)})
            else:
                theirs += Counter({key: o.count for key, o in group_errors(window).items()})
        if mine != theirs:
            return f"{log_group}: the adapter's groups differ from {path}'s ({len(mine)} vs {len(theirs)} groups)"
    return None


_NAIVE_ERROR = re.compile(r"ERROR|Exception")
_DIGITS = re.compile(r"\d+")


def naive_regex(events: Sequence[LabelledEvent]) -> list[str | None]:
    """`ERROR` or `Exception` anywhere is an error; the group is the message with its digits masked."""
    return [f"{e.log_group}|{_DIGITS.sub('0', e.message)}" if _NAIVE_ERROR.search(e.message) else None for e in events]


def drain3_first_line(events: Sequence[LabelledEvent]) -> list[str | None]:
    """drain3 0.9.11 with its default configuration, one miner per function, fed the first line of each error."""
    from drain3 import TemplateMiner as DrainMiner
    from drain3.template_miner_config import TemplateMinerConfig

    miners: dict[str, DrainMiner] = {}
    predicted: list[str | None] = []
    for event in events:
        if not _NAIVE_ERROR.search(event.message):
            predicted.append(None)
            continue
        miner = miners.get(event.log_group)
        if miner is None:
            miner = miners[event.log_group] = DrainMiner(config=TemplateMinerConfig())
        result = miner.add_log_message(event.message.split("\n", 1)[0])
        predicted.append(f"{event.log_group}|{result['cluster_id']}")
    return predicted
