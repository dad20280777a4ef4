"""Verify, then parse: a request to /slack/events is checked against Slack's signature on its raw bytes before
anything reads it, so that nothing from an unverified request (a `response_url`, a payload) is ever used.

Slack signs `v0:{timestamp}:{body}` with the app's signing secret (HMAC-SHA256, hex, prefixed `v0=`) and sends the
timestamp in `X-Slack-Request-Timestamp`; a request older (or newer) than five minutes is refused as a replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

MAX_AGE_SECONDS = 300
_TIMESTAMP_DIGITS = 12
_EVENT_ID_CHARS = 64


def signature_problem(headers: Mapping[str, str], body: bytes, *, secret: str, now: float) -> str | None:
    """Why the request is not verifiably Slack's, or None when it is."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        return "no signature"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _TIMESTAMP_DIGITS):
        return "a timestamp that is not a number"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "a stale timestamp"
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "a wrong signature"
    return None


class ReplayGuard:
    """Remembers the signed requests (and Events API `event_id`s) of the last five minutes, so that a captured
    request sent again, or an event Slack retries (`X-Slack-Retry-Num`), is answered without running twice.

    In process memory: the fast path of `handlers.replays.SharedReplayGuard`, which also asks the table every
    replica shares."""

    def __init__(self, *, seconds: float = MAX_AGE_SECONDS, most: int = 100_000) -> None:
        self._seconds = seconds
        self._most = most
        self._seen: dict[str, float] = {}

    def first_time(self, key: str, now: float) -> bool:
        """True the first time `key` is seen in the window; False for a repeat."""
        while self._seen and (len(self._seen) >= self._most or next(iter(self._seen.values())) < now - self._seconds):
            self._seen.pop(next(iter(self._seen)))
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


def replay_key(headers: Mapping[str, str], body: bytes) -> str:
    """What identifies a request across resends: an Events API callback's `event_id`, else a digest of its signature
    (which covers the timestamp and the body). At most 80 characters, whatever the request carries."""
    if body.startswith(b"{") and b'"event_id"' in body:
        try:
            event_id = json.loads(body).get("event_id")
        except (ValueError, AttributeError, RecursionError):
            event_id = None
        if isinstance(event_id, str) and event_id:
            return f"event:{event_id}" if len(event_id) <= _EVENT_ID_CHARS else f"event:{_digest(event_id)}"
    return "signature:" + _digest(headers.get("X-Slack-Signature", ""))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
