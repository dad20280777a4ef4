"""Which log events are errors: an event is an error iff it reports a failure.

The level stated by whoever wrote the line wins, wherever the logger put it (records.py reads it); a WARN line
stays a warning whatever words it holds. Without a stated level, platform records whose status says failure,
Lambda error objects, stack traces and crash dumps, and lines that read as failures in any log are errors.
"""

from __future__ import annotations

import re
from typing import Final

from bot.grouping.dumps import is_dump_header
from bot.grouping.lambda_payloads import exception_in
from bot.grouping.platform_errors import is_quiet_record, platform_failure
from bot.grouping.records import ERROR, UNKNOWN, Level, LogLine, read_line, states_quiet_level
from bot.grouping.stacktraces import parse_stack_trace

# Every error has one of these (lower-cased): a level name, a failure word, a platform status, or a numeric
# level (pino's 50/60, syslog's 0-3). Most lines have none, and are rejected before any parsing.
_ERROR_WORDS: Final = ("err", "fatal", "panic", "crit", "emerg", "alert", "severe", "exception", "traceback", "failure")
_PLATFORM_WORDS: Final = ("timed out", "timeout", "segmentation")
_FAILURE_MARKS: Final = _ERROR_WORDS + _PLATFORM_WORDS
_NUMERIC_LEVEL: Final = re.compile(r"level\"?\s*[:=]\s*\"?(?:[56]\d|[0-3])\b")
# The platform's records of every healthy invocation are most of a Lambda log group.
_HEALTHY_RECORDS: Final = ("START RequestId: ", "END RequestId: ")
# Without a stated level, failures that read as failures in any log: "error: ...", "fatal: ...", an unhandled
# exception, a segmentation fault, or a line that starts with an exception type ("ValueError: ...").
_FAILURE_WORDS: Final = re.compile(
    r"^\s*(?:error|fatal|fatal error|panic|critical)\s*:"
    r"|\b(?:unhandled|uncaught)\b.*\b(?:exception|rejection)\b"
    r"|\bsegmentation fault\b|\bcore dumped\b",
    re.IGNORECASE,
)
_FAILURE_HEAD: Final = re.compile(r"\s*(?:error|fatal|fatal error|panic|critical)\s*:", re.IGNORECASE)
_FAILURES_INSIDE: Final = (
    "unhandled",
    "uncaught",
    "segmentation fault",
    "core dumped",
)  # what the rest needs, lower-cased
_EXCEPTION_HEAD: Final = re.compile(r"^\s*(?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception)(?::|$)")


def may_be_error(message: str) -> bool:
    """A cheap first test: False means the event cannot be an error, True that it needs reading."""
    return not message.startswith(_HEALTHY_RECORDS) and not states_quiet_level(message) and mentions_failure(message)


def mentions_failure(message: str) -> bool:
    """True when the message holds a failure word or a numeric level of ERROR or worse, in any case."""
    lowered = message.lower()
    for word in _FAILURE_MARKS:
        if word in lowered:
            return True
    return "level" in lowered and _NUMERIC_LEVEL.search(lowered) is not None


def numeric_level(lowered: str) -> bool:
    """True when the lower-cased message states a numeric level of ERROR or worse (pino's 50/60, syslog's 0-3)."""
    return _NUMERIC_LEVEL.search(lowered) is not None


def line_level(line: LogLine) -> Level:
    """The level of a read line, counting platform failures, error objects, stack traces and crash dumps."""
    if line.level is not UNKNOWN:
        return line.level
    if platform_failure(line.message if line.payload is None else "", line.payload) is not None:
        return ERROR
    if is_quiet_record(line.message):
        return UNKNOWN
    if line.payload is not None:
        return ERROR if exception_in(line.payload) is not None else UNKNOWN
    if is_dump_header(line.body) or _looks_failed(line.body) or parse_stack_trace(line.body):
        return ERROR
    return UNKNOWN


def error_level(message: str) -> Level:
    """The level of a log event, counting stack traces, Lambda error objects and platform errors."""
    return line_level(read_line(message))


def is_error(message: str) -> bool:
    """True when a log event reports an error (ERROR or worse, an exception, a panic, a platform failure)."""
    return may_be_error(message) and error_level(message) >= Level.ERROR


def _looks_failed(body: str) -> bool:
    first_line = body.lstrip().split("\n", 1)[0]
    if _FAILURE_HEAD.match(first_line) or _EXCEPTION_HEAD.match(first_line):
        return True
    if first_line.isascii():  # else lower-casing may not keep what the case-blind search finds
        lowered = first_line.lower()
        if not any(words in lowered for words in _FAILURES_INSIDE):
            return False
    return _FAILURE_WORDS.search(first_line) is not None
