"""Exceptions inside JSON log records: Lambda's error objects and the structured loggers' error fields.

Shapes, from the sources:
- Lambda runtimes' error object: ``{"errorType", "errorMessage", "stackTrace" | "stack" | "trace"}``; Python's
  stackTrace is `traceback.format_tb` text (awslambdaric/bootstrap.py), Node.js's the V8 stack split in lines
  (src/Errors.js `toFormatted`, src/LogPatch.js `jsonErrorReplacer`), Java's frames as
  ``"com.x.Handler.handle(Handler.java:20)"``, Go's ``[{"path", "line", "label"}]``
  (aws-lambda-go lambda/messages/messages.go), with an optional nested ``cause``.
- Node.js's JSON log format puts that object under ``message`` (LogPatch.js `formatJsonMessage`).
- Powertools for Python: ``exception`` (the formatted traceback) and ``exception_name``; Powertools for
  TypeScript: ``error: {name, location, message, stack}``; pino's and bunyan's ``err: {type | name, message,
  stack}``; winston's top-level ``stack``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from bot.grouping.frames import Frame
from bot.grouping.records import json_payload
from bot.grouping.stacktraces import (
    ParsedException,
    go_frame,
    java_frames,
    node_frames,
    parse_stack_trace,
    python_frames,
)

_NESTED: Final = ("err", "error", "exception", "message", "errorInfo")


def error_payload(message: str) -> dict[str, Any] | None:
    """The JSON object of a message, when it carries an exception."""
    payload = json_payload(message)
    return payload if payload is not None and exception_in(payload) is not None else None


def exception_in(payload: dict[str, Any]) -> ParsedException | None:
    """The exception a JSON log record carries, wherever its writer put it, or None."""
    if "errorType" in payload or "errorMessage" in payload:
        return parse_payload(payload)
    for key in _NESTED:
        value = payload.get(key)
        if isinstance(value, dict) and _is_error_object(value):
            return _parse_error_object(value)
    message = payload.get("message")
    if isinstance(message, str) and ("\n\tat " in message or "\n    at " in message or "Traceback (" in message):
        return parse_stack_trace(message)  # a stack trace logged as the message (the Java runtime's report)
    traceback = payload.get("exception") or payload.get("stack") or payload.get("stack_trace")
    if isinstance(traceback, str) and traceback:
        parsed = parse_stack_trace(traceback)
        if parsed is not None:
            return parsed
        name = payload.get("exception_name")
        if isinstance(name, str) and name:
            return ParsedException(name, _text(payload.get("message")), [])
    return None


def parse_payload(payload: dict[str, Any]) -> ParsedException:
    """The exception a Lambda error object describes, whichever runtime printed it."""
    exc_type = _text(payload.get("errorType")) or "Error"
    message = _text(payload.get("errorMessage"))
    frames = _frames(payload)
    causes: list[str] = []
    cause = payload.get("cause")
    while isinstance(cause, dict) and len(causes) < 10:
        causes.append(_text(cause.get("errorType")))
        frames += _frames(cause)
        cause = cause.get("cause")
    return ParsedException(exc_type, message.strip(), frames, tuple(causes))


def _is_error_object(value: dict[str, Any]) -> bool:
    if "errorType" in value or "errorMessage" in value:
        return True
    named = isinstance(value.get("type") or value.get("name"), str)
    return named and ("message" in value or "stack" in value)


def _parse_error_object(value: dict[str, Any]) -> ParsedException:
    if "errorType" in value or "errorMessage" in value:
        return parse_payload(value)
    exc_type = _text(value.get("type")) or _text(value.get("name")) or "Error"
    return ParsedException(exc_type, _text(value.get("message")).strip(), _frames(value))


def _frames(payload: dict[str, Any]) -> list[Frame]:
    stack = payload.get("stack", payload.get("stackTrace", payload.get("trace")))
    if isinstance(stack, str):
        stack = stack.splitlines()
    if not isinstance(stack, list) or not stack:
        return []
    if all(isinstance(entry, dict) for entry in stack):
        # Go: [{"path": "/var/task/main.go", "line": 25, "label": "handler"}, ...]
        return [go_frame(_text(e.get("label")), _text(e.get("path")), str(e.get("line") or "")) for e in stack]
    try:
        text = "\n".join(stack)  # the runtimes write strings: one C call instead of a Python call a line
    except TypeError:
        text = "\n".join(_text(entry) for entry in stack)
    if 'File "' in text:
        return python_frames(text)
    if node := node_frames(text):
        return node
    return java_frames(text)


def _text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)
