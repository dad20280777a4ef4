"""response_url: issued per interaction, answered like Slack (ephemeral, in_channel, replace, delete)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.slack.chat_methods import flag, message_content
from sandbox.slack.messages import Ephemeral, bot_message
from sandbox.slack.recording import ResponseUrlPost
from sandbox.slack.state import SlackState
from sandbox.slack.workspace import SlackError

LIFETIME = 30 * 60
MAX_USES = 5


@dataclass
class ResponseTarget:
    """Where answers go: the user who acted, their channel and, for a button, the message it sat on."""

    user: str
    channel: str
    message_ts: str | None = None
    issued: float = 0.0
    uses: int = 0


class ResponseUrls:
    def __init__(self, state: SlackState) -> None:
        self._state = state
        self._targets: dict[str, ResponseTarget] = {}

    def issue(self, *, user: str, channel: str, message_ts: str | None = None) -> str:
        key = secrets.token_urlsafe(12)
        self._targets[key] = ResponseTarget(user, channel, message_ts, issued=self._state.now())
        return f"{self._state.url}/response_url/{key}"

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"text": raw.decode(errors="replace")}
        status, answer = self._answer(request.match_info["key"], body)
        self._state.recorder.record_response(
            ResponseUrlPost(url=str(request.url), body=body, status=status, time=self._state.now())
        )
        return web.Response(status=status, text=answer)

    def _answer(self, key: str, body: dict[str, Any]) -> tuple[int, str]:
        target = self._targets.get(key)
        if target is None or self._state.now() - target.issued > LIFETIME:
            return 404, "expired_url"
        if target.uses >= MAX_USES:
            return 404, "used_url"
        fault = self._state.faults.before("response_url", body)
        if fault is not None:
            return fault.status, fault.body()["error"]
        target.uses += 1
        try:
            apply_response(self._state, target, body, source="response_url")
        except SlackError as error:
            return (404 if error.code == "message_not_found" else 400), error.code
        return 200, "ok"


def apply_response(state: SlackState, target: ResponseTarget, body: dict[str, Any], *, source: str) -> None:
    """Apply a response_url post (or a slash command's ack body) to the channel as Slack does."""
    if flag(body.get("delete_original")) and target.message_ts:
        message = state.history.find(target.channel, target.message_ts)
        state.history.delete(message)
        state.emit("delete", channel=target.channel, message=message)
        return
    text, blocks = message_content(body)
    ts = state.history.next_ts(state.now())
    if flag(body.get("replace_original")) and target.message_ts:
        message = state.history.find(target.channel, target.message_ts)
        state.history.update(message, text=text or "", blocks=blocks or [], ts=ts)
        state.emit("update", channel=target.channel, message=message)
    elif body.get("response_type") == "in_channel":
        thread_ts = body.get("thread_ts") or None
        message = bot_message(target.channel, ts, text or "", blocks or [], thread_ts=thread_ts)
        state.history.post(message)
        state.emit("reply" if thread_ts else "message", channel=target.channel, message=message)
    else:
        ephemeral = Ephemeral(target.channel, target.user, ts, text or "", blocks or [], body.get("thread_ts"), source)
        state.history.ephemerals.append(ephemeral)
        state.emit("ephemeral", channel=target.channel, user=target.user, message=ephemeral)
