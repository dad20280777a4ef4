"""Which log events are errors: a stated level wins; without one, only unmistakable failures count."""

from __future__ import annotations

import re
from enum import IntEnum

from bot.grouping.lambda_payloads import error_payload
from bot.grouping.platform_errors import match_platform_error
from bot.grouping.stacktraces import parse_stack_trace


class Level(IntEnum):
    UNKNOWN = 0
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


_LEVEL_NAMES = {
    "TRACE": Level.DEBUG,
    "DEBUG": Level.DEBUG,
    "VERBOSE": Level.DEBUG,
    "INFO": Level.INFO,
    "NOTICE": Level.INFO,
    "WARN": Level.WARNING,
    "WARNING": Level.WARNING,
    "ERROR": Level.ERROR,
    "ERR": Level.ERROR,
    "SEVERE": Level.ERROR,
    "FATAL": Level.CRITICAL,
    "CRITICAL": Level.CRITICAL,
    "CRIT": Level.CRITICAL,
    "EMERG": Level.CRITICAL,
    "ALERT": Level.CRITICAL,
    "PANIC": Level.CRITICAL,
}
# A level stated as a field: level=error, "level": "ERROR", "severity":"warn", levelname=INFO.
_LEVEL_FIELD = re.compile(
    r"""["']?\b(?:level|severity|levelname|log_level|loglevel|lvl)["']?\s*[=:]\s*["']?(?P<name>[A-Za-z]+)""",
    re.IGNORECASE,
)
# A level written as its own upper-case word near the start: [ERROR], \tERROR\t, "ERROR -", "E/".
_LEVEL_WORD = re.compile(r"(?:^|[\s\[(|\"'])(?P<name>" + "|".join(_LEVEL_NAMES) + r")(?=$|[\s\]):|,\"'-])")
_LEVEL_WINDOW = 120
_LEVEL_WORDS = 6
# Without a stated level, failures that read as failures in any log: "error: ...", "fatal: ...", an unhandled
# exception, a segmentation fault, or a line that starts with an exception type ("ValueError: ...").
_FAILURE_WORDS = re.compile(
    r"^\s*(?:error|fatal|fatal error|panic|critical)\s*:"
    r"|\b(?:unhandled|uncaught)\b.*\b(?:exception|rejection)\b"
    r"|\bsegmentation fault\b|\bcore dumped\b",
    re.IGNORECASE,
)
_EXCEPTION_HEAD = re.compile(r"^\s*(?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception)(?::|$)")


def stated_level(message: str) -> Level:
    """The level a log line states about itself, UNKNOWN when it states none."""
    head = message[:_LEVEL_WINDOW]
    field = _LEVEL_FIELD.search(head)
    if field and field["name"].upper() in _LEVEL_NAMES:
        return _LEVEL_NAMES[field["name"].upper()]
    # A level word counts only where log formats put it: among the first few words (after time, request id).
    word = _LEVEL_WORD.search(" ".join(head.split(maxsplit=_LEVEL_WORDS)[:_LEVEL_WORDS]))
    return _LEVEL_NAMES[word["name"]] if word else Level.UNKNOWN


def error_level(message: str) -> Level:
    """The level of a log event, counting stack traces, Lambda error objects and platform errors."""
    if match_platform_error(message):
        return Level.ERROR
    level = stated_level(message)
    if level is not Level.UNKNOWN:
        return level
    if error_payload(message) or parse_stack_trace(message) or _looks_failed(message):
        return Level.ERROR
    return Level.UNKNOWN


def is_error(message: str) -> bool:
    """True when a log event reports an error (ERROR or worse, an exception, a panic, a platform error)."""
    return error_level(message) >= Level.ERROR


def _looks_failed(message: str) -> bool:
    first_line = message.lstrip().split("\n", 1)[0]
    return bool(_FAILURE_WORDS.search(first_line) or _EXCEPTION_HEAD.search(first_line))
