"""Slack's side of the app's interfaces: signed HTTP requests to `/slack/events`, or Socket Mode envelopes."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict
from urllib.parse import urlencode

import aiohttp

from sandbox.slack.socket_mode import SocketMode
from sandbox.slack.state import SlackState

Via = Literal["http", "socket"]


@dataclass
class Delivery:
    """What the app answered: HTTP status, headers and body (over Socket Mode: 200 and the ack's payload)."""

    status: int
    headers: dict[str, str]
    body: str
    elapsed: float
    response_url: str | None = None
    trigger_id: str | None = None
    ack_error: str | None = None
    sent_headers: dict[str, str] = field(default_factory=dict)
    """What was sent over HTTP, byte for byte: what a replay of the request sends again."""
    sent_body: str = ""

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def ack_body(self) -> dict[str, Any] | None:
        """The ack as a message body: JSON as is, plain text as `{"text": ...}`, nothing when empty."""
        if self.status != 200 or not self.body:
            return None
        if self.body.lstrip().startswith("{"):
            return self.json()
        return {"text": self.body}


@dataclass
class Tampering:
    """Ways to make a request Slack would never send, for the app's rejection paths."""

    forge_signature: bool = False
    stale_by: float = 0.0
    retry_num: int | None = None
    retry_reason: str = "http_timeout"
    extra_headers: dict[str, str] = field(default_factory=dict)


class TamperingOptions(TypedDict, total=False):
    """The keyword form of Tampering accepted by every `send_*` method."""

    forge_signature: bool
    stale_by: float
    retry_num: int
    retry_reason: str
    extra_headers: dict[str, str]


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 over `v0:<timestamp>:<body>`."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


class Sender:
    def __init__(self, state: SlackState, socket_mode: SocketMode, signing_clock: Callable[[], float]) -> None:
        self._state = state
        self._socket_mode = socket_mode
        self._signing_clock = signing_clock
        self._session: aiohttp.ClientSession | None = None
        self.ack_timeout = 3.0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(
        self,
        app_url: str | None,
        *,
        kind: str,
        payload: dict[str, Any],
        via: Via,
        tampering: Tampering,
    ) -> Delivery:
        """`kind` is slash_commands, interactive or events_api, as Socket Mode names them."""
        if via == "socket":
            return await self._over_socket(kind, payload, tampering)
        if app_url is None:
            raise ValueError("app_url is needed to deliver over HTTP")
        if kind == "events_api":
            body, content_type = json.dumps(payload), "application/json"
        elif kind == "interactive":
            body, content_type = urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        else:
            body, content_type = urlencode(payload), "application/x-www-form-urlencoded"
        return await self._over_http(app_url, body, content_type, tampering)

    async def _over_http(self, app_url: str, body: str, content_type: str, tampering: Tampering) -> Delivery:
        timestamp = str(int(self._signing_clock() - tampering.stale_by))
        secret = "forged-" + self._state.signing_secret if tampering.forge_signature else self._state.signing_secret
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature(secret, timestamp, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if tampering.retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(tampering.retry_num), "X-Slack-Retry-Reason": tampering.retry_reason}
        headers |= tampering.extra_headers
        if self._session is None:
            self._session = aiohttp.ClientSession()
        started = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=self.ack_timeout)
        async with self._session.post(app_url, data=body.encode(), headers=headers, timeout=timeout) as response:
            text = await response.text()
            elapsed = time.monotonic() - started
        return Delivery(
            response.status, dict(response.headers), text, elapsed, sent_headers=headers, sent_body=body
        )

    async def _over_socket(self, kind: str, payload: dict[str, Any], tampering: Tampering) -> Delivery:
        started = time.monotonic()
        ack = await self._socket_mode.deliver(
            kind,
            payload,
            accepts_response_payload=kind == "slash_commands" or payload.get("type") == "view_submission",
            ack_within=self.ack_timeout,
            retry_attempt=tampering.retry_num,
        )
        body = json.dumps(ack["payload"]) if ack.get("payload") else ""
        return Delivery(200, {}, body, time.monotonic() - started)
