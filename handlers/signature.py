"""Verify, then parse: a request to /slack/events is checked against Slack's signature on its raw bytes before
anything reads it, so that nothing from an unverified request (a `response_url`, a payload) is ever used.

Slack signs `v0:{timestamp}:{body}` with the app's signing secret (HMAC-SHA256, hex, prefixed `v0=`) and sends the
timestamp in `X-Slack-Request-Timestamp`; a request older (or newer) than five minutes is refused as a replay.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

MAX_AGE_SECONDS = 300
_TIMESTAMP_DIGITS = 12


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
