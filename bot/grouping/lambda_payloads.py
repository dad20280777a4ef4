"""The JSON error object Lambda runtimes print for an unhandled error (errorType, errorMessage, stack)."""

from __future__ import annotations

import json
from typing import Any

from bot.grouping.frames import Frame
from bot.grouping.stacktraces import (
    ParsedException,
    go_frame,
    java_frames,
    node_frames,
    python_frames,
)

_DECODER = json.JSONDecoder()


def error_payload(message: str) -> dict[str, Any] | None:
    """The first JSON object in the message that has an errorType or errorMessage, if any."""
    start = message.find("{")
    while start != -1:
        try:
            value, _ = _DECODER.raw_decode(message, start)
        except ValueError:
            value = None
        if isinstance(value, dict) and ("errorType" in value or "errorMessage" in value):
            return value
        start = message.find("{", start + 1)
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


def _frames(payload: dict[str, Any]) -> list[Frame]:
    stack = payload.get("stack", payload.get("stackTrace", payload.get("trace")))
    if isinstance(stack, str):
        stack = stack.splitlines()
    if not isinstance(stack, list) or not stack:
        return []
    if all(isinstance(entry, dict) for entry in stack):
        # Go: [{"path": "/var/task/main.go", "line": 25, "label": "handler"}, ...]
        return [go_frame(_text(entry.get("label")), _text(entry.get("path"))) for entry in stack]
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
