"""Slash-command grammar: `/logs TARGET [SINCE | live [for DURATION]] [filter TEXT] [limit N] [account NAME]
[region REGION]` and kin.

Parsing is pure and raises only UsageError, whatever the text; the usage it shows names the commands as `names`
has them (the configured prefix).
"""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from datetime import timedelta

from bot.commands import CHART, ERRORS, LOGS, UNPREFIXED, WAIT, CommandNames
from bot.durations import DurationError, DurationTooLong, format_duration, parse_duration
from handlers.usage import UsageError, quoted

REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
MAX_LIMIT = 1000
MAX_LOOKBACK = timedelta(days=30)
"""The furthest back /logs and /errors read (CloudWatch Logs' FilterLogEvents over more is slow and costly)."""
MAX_FILTER = 500
"""The longest /logs filter phrase (CloudWatch takes 1,024 characters of pattern; a phrase is rarely a tenth)."""
MAX_WAIT_IDS = 100
MAX_ID = 256
"""The longest id a /wait takes: ARNs, the longest AWS ids, stay under it."""
LIVE_FOR = timedelta(minutes=5)
"""How long `/logs TARGET live` streams unless told (`for 10m`)."""
MAX_LIVE_FOR = timedelta(minutes=30)
"""The longest live tail: a message updated every few seconds for longer is a dashboard, not a chat answer."""
MAX_WAIT = timedelta(hours=12)
"""The longest /wait timeout: a waiter that has not settled in half a day is a question for a person."""
# Slack clients turn typed quotes into typographic ones.
_SHELL_SYNTAX = re.compile("[\"'\\\\\u201c\u201d\u2018\u2019]")
_PLAIN_WORD = re.compile(r"[^ \t\r\n]+")
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


@dataclass(frozen=True)
class Scope:
    account: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class LogsRequest:
    target: str
    since: timedelta = timedelta(minutes=15)
    filter_text: str | None = None
    limit: int = 100
    scope: Scope = field(default_factory=Scope)
    live_for: timedelta | None = None
    """`live`: stream new events for this long instead of showing a past window."""


@dataclass(frozen=True)
class ErrorsRequest:
    target: str
    since: timedelta = timedelta(hours=1)
    scope: Scope = field(default_factory=Scope)


@dataclass(frozen=True)
class WaitRequest:
    service: str
    waiter: str
    ids: tuple[str, ...]
    timeout: timedelta | None = None
    scope: Scope = field(default_factory=Scope)


@dataclass(frozen=True)
class ChartAsk:
    """`/boltwatch chart TARGET [METRIC] [SINCE]`."""

    target: str
    metric: str | None = None
    since: timedelta = timedelta(hours=3)
    scope: Scope = field(default_factory=Scope)


def split_words(text: str, usage: str) -> list[str]:
    """Split like a shell, so `filter "connection reset"` keeps its phrase together."""
    if not _SHELL_SYNTAX.search(text):
        return _PLAIN_WORD.findall(text)  # what shlex would give, for a fraction of its time (on every ack)
    try:
        return shlex.split(text.translate(_SMART_QUOTES))
    except ValueError:
        raise UsageError("A quote is not closed (put a phrase with an apostrophe in double quotes).", usage) from None


def _take_keywords(words: list[str], keywords: set[str], usage: str) -> tuple[list[str], dict[str, str]]:
    """Pull `keyword VALUE` pairs out of `words`; return what is left and the pairs."""
    rest: list[str] = []
    found: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i].lower()
        if word in keywords:
            if i + 1 >= len(words):
                raise UsageError(f"{quoted(word)} needs a value after it.", usage)
            if word in found:
                raise UsageError(f"{quoted(word)} is given twice.", usage)
            found[word] = words[i + 1]
            i += 2
        else:
            rest.append(words[i])
            i += 1
    return rest, found


def _scope(found: dict[str, str], usage: str) -> Scope:
    region = found.get("region")
    if region is not None and not REGION.match(region):
        raise UsageError(f"{quoted(region)} is not an AWS region like us-east-1.", usage)
    return Scope(account=found.get("account"), region=region)


def _duration(text: str, what: str, usage: str, at_most: timedelta) -> timedelta:
    try:
        return parse_duration(text, at_most=at_most)
    except DurationTooLong:
        longest = format_duration(at_most)
        raise UsageError(f"{quoted(text)} is longer than {longest}, the longest {what} there is.", usage) from None
    except DurationError:
        raise UsageError(f"{quoted(text)} is not a {what} like 15m, 2h, 1d.", usage) from None


def parse_logs(text: str, names: CommandNames = UNPREFIXED) -> LogsRequest:
    usage = LOGS.line(names)
    words, found = _take_keywords(split_words(text, usage), {"filter", "limit", "account", "region", "for"}, usage)
    live_for = None
    if len(words) == 2 and words[1].lower() == "live":
        if "limit" in found:
            raise UsageError("`limit` is for a past window; a live tail shows the newest lines as they come.", usage)
        live_for = _duration(found["for"], "live tail", usage, MAX_LIVE_FOR) if "for" in found else LIVE_FOR
        words = words[:1]
    elif len(words) == 3 and words[1].lower() == "live":
        raise UsageError("Say how long with `for`, like `live for 10m`.", usage)
    elif "for" in found:
        raise UsageError("`for` goes with `live`: `/logs TARGET live for 10m`.", usage)
    target, since = _target_and_since(words, usage, timedelta(minutes=15))
    limit = 100
    if "limit" in found:
        if not (found["limit"].isascii() and found["limit"].isdigit()) or not 1 <= int(found["limit"]) <= MAX_LIMIT:
            raise UsageError(f"`limit` takes a number from 1 to {MAX_LIMIT}, not {quoted(found['limit'])}.", usage)
        limit = int(found["limit"])
    phrase = found.get("filter")
    if phrase is not None and len(phrase) > MAX_FILTER:
        raise UsageError(f"The filter is {len(phrase):,} characters long; {MAX_FILTER} at most.", usage)
    return LogsRequest(target, since, phrase, limit, _scope(found, usage), live_for)


def parse_errors(text: str, names: CommandNames = UNPREFIXED) -> ErrorsRequest:
    usage = ERRORS.line(names)
    words, found = _take_keywords(split_words(text, usage), {"account", "region"}, usage)
    target, since = _target_and_since(words, usage, timedelta(hours=1))
    return ErrorsRequest(target, since, _scope(found, usage))


def parse_wait(text: str, names: CommandNames = UNPREFIXED) -> WaitRequest:
    usage = WAIT.line(names)
    words, found = _take_keywords(split_words(text, usage), {"timeout", "account", "region"}, usage)
    if len(words) < 3:
        missing = ["SERVICE", "WAITER", "ID"][len(words)]
        raise UsageError(f"{missing} is missing.", usage)
    ids = words[2:]
    if len(ids) > MAX_WAIT_IDS:
        raise UsageError(f"{len(ids)} ids is too many for one {names(WAIT.command)}; {MAX_WAIT_IDS} at most.", usage)
    if too_long := next((i for i in ids if len(i) > MAX_ID), None):
        problem = f"`{too_long[:40]}…` is {len(too_long):,} characters long; an id is {MAX_ID} at most."
        raise UsageError(problem, usage)
    timeout = _duration(found["timeout"], "timeout", usage, MAX_WAIT) if "timeout" in found else None
    return WaitRequest(words[0].lower(), words[1], tuple(ids), timeout, _scope(found, usage))


MAX_CHART_SPAN = timedelta(days=14)
"""The longest a chart looks back: CloudWatch keeps 1-minute data for 15 days."""
_LOOKS_LIKE_SINCE = re.compile(r"^[0-9]")
"""A word that starts with a digit is a SINCE (no metric's name does), so `3x` is a bad SINCE, not a metric."""


def parse_chart(words: list[str], names: CommandNames = UNPREFIXED) -> ChartAsk:
    """The words after `/boltwatch chart`."""
    usage = CHART.line(names)
    words, found = _take_keywords(words, {"account", "region"}, usage)
    if not words:
        raise UsageError(
            "TARGET is missing: a Lambda function, SQS queue, EC2 instance, ECS service (CLUSTER/SERVICE) or alarm.",
            usage,
        )
    if len(words) > 3:
        raise UsageError(f"{quoted(words[3])} is not understood here.", usage)
    target, rest = words[0], words[1:]
    since = ChartAsk.since
    if rest and _LOOKS_LIKE_SINCE.match(rest[-1]):
        since = _duration(rest.pop(), "time span", usage, MAX_CHART_SPAN)
    if len(rest) > 1:
        raise UsageError(f"{quoted(rest[1])} is not a time span like 3h or 1d.", usage)
    return ChartAsk(target, rest[0] if rest else None, since, _scope(found, usage))


def _target_and_since(words: list[str], usage: str, default: timedelta) -> tuple[str, timedelta]:
    if not words:
        raise UsageError("TARGET is missing: a Lambda function name or a log group.", usage)
    if len(words) > 2:
        raise UsageError(f"{quoted(words[2])} is not understood here.", usage)
    since = _duration(words[1], "time span", usage, MAX_LOOKBACK) if len(words) == 2 else default
    return words[0], since


def did_you_mean(word: str, choices: list[str]) -> str:
    """` Did you mean `x`?` from the closest real names, or nothing."""
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    return f" Did you mean {', '.join(f'{quoted(c)}' for c in close)}?" if close else ""


_INCIDENT = re.compile(r"#?([0-9]{1,18})")


def parse_incident(words: list[str], usage: str) -> int:
    """`INCIDENT` as people write it: `12` or `#12`."""
    if not words:
        raise UsageError(
            "INCIDENT is missing: an incident's number, like 12 (`/boltwatch incidents` lists them).", usage
        )
    if len(words) > 1:
        raise UsageError(f"{quoted(words[1])} is not understood here.", usage)
    match = _INCIDENT.fullmatch(words[0])
    if match is None:
        raise UsageError(f"{quoted(words[0])} is not an incident's number like 12.", usage)
    return int(match.group(1))
