"""The error signature of one log event, by Sentry's rules.

With an exception: its type (and chained causes), its in-app frames (file, function and line) and its message
template, so that one call site failing with two AWS error codes is two groups. A platform failure: its
record's canonical template. Otherwise the message template. The scope (one log group) is the caller's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final, Literal

from mypy_extensions import mypyc_attr

from bot.grouping.frames import in_app_labels
from bot.grouping.lambda_payloads import exception_in
from bot.grouping.masking import WILDCARD, mask
from bot.grouping.platform_errors import platform_failure
from bot.grouping.records import LEVEL_NAMES, LogLine, read_line
from bot.grouping.stacktraces import ParsedException, parse_stack_trace

Kind = Literal["exception", "platform", "template"]
TITLE_LIMIT: Final = 200

_MESSAGE_KEYS: Final = ("msg", "message", "Message", "error_message", "event")
_ERROR_KEYS: Final = ("err", "error", "error_message", "reason")
# After a space: read in the line with a space before it ("at the start or after a space").
_LOGFMT_FIELD: Final = re.compile(r'\s(?P<key>msg|message|err|error)=(?P<value>"[^"\\]*(?:\\.[^"\\]*)*"|\S+)')
# A level word (and the time before it) opening a free-text line; the template reads better without it.
_LEADING_LEVEL: Final = re.compile(r"(?:<\*>\s*)*\[?(?:" + "|".join(LEVEL_NAMES) + r")\]?(?:\s*[:|-])?\s+")
_LEADING_LEVEL_STARTS: Final = frozenset("<[" + "".join(name[0] for name in LEVEL_NAMES))


# A plain Python class when compiled (bot/grouping/__init__.py), so that `_signature` can fill its __dict__, and the
# rest of the bot (views, the store) sees the dataclass it always saw.
@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class ErrorSignature:
    """What identifies an error group: a stable key, and what to show people about it."""

    key: str
    kind: Kind
    title: str
    template: str
    culprit: str | None = None


# Signatures already made, by key: an event of a known group gets its group's signature without a title of its own.
Known = Mapping[str, ErrorSignature]
_NONE_KNOWN: Final[Known] = MappingProxyType({})


def signature_key(*parts: str) -> str:
    """A short hash of the parts, the same in every process and on every machine."""
    return _key(parts)


@lru_cache(maxsize=1 << 14)  # most events of a window belong to a group seen before
def _key(parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def fingerprint(message: str) -> ErrorSignature:
    """The error signature of one log event, with no memory of other events."""
    return line_signature(read_line(message))


def line_signature(line: LogLine, text: str | None = None, known: Known = _NONE_KNOWN) -> ErrorSignature:
    """The signature of a read line; `text` is the whole crash dump when the line is a dump's header.

    A line's signature depends on its body (the text after the runtime's prefix) and on where the body starts, and
    nothing else: the prefix holds a time, a request id and a level, none of which is part of a signature, and the
    one search of the whole line that a position bounds (platform_errors' timeout) sees the same text at the same
    place. Lines of one failure repeat their body under a new prefix ("Database connection pool exhausted" in every
    failed invocation), so each distinct body is read once; `known` then picks the group's own signature as before.
    A line without a runtime prefix (a JSON logger's record, with its own time and request id) is read each time:
    it hardly ever repeats, and remembering it costs more than it saves (seed-1 corpus: 19 repeats in 2,320 lines,
    against 809 in 1,563 prefixed lines).
    """
    offset = len(line.message) - len(line.body)
    if text is None and offset and len(line.body) <= _REMEMBERED_BODY:
        remembered = (offset, line.body)
        read = _read_bodies.get(remembered)
        if read is None:
            if len(_read_bodies) >= _BODIES_KEPT:
                _read_bodies.clear()
            read = _read_bodies[remembered] = [_line_parts(line, None), None]
        signature = known.get(read[0][0]) or read[1]
        if signature is None:  # made once, the first time a caller did not know the key
            signature = read[1] = _signature(read[0])
        return signature
    parts = _line_parts(line, text)
    return known.get(parts[0]) or _signature(parts)


# A signature's fields: key, kind, title, template, culprit.
Parts = tuple[str, Kind, str, str, "str | None"]


def _signature(parts: Parts) -> ErrorSignature:
    """The signature of these fields, made without the frozen dataclass's __init__ (which sets each field through
    object.__setattr__, ~2.5 times as long): a check's run makes one for each error group it sees."""
    signature = _new_object(ErrorSignature)
    fields = signature.__dict__
    fields["key"], fields["kind"], fields["title"], fields["template"], fields["culprit"] = parts
    return signature


_new_object: Final = object.__new__
# By (where the body starts, body): its signature's fields, and its signature once made.
_read_bodies: Final[dict[tuple[int, str], list]] = {}
_BODIES_KEPT: Final = 1 << 12
_REMEMBERED_BODY: Final = 4096  # longer bodies are read each time, so that the memo stays small


def _line_parts(line: LogLine, text: str | None) -> Parts:
    body = (text if text is not None else line.body).replace("\r", "\n")
    platform = platform_failure(line.message if line.payload is None else "", line.payload)
    if platform is not None:
        return signature_key("platform", platform.template), "platform", platform.template, platform.template, None
    parsed = exception_in(line.payload) if line.payload is not None else parse_stack_trace(body)
    if parsed is not None:
        return _exception_parts(parsed)
    template = mask(human_message(line.payload, body))
    if template[:1] in _LEADING_LEVEL_STARTS and (level := _LEADING_LEVEL.match(template)):
        template = template[level.end() :]
    return _message_parts(template)


def exception_signature(parsed: ParsedException, known: Known = _NONE_KNOWN) -> ErrorSignature:
    """Type, causes, in-app frames (with lines) and the message template; a runtime's own type is platform."""
    parts = _exception_parts(parsed)
    return known.get(parts[0]) or _signature(parts)


def _exception_parts(parsed: ParsedException) -> Parts:
    frames = in_app_labels(parsed.frames)
    message = parsed.message.replace("\r", "\n").split("\n", 1)[0].strip()
    template = mask(message)
    runtime_type = parsed.type.startswith(("Runtime.", "Sandbox."))
    # Runtimes name a type by its class alone (type(e).__name__) or qualified (a traceback's last line).
    short_type = parsed.type if runtime_type else parsed.type.rsplit(".", 1)[-1]
    key = signature_key("exception", short_type, *parsed.causes, *frames, template)
    shown = f"{parsed.type}: {template}" if template else parsed.type
    # The title shows the first event's own message, as Sentry does; the template is what the group shares.
    title = f"{parsed.type}: {message}" if message else parsed.type
    return key, "platform" if runtime_type else "exception", _short(title), shown, frames[0] if frames else None


def message_signature(template: str, known: Known = _NONE_KNOWN) -> ErrorSignature:
    """The signature of a message without an exception; the key is its template alone."""
    parts = _message_parts(template)
    return known.get(parts[0]) or _signature(parts)


def _message_parts(template: str) -> Parts:
    template = template.strip() or WILDCARD
    return signature_key("template", template), "template", _short(template), template, None


def human_message(payload: dict[str, Any] | None, body: str) -> str:
    """What the writer said, as people write it: ``resize failed: <err>`` rather than the whole record."""
    if payload is not None:
        said = _first_text(payload, _MESSAGE_KEYS)
        error = _first_text(payload, _ERROR_KEYS)
        if said or error:
            return f"{said}: {error}" if said and error and error != said else said or error
        return body
    first = body.strip().split("\n", 1)[0]
    if "=" in first:
        fields = {m["key"]: _unquote(m["value"]) for m in _LOGFMT_FIELD.finditer(" " + first)}
        said = fields.get("msg") or fields.get("message") or ""
        error = fields.get("err") or fields.get("error") or ""
        if said:
            return f"{said}: {error}" if error else said
    return first


def _first_text(payload: dict[str, Any], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _unquote(value: str) -> str:
    return value[1:-1].replace('\\"', '"') if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _short(text: str) -> str:
    text = text.strip() or WILDCARD
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…"
