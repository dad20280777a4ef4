"""`POST /api/<method>`: decoding Slack's three request encodings, token checks, faults and recording."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.slack.faults import Fault
from sandbox.slack.recording import ApiCall
from sandbox.slack.state import SlackState
from sandbox.slack.workspace import SlackError

Handler = Callable[[SlackState, dict[str, Any]], dict[str, Any]]

# Arguments that slack_sdk sends as JSON strings in form bodies (and as objects in JSON bodies).
JSON_ARGUMENTS = {"blocks", "attachments", "view", "files", "metadata"}
APP_TOKEN_METHODS = {"apps.connections.open"}


class Refused(Exception):
    """Raised by a method to answer with a fault (e.g. the per-channel rate limit) instead of a body."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.error)
        self.fault = fault


async def read_params(request: web.Request) -> dict[str, Any]:
    """Query string, then a form, multipart or JSON body; JSON-string arguments decoded."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.read()
        decoded = json.loads(body) if body else {}
        if not isinstance(decoded, dict):
            raise ValueError("a JSON body must be an object")
        params |= decoded
    elif request.can_read_body:
        form = await request.post()
        params |= {key: value for key, value in form.items() if isinstance(value, str)}
    for name in JSON_ARGUMENTS & params.keys():
        if isinstance(params[name], str):
            try:
                params[name] = json.loads(params[name])
            except ValueError:
                continue
    return params


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return header.removeprefix("Bearer ").strip() or None


class WebApi:
    def __init__(self, state: SlackState, methods: dict[str, Handler]) -> None:
        self._state = state
        self._methods = methods

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = _bearer(request)
        try:
            params = await read_params(request)
        except ValueError:
            params = {}
            status, body, headers = 200, SlackError("invalid_json").body(), {}
        else:
            form_token = params.pop("token", None)
            token = token or form_token
            status, body, headers = self._answer(method, params, token)
        hold = self._state.faults.held_answer(method)
        if hold is not None:
            await hold.wait()
        self._state.recorder.record_call(
            ApiCall(method=method, params=params, status=status, response=body, time=self._state.now(), token=token)
        )
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any], dict]:
        fault = self._state.faults.before(method, params)
        if fault is not None:
            return fault.status, fault.body(), fault.headers()
        handler = self._methods.get(method)
        try:
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
            self._authenticate(method, token)
            return 200, handler(self._state, params), {}
        except SlackError as error:
            return 200, error.body(), {}
        except Refused as refused:
            return refused.fault.status, refused.fault.body(), refused.fault.headers()

    def _authenticate(self, method: str, token: str | None) -> None:
        expected, other = (self._state.app_token, self._state.bot_token)
        if method not in APP_TOKEN_METHODS:
            expected, other = other, expected
        if not token:
            raise SlackError("not_authed")
        if token == other:
            raise SlackError("not_allowed_token_type")
        if token != expected:
            raise SlackError("invalid_auth")
        if self._state.token_refusal and method not in APP_TOKEN_METHODS:
            raise SlackError(self._state.token_refusal)
