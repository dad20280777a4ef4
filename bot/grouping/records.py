"""One log line read once: the prefix a Lambda runtime wrote, the level its writer stated, its JSON payload.

The shapes, from the runtimes' own sources:

- Python RIC, text (awslambdaric/bootstrap.py `_setup_logging`): ``[LEVEL]\\t<ts>Z\\t<request id>\\t<message>``;
  the unhandled error (`log_error`) is ``[ERROR] Type: message`` with its traceback lines joined by ``\\r``
  (stdout) or ``\\n`` (telemetry frames) and indented with U+00A0. JSON (lambda_runtime_log_utils.py
  `JsonFormatter`): ``{"timestamp", "level", "message", "logger", "requestId", "errorType", "errorMessage",
  "stackTrace", "location"}``; the unhandled error says ``"log_level": "ERROR"`` instead of ``level``.
- Node.js RIC, text (src/LogPatch.js `logTextToStdout`): ``<ts>\\t<request id>\\t<LEVEL>\\t<message>`` with
  ``\\n`` replaced by ``\\r``; errors (`structuredConsole.logError`) are ``Invoke Error \\t{json}``,
  ``Uncaught Exception \\t{json}``, ``Unhandled Promise Rejection \\t{json}``. JSON: ``{"timestamp", "level",
  "requestId", "message"}``, an Error as ``{"errorType", "errorMessage", "stackTrace"}``.
- Java RIC (logging/TextLogFormatter.java): ``[LEVEL] message``, or the bare message when no level is set.
- aws-lambda-go (lambda/invoke_loop.go `reportFailure`): the standard `log` prefix ``2024/05/01 10:00:00``
  before ``{"errorMessage", "errorType", "stackTrace": [{"path", "line", "label"}]}``.
- Loggers: pino and bunyan write numeric levels (10 trace … 50 error, 60 fatal); Go's slog writes
  ``"level":"ERROR"`` (JSON) or ``level=ERROR`` (text), with offsets such as ``ERROR+2``; syslog names
  (emerg, alert, crit, err, warning, notice) and GELF's syslog numbers 0–7.
"""

from __future__ import annotations

import json
import re
from enum import IntEnum
from typing import Any, Final, NamedTuple


class Level(IntEnum):
    UNKNOWN = 0
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


# Enum members read off their class cost ~150 ns each in Python 3.11; the per-line code reads these names instead.
UNKNOWN, ERROR, _CRITICAL = Level.UNKNOWN, Level.ERROR, Level.CRITICAL

LEVEL_NAMES: Final = {
    "TRACE": Level.DEBUG,
    "DEBUG": Level.DEBUG,
    "VERBOSE": Level.DEBUG,
    "INFO": Level.INFO,
    "INFORMATION": Level.INFO,
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
    "EMERGENCY": Level.CRITICAL,
    "ALERT": Level.CRITICAL,
    "PANIC": Level.CRITICAL,
}
# syslog severities 0-7 (RFC 5424), as GELF writes them; pino/bunyan 10-60.
_SYSLOG_NUMBERS: Final = (Level.CRITICAL,) * 3 + (Level.ERROR, Level.WARNING, Level.INFO, Level.INFO, Level.DEBUG)
_LEVEL_KEYS: Final = ("level", "log_level", "levelname", "severity", "lvl", "loglevel", "@level", "severity_text")

_UUID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ISO: Final = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?"
_RUNTIME_PREFIX: Final = re.compile(
    rf"\[(?P<py>[A-Z]+)\]\t{_ISO}\t(?P<py_id>{_UUID}|)\t"  # Python RIC text
    rf"|{_ISO}\t(?P<node_id>{_UUID}|undefined|)\t(?P<node>[A-Z]+)\t"  # Node.js RIC text
    rf"|\[(?P<java>TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\] "  # Java RIC text, Python's unhandled error
    rf"|{_ISO}\s+(?P<plain_id>{_UUID})\s+"  # the platform's and older runtimes' "<ts> <request id> "
    r"|\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)? "  # Go's log package
)
# A level word where loggers put it: first, or after a few tokens holding digits (time, pid) or brackets.
_LEADING_LEVEL: Final = re.compile(
    r"(?:\S*\d\S*\s+|\[[^\]\s]*\]\s+){0,4}[\[(]?(?P<name>"
    + "|".join(sorted(LEVEL_NAMES, key=len, reverse=True))
    + r"|Error|Fatal|Warning|Critical|Panic)[\])]?(?:[\s:|,]|-\s|$)"
)
# After a space: searched in the text with a space before it, which is "at the start or after a space", and lets the
# search jump from space to space.
_KEY_VALUE_LEVEL: Final = re.compile(r"\s(?:level|lvl|severity)=\"?(?P<name>[A-Za-z]+)", re.IGNORECASE)
_LOGGER_ID_KEYS: Final = (
    "function_request_id",
    "reqId",
    "request_id",
)  # Powertools, pino, slog: read by _REQUEST_ID too
_REQUEST_ID_VALUE: Final = re.compile(_UUID)
_REQUEST_ID: Final = re.compile(
    rf"(?:RequestId: |\"(?:requestId|AWSRequestId|function_request_id|reqId|request_id)\":\s*\"|request_id=)({_UUID})"
)
NODE_REPORTS: Final = ("Invoke Error ", "Uncaught Exception ", "Unhandled Promise Rejection ")
_QUIET_NAMES: Final = "|".join(name for name, level in LEVEL_NAMES.items() if level < Level.ERROR)
_NOT_A_PAYLOAD: Final = r"(?!\{|Invoke Error |Uncaught Exception |Unhandled Promise Rejection )"
# The commonest healthy lines state a level below ERROR where `read_line` finds it without reading further: a JSON
# record's "level" as its first or second key (a name in any case, or pino's number 4-49), in a record that can parse
# (it ends with its closing brace); the runtimes' text prefixes before a body that is not JSON; slog's text format,
# its level within the first 200 characters where `leading_level` looks (a longer time field is read the long way);
# a Java logger's text layout (log4j2, logback: "<date> <time> <request id> LEVEL ...") whose first 200 characters
# hold no "=" (a level=... field would win), the level word after three fields holding digits (`leading_level`).
# ASCII only: narrower than what `read_line` reads (so never wrong, at worst slower), and quicker to match.
_ASCII_ISO: Final = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?Z?"
QUIET_LINE: Final = re.compile(
    rf'\{{(?:"[A-Za-z0-9_]+":"[^"\\]*",)?"level":(?:"(?ai:{_QUIET_NAMES})"|0*(?:[4-9]|[1-4][0-9]))(?=[,}}])(?s:.*)\}}\Z'
    rf"|\[(?:{_QUIET_NAMES})\]\t{_ASCII_ISO}\t(?:{_UUID}|)\t{_NOT_A_PAYLOAD}"
    rf"|{_ASCII_ISO}\t(?:{_UUID}|undefined|)\t(?:{_QUIET_NAMES})\t{_NOT_A_PAYLOAD}"
    rf"|time=[!-~]{{1,177}} level=(?ai:{_QUIET_NAMES})[ \t]"
    rf"|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}} (?![^=]{{0,188}}=)[0-9:]{{8}}[.,][0-9]+ [!-~]*[0-9][!-~]* "
    rf"(?:{_QUIET_NAMES})[ \t]"
)
# The platform's own JSON records ({"time", "type", "record"}) fail only by their record's status.
_PLATFORM_RECORD: Final = re.compile(r'\{"time":"[^"\\]*","type":"platform\.\w+","record":\{')
_CAPITALISED: Final = frozenset(("Error", "Fatal", "Warning", "Critical", "Panic"))
_DECODER: Final = json.JSONDecoder()
_scan_json: Final = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__, not in its stub


class LogLine(NamedTuple):
    """A log line's parts: the level its writer stated, its request id, the text after the runtime's prefix."""

    message: str
    body: str
    level: Level
    request_id: str
    payload: dict[str, Any] | None


def read_line(message: str) -> LogLine:
    """Read a line's runtime prefix, its JSON payload and the level its writer stated, once."""
    prefix = _RUNTIME_PREFIX.match(message) if message[:1] != "{" else None
    runtime_level, request_id, body = UNKNOWN, "", message
    if prefix is not None:
        py, py_id, node_id, node, java, plain_id = prefix.groups()  # one call for the six groups
        runtime_level = LEVEL_NAMES.get(py or node or java or "", UNKNOWN)
        request_id = py_id or node_id or plain_id or ""
        request_id = "" if request_id == "undefined" else request_id
        body = message[prefix.end() :]
    payload = json_payload(body)
    level = UNKNOWN
    if payload is not None:
        level = payload_level(payload)
        request_id = request_id or _stated_request_id(payload)
    elif runtime_level is UNKNOWN:
        level = leading_level(body)  # a level word after a prefix that states none (Go's log, the platform's)
    # Every form `_REQUEST_ID` finds holds one of these words: a search of the pattern, which starts with no literal,
    # tries each position of the first 400 characters, where three `in` tests skip the lines that hold none.
    if not request_id and ("equestId" in message or "reqId" in message or "request_id" in message):
        found = _REQUEST_ID.search(message, 0, 400)
        request_id = found.group(1) if found else ""
    # Whoever wrote the body stated its level; the runtime's prefix only says which console method ran.
    return _new_line(LogLine, (message, body, level if level is not UNKNOWN else runtime_level, request_id, payload))


# A NamedTuple's own __new__ is a Python function that calls this; a candidate line is read once, so call it directly.
_new_line: Final = tuple.__new__


def _stated_request_id(payload: dict[str, Any]) -> str:
    """The request id a JSON record states at its top level: the runtimes' keys, then the loggers' (a UUID)."""
    stated = _text(payload.get("requestId") or payload.get("AWSRequestId"))
    if not stated:
        for key in _LOGGER_ID_KEYS:
            value = payload.get(key)
            if isinstance(value, str) and _REQUEST_ID_VALUE.fullmatch(value):
                return value
    return stated


def states_quiet_level(message: str) -> bool:
    """True when `read_line` would give the line a level below ERROR, known from its first few fields alone.

    A cheap test for the commonest healthy lines, so that they skip the search for failure words: whoever wrote
    the line stated its level, and that level decides (`line_level`). False means "read it".
    """
    return QUIET_LINE.match(message) is not None or is_healthy_platform_record(message)


def is_healthy_platform_record(message: str) -> bool:
    """A platform record whose status (if it has one) is "success", written as Lambda writes it (compact JSON)."""
    if message[-1:] != "}" or _PLATFORM_RECORD.match(message) is None:
        return False
    statuses = message.count('"status"')
    return statuses == 0 or (statuses == 1 and '"status":"success"' in message)


def json_payload(body: str) -> dict[str, Any] | None:
    """The JSON object a line is (after any prefix, or after Node's ``Invoke Error \\t``), if it is one."""
    if body.startswith("{"):
        start = 0
    elif body.startswith(NODE_REPORTS):
        start = body.find("{")
    else:
        return None  # "forwarding {...}" quotes a document; it is not the line's own record
    if not body.rstrip().endswith("}"):
        return None
    try:
        value, _ = _scan_json(body, start)  # raw_decode's own call, without its Python frame
    except (StopIteration, ValueError):  # raw_decode turns the scanner's StopIteration into a ValueError
        return None
    return value if isinstance(value, dict) else None


def payload_level(payload: dict[str, Any]) -> Level:
    """The level a structured logger wrote into its JSON record."""
    value = payload.get("level")
    if value.__class__ is str:  # the commonest record: a level name under "level", read through a memo
        level = _named_levels.get(value)
        if level is None:
            level = level_named(value)
            if len(_named_levels) < _NAMED_LEVELS_KEPT:
                _named_levels[value] = level
        return level
    for key in _LEVEL_KEYS:
        value = payload.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            return UNKNOWN
        if isinstance(value, int | float):
            return _numeric_level(int(value))
        if isinstance(value, str):
            return level_named(value)
    return UNKNOWN


_named_levels: Final[dict[str, Level]] = {}
_NAMED_LEVELS_KEPT: Final = 256  # loggers use a handful of names; a log full of odd ones is read without the memo


def level_named(name: str) -> Level:
    """A level from its name in any case; slog's offsets (``ERROR+2``, ``WARN-4``) count as the base level."""
    name = name.strip().upper()
    base = name.split("+", 1)[0].split("-", 1)[0]
    if name.isdigit():
        return _numeric_level(int(name))
    return LEVEL_NAMES.get(base, UNKNOWN)


def leading_level(body: str) -> Level:
    """The level a free-text line states: ``level=error``, or a level word where loggers put one."""
    if "=" in body:
        field = _KEY_VALUE_LEVEL.search(" " + body[:200])
        if field is not None:
            return level_named(field["name"])
    word = _LEADING_LEVEL.match(body)
    if word is None:
        return UNKNOWN
    name = word["name"]
    # Upper-case words are levels; "Error:" and "Warning:" open a message the same way.
    if name.isupper() or (name in _CAPITALISED and body[word.end() - 1 : word.end()] == ":"):
        return LEVEL_NAMES.get(name.upper(), UNKNOWN)
    return UNKNOWN


def _numeric_level(number: int) -> Level:
    if 0 <= number < len(_SYSLOG_NUMBERS):
        return _SYSLOG_NUMBERS[number]
    if number >= 60:
        return _CRITICAL
    return (Level.DEBUG, Level.DEBUG, Level.INFO, Level.WARNING, Level.ERROR)[min(max(number // 10 - 1, 0), 4)]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
