"""Socket Mode: `apps.connections.open`, the websocket (hello, envelopes, acks) and `disconnect` messages."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.slack.state import SlackState
from sandbox.slack.workspace import APP_ID


class NoSocketConnection(RuntimeError):
    """No app is connected over Socket Mode, so there is nobody to deliver to."""


class SocketMode:
    def __init__(self, state: SlackState) -> None:
        self._state = state
        self._keys: set[str] = set()
        self._connections: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    def open_connection(self, state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
        """`apps.connections.open`: a fresh websocket URL on this server."""
        key = secrets.token_urlsafe(12)
        self._keys.add(key)
        ws_url = self._state.url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{ws_url}/socket-mode/{key}"}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["key"] not in self._keys:
            return web.Response(status=404, text="invalid socket mode url")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._connections.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._connections),
                "debug_info": {"host": "local-slack", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self._state.recorder.changed()
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    self._ack(json.loads(frame.data))
        finally:
            self._connections.remove(ws)
            self._state.recorder.changed()
        return ws

    def _ack(self, message: dict[str, Any]) -> None:
        waiter = self._acks.get(str(message.get("envelope_id")))
        if waiter is not None and not waiter.done():
            waiter.set_result(message)

    async def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool,
        ack_within: float,
        retry_attempt: int | None = None,
    ) -> dict[str, Any]:
        """Send one envelope to the newest connection and return its ack (`{"envelope_id", "payload"?}`)."""
        if not self._connections:
            raise NoSocketConnection("no Socket Mode connection is open")
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": retry_attempt or 0, "retry_reason": "timeout" if retry_attempt else ""}
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope["envelope_id"]] = waiter
        try:
            await self._connections[-1].send_json(envelope)
            return await asyncio.wait_for(waiter, ack_within)
        finally:
            del self._acks[envelope["envelope_id"]]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected app to reconnect, as Slack does before recycling a connection."""
        for ws in list(self._connections):
            await ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "local-slack"}})

    async def close(self) -> None:
        for ws in list(self._connections):
            await ws.close()
