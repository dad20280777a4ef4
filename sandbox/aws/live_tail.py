"""CloudWatch Logs' StartLiveTail for moto's server, as a real event stream over HTTP.

moto (5.2.6, the newest on PyPI) answers StartLiveTail with one finite batch of the events already stored. AWS keeps
the response open and streams (API reference, StartLiveTail): a `sessionStart`, then a `sessionUpdate` every second
with the events ingested during that second that match the request (an empty `sessionResults` when none did, at most
500, `sampled` when more matched), until the session ends: a `SessionTimeoutException` after three hours, a
`SessionStreamingException` on a server-side error, or the client closing the stream.

`install()` puts a WSGI wrapper in front of moto's dispatcher (before the server starts) that answers StartLiveTail
itself with `application/vnd.amazon.eventstream` framing (the binary messages botocore/eventstream.py decodes: prelude,
headers, payload, CRC32s; for the JSON protocol an `initial-response` event comes first), and hooks moto's
`LogStream.put_log_events` so that every event put is offered to the open sessions. Validation and errors are moto's
own (at most 10 log groups, logStreamNames or logStreamNamePrefixes with one group only) plus ResourceNotFound for an
unknown group and LimitExceeded past AWS's 15 concurrent sessions per account and region.

The filter pattern is matched as CloudWatch matches plain terms: every bare term and quoted phrase must appear, `-term`
must not, `?term`s need any one; terms are case-sensitive. Other syntax (JSON `{ }`, space-delimited `[ ]`, `%regex%`)
matches everything, as moto's own filters do.

For tests: `set_session_limit(seconds)` shortens the three hours, `break_sessions()` ends open sessions with
SessionStreamingException, `refuse_sessions(code)` makes new ones fail until called with None, `open_sessions()`
counts them (`started_after=sessions_started()` taken earlier: only those started since).
"""

from __future__ import annotations

import binascii
import json
import random
import re
import shlex
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.logs.models import LogGroup, LogStream, logs_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

TARGET = "Logs_20140328.StartLiveTail"
UPDATE_SECONDS = 1.0
"""AWS sends a sessionUpdate every second."""
MAX_RESULTS = 500
MAX_GROUPS = 10
MAX_SESSIONS = 15
"""Concurrent Live Tail sessions per account and region (CloudWatch Logs quotas)."""
SESSION_SECONDS = 3 * 3600.0
_UNSUPPORTED = re.compile(r"^\s*[{\[%]")
_lock = threading.Condition()
_sessions: list[LiveSession] = []
_settings: dict[str, Any] = {"limit": SESSION_SECONDS, "refuse": None}
_started = [0]
"""How many sessions this process has started."""


@dataclass
class LiveSession:
    account: str
    region: str
    groups: dict[str, str]
    """Log group name → the identifier the events carry (its ARN)."""
    stream_names: list[str]
    stream_prefixes: list[str]
    matches: Callable[[str], bool]
    pending: list[dict[str, Any]] = field(default_factory=list)
    ended_with: tuple[str, str] | None = None
    number: int = 0
    """The how-manyth session this process started (1 for the first)."""

    def wants(self, stream: LogStream) -> bool:
        group = stream.log_group
        if stream.account_id != self.account or stream.region != self.region or group.name not in self.groups:
            return False
        name = stream.log_stream_name
        if self.stream_names:
            return name in self.stream_names
        return not self.stream_prefixes or any(name.startswith(p) for p in self.stream_prefixes)


def install() -> None:
    """Answer StartLiveTail with a stream and feed it from PutLogEvents; idempotent."""
    if getattr(DomainDispatcherApplication, "_live_tail_installed", False):
        return
    original_call = DomainDispatcherApplication.__call__
    original_put = LogStream.put_log_events

    def dispatch(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET") == TARGET:
            return _start_live_tail(environ, start_response)
        return original_call(self, environ, start_response)

    def put_log_events(self: LogStream, log_events: list[dict[str, Any]]) -> str:
        before = len(self.events)
        token = original_put(self, log_events)
        _offer(self, self.events[before:])
        return token

    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]
    LogStream.put_log_events = put_log_events  # type: ignore[method-assign]
    DomainDispatcherApplication._live_tail_installed = True  # type: ignore[attr-defined]


def set_session_limit(seconds: float) -> None:
    """How long sessions started from now last before SessionTimeoutException (AWS: three hours)."""
    _settings["limit"] = seconds


def refuse_sessions(code: str | None) -> None:
    """Answer new StartLiveTail calls with this error code (e.g. "ServiceUnavailableException"); None: stop."""
    _settings["refuse"] = code


def break_sessions(message: str = "Internal failure") -> int:
    """End every open session with SessionStreamingException; returns how many there were."""
    with _lock:
        for session in _sessions:
            session.ended_with = ("SessionStreamingException", message)
        _lock.notify_all()
        return len(_sessions)


def open_sessions(*, started_after: int = 0) -> int:
    """Open sessions; with `started_after` (a `sessions_started()`), only the ones started since."""
    with _lock:
        return sum(1 for s in _sessions if s.ended_with is None and s.number > started_after)


def sessions_started() -> int:
    """How many sessions were started so far: a mark for `open_sessions(started_after=...)`."""
    with _lock:
        return _started[0]


def reset() -> None:
    """Back to AWS's behaviour: three-hour sessions, none refused."""
    _settings.update(limit=SESSION_SECONDS, refuse=None)


def _offer(stream: LogStream, events: list[Any]) -> None:
    if not events:
        return
    with _lock:
        for session in _sessions:
            if session.wants(stream):
                identifier = session.groups[stream.log_group.name]
                session.pending.extend(
                    {"logStreamName": stream.log_stream_name, "logGroupIdentifier": identifier,
                     "message": e.message, "timestamp": e.timestamp, "ingestionTime": e.ingestion_time}
                    for e in events if session.matches(e.message)
                )  # fmt: skip
        _lock.notify_all()


def term_matcher(pattern: str | None) -> Callable[[str], bool]:
    """CloudWatch's plain-term filter pattern as a predicate on a message (see the module's docstring)."""
    if not pattern or not pattern.strip() or _UNSUPPORTED.match(pattern):
        return lambda _message: True
    try:
        terms = shlex.split(pattern)
    except ValueError:
        return lambda _message: True
    anyof = [t[1:] for t in terms if t.startswith("?") and len(t) > 1]
    without = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]
    required = [t for t in terms if not t.startswith(("?", "-"))]

    def matches(message: str) -> bool:
        if any(t in message for t in without) or not all(t in message for t in required):
            return False
        return not anyof or any(t in message for t in anyof)

    return matches


# --- HTTP ---------------------------------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _start_live_tail(environ: dict[str, Any], start_response: Any) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    try:
        session, start = _open(environ, body)
    except _Refused as exc:
        payload = json.dumps({"__type": exc.code, "message": exc.message}).encode()
        start_response(f"{exc.status} Error", [("Content-Type", "application/x-amz-json-1.1"),
                                               ("Content-Length", str(len(payload))),
                                               ("x-amzn-RequestId", str(uuid.uuid4()))])  # fmt: skip
        return [payload]
    start_response("200 OK", [("Content-Type", "application/vnd.amazon.eventstream"),
                              ("x-amzn-RequestId", start["requestId"])])  # fmt: skip
    return _stream(session, start)


def _open(environ: dict[str, Any], body: dict[str, Any]) -> tuple[LiveSession, dict[str, Any]]:
    from moto.iam.models import get_account_id_from

    authorization = environ.get("HTTP_AUTHORIZATION", "")
    credential = re.search(r"Credential=([^/]+)/[^/]+/([^/]+)/", authorization)
    access_key, region = (credential.group(1), credential.group(2)) if credential else ("AKIAEXAMPLE", "us-east-1")
    account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or get_account_id_from(access_key)
    if _settings["refuse"]:
        raise _Refused(_settings["refuse"], "Live Tail is unavailable right now.", 503)
    identifiers = body.get("logGroupIdentifiers") or []
    names, prefixes = body.get("logStreamNames"), body.get("logStreamNamePrefixes")
    if not identifiers or len(identifiers) > MAX_GROUPS:
        raise _Refused("InvalidParameterException", "1 validation error detected: Value at 'logGroupIdentifiers' "
                       f"failed to satisfy constraint: Member must have length between 1 and {MAX_GROUPS}")  # fmt: skip
    if names is not None and prefixes is not None:
        raise _Refused(
            "InvalidParameterException", "Only one of logStreamNames or logStreamNamePrefixes can be provided."
        )
    if (names is not None or prefixes is not None) and len(identifiers) != 1:
        single = "logStreamNames and logStreamNamePrefixes can only be used with a single log group."
        raise _Refused("InvalidParameterException", single)
    backend = logs_backends[account][region]
    groups: dict[str, str] = {}
    for identifier in identifiers:
        group = _group(backend.groups, identifier)
        groups[group.name] = group.arn
    pattern = body.get("logEventFilterPattern")
    session = LiveSession(account, region, groups, names or [], prefixes or [], term_matcher(pattern))
    with _lock:
        if sum(1 for s in _sessions if (s.account, s.region) == (account, region)) >= MAX_SESSIONS:
            raise _Refused("LimitExceededException", f"At most {MAX_SESSIONS} concurrent Live Tail sessions.")
        _started[0] += 1
        session.number = _started[0]
        _sessions.append(session)
    start = {
        "requestId": str(uuid.uuid4()), "sessionId": str(uuid.uuid4()), "logGroupIdentifiers": list(groups.values()),
        "logStreamNames": names or [], "logStreamNamePrefixes": prefixes or [], "logEventFilterPattern": pattern or "",
    }  # fmt: skip
    return session, start


def _group(groups: dict[str, LogGroup], identifier: str) -> LogGroup:
    """A log group by name or ARN (moto's own lookup by ARN falls back to the last group)."""
    if identifier.endswith("*"):
        raise _Refused("InvalidParameterException", "A log group ARN can't end with an asterisk (*).")
    found = groups.get(identifier) or next((g for g in groups.values() if g.arn == identifier), None)
    if found is None:
        raise _Refused("ResourceNotFoundException", f"The specified log group does not exist: {identifier}")
    return found


def _stream(session: LiveSession, start: dict[str, Any]) -> Iterator[bytes]:
    """The session's messages: written as they are yielded (werkzeug sends each as a chunk and flushes), until
    the session ends or the client goes away (the next write fails and the server closes this generator)."""
    ends_at = time.monotonic() + float(_settings["limit"])
    try:
        yield event_message("initial-response", {})
        yield event_message("sessionStart", start)
        next_update = time.monotonic() + UPDATE_SECONDS
        while True:
            with _lock:
                while session.ended_with is None and time.monotonic() < min(next_update, ends_at):
                    _lock.wait(timeout=max(0.0, min(next_update, ends_at) - time.monotonic()))
                ended, results, session.pending = session.ended_with, session.pending, []
            if ended is not None:
                yield exception_message(*ended)
                return
            if time.monotonic() >= ends_at:
                yield exception_message("SessionTimeoutException", "Session timed out after three hours.")
                return
            sampled = len(results) > MAX_RESULTS
            if sampled:
                results = sorted(random.sample(results, MAX_RESULTS), key=lambda e: e["timestamp"])
            update = {"sessionMetadata": {"sampled": sampled}, "sessionResults": results}
            yield event_message("sessionUpdate", update)
            next_update += UPDATE_SECONDS
    finally:
        with _lock:
            if session in _sessions:
                _sessions.remove(session)


# --- event stream framing (the format botocore/eventstream.py decodes) ----------------------------------------------


def event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    headers = {":message-type": "event", ":event-type": event_type, ":content-type": "application/json"}
    return frame(headers, json.dumps(payload).encode())


def exception_message(exception_type: str, message: str) -> bytes:
    headers = {":message-type": "exception", ":exception-type": exception_type, ":content-type": "application/json"}
    return frame(headers, json.dumps({"message": message}).encode())


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event stream message: total and headers lengths, the prelude's CRC32, headers (type 7, string), the
    payload, and the CRC32 of everything before it."""
    encoded = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        encoded += struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", 7, len(raw_value)) + raw_value
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded))
    prelude += struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + encoded + payload
    return message + struct.pack("!I", binascii.crc32(message) & 0xFFFFFFFF)
