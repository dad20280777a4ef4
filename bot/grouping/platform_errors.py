"""Failures the Lambda platform records itself: timeouts, runtime exits, out of memory, failed inits.

The platform writes, in the text log format, ``START``/``END``/``REPORT RequestId: …`` for every invocation,
``INIT_START``/``INIT_REPORT`` for an init, and for a failure ``<ts> <request id> Task timed out after 3.00
seconds`` or ``RequestId: <id> Error: Runtime exited with error: signal: killed`` followed by its error type
(``Runtime.ExitError``, ``Runtime.OutOfMemory``). A failed invocation's ``REPORT`` line (and a failed init's
``INIT_REPORT``) ends in ``Status: timeout`` or ``Status: error`` with ``Error Type: Runtime.…``. In the JSON log
format the same records are ``{"time", "type": "platform.report", "record": {"status", "errorType", …}}``
(docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html, telemetry-schema-reference.html).

Each record is a signature of its own, as in Sentry: a timeout's message and its REPORT line are two groups;
tying them into one incident is the incident layer's job. Exit statuses, signals and error types are part of
the signature (a segfault is not an OOM kill); durations, memory sizes and request ids are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

_FAILED_STATUSES: Final = frozenset({"error", "failure", "timeout"})
_TEXT_REPORTS: Final = ("REPORT ", "INIT_REPORT ", "RESTORE_REPORT ")
_QUIET_RECORDS: Final = ("START ", "END ", "INIT_START ", "EXTENSION ", "TELEMETRY ", "RESTORE_START ", "LOGS ")
# Fields that start a word; `_word_search` checks the word's start (a leading \b would make each search try every
# position of the line instead of jumping to the field's name).
_STATUS: Final = re.compile(r"Status: (?P<status>\w+)")
_ERROR_TYPE: Final = re.compile(r"Error Type: (?P<type>[\w.]+)")
_PHASE: Final = re.compile(r"Phase: (?P<phase>\w+)")
_TIMEOUT: Final = re.compile(r"Task timed out after [\d.]+ seconds")
_RUNTIME_EXIT: Final = re.compile(
    r"Runtime exited (?:with error: (?P<reason>(?:signal: \w+|exit status \d+))|without providing a reason)"
)
_RUNTIME_TYPE: Final = re.compile(r"(?:Runtime|Sandbox)\.\w+")


@dataclass(frozen=True)
class PlatformRecord:
    """A failure the platform recorded: which record, its canonical template, the error type it named."""

    record: str
    template: str
    error_type: str = ""


# Every timeout's record: made once, not for each of a log group's timeouts.
_TIMED_OUT: Final = PlatformRecord("timeout", "Task timed out after <*> seconds", "Sandbox.Timedout")


def platform_failure(message: str, payload: dict[str, Any] | None = None) -> PlatformRecord | None:
    """The failure a platform record reports, None for a healthy record or a line the platform did not write."""
    if payload is not None:
        return _json_record(payload)
    return _text_record(message)


@lru_cache(maxsize=16)  # `line_level` and `line_signature` read the same line one after the other
def _text_record(message: str) -> PlatformRecord | None:
    if message.startswith(_QUIET_RECORDS):
        return None
    if message.startswith(_TEXT_REPORTS):
        return _text_report(message)
    if "Task timed out after" in message and _TIMEOUT.search(message, 0, 200):
        return _TIMED_OUT
    if "Runtime exited" in message:
        found = _RUNTIME_EXIT.search(message)
        if found is not None:
            error_type = _runtime_type(message[found.end() :])
            reason = f": {found['reason']}" if found["reason"] else " without providing a reason"
            return PlatformRecord(
                "runtime exit", _with_type(f"Runtime exited with error{reason}", error_type), error_type
            )
    return None


def is_quiet_record(message: str) -> bool:
    """True for the platform's records of every healthy invocation (START, END, INIT_START …)."""
    return message.startswith(_QUIET_RECORDS)


def _text_report(message: str) -> PlatformRecord | None:
    status = _word_search(_STATUS, message)
    if status is None or status["status"] not in _FAILED_STATUSES:
        return None
    record = message.split(" ", 1)[0]
    error_type = _word_search(_ERROR_TYPE, message)
    phase = _word_search(_PHASE, message)
    return _report(record, status["status"], error_type["type"] if error_type else "", phase["phase"] if phase else "")


def _json_record(payload: dict[str, Any]) -> PlatformRecord | None:
    kind = payload.get("type")
    record = payload.get("record")
    if not isinstance(kind, str) or not kind.startswith("platform.") or not isinstance(record, dict):
        return None
    status = record.get("status")
    if status not in _FAILED_STATUSES:
        return None
    name = {
        "platform.report": "REPORT",
        "platform.initReport": "INIT_REPORT",
        "platform.restoreReport": "RESTORE_REPORT",
    }
    error_type = record.get("errorType") if isinstance(record.get("errorType"), str) else ""
    phase = record.get("phase") if isinstance(record.get("phase"), str) else ""
    return _report(name.get(kind, kind), str(status), error_type or "", phase or "")


@lru_cache(maxsize=256)  # a log group's failed invocations repeat a few records; each is made once
def _report(record: str, status: str, error_type: str, phase: str) -> PlatformRecord:
    phase_text = f" Phase: {phase}" if phase and record != "REPORT" else ""
    return PlatformRecord(record, _with_type(f"{record}{phase_text} Status: {status}", error_type), error_type)


def _runtime_type(rest: str) -> str:
    found = _word_search(_RUNTIME_TYPE, rest, 200)
    return found.group() if found else ""


def _word_search(field: re.Pattern[str], text: str, end: int | None = None) -> re.Match[str] | None:
    """The first match of the field (whose name starts with a letter) at the start of a word, as ``\\b`` says."""
    end = len(text) if end is None else end
    found = field.search(text, 0, end)
    while found is not None and found.start() > 0 and _is_word(text[found.start() - 1]):
        found = field.search(text, found.start() + 1, end)
    return found


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"


def _with_type(text: str, error_type: str) -> str:
    return f"{text} ({error_type})" if error_type else text
