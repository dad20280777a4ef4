"""The browser view of the local Slack: the page, its JSON feed, and what a person does there, sent signed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from sandbox.slack.block_limits import image_type
from sandbox.slack.emoji import EMOJI
from sandbox.slack.recording import LocalEvent
from sandbox.slack.state import SlackState
from sandbox.slack.web_feed import snapshot
from sandbox.slack.workspace import SlackError

if TYPE_CHECKING:
    from sandbox.slack.server import LocalSlack

VIEWER = "U0ALICE"
"""The person at the browser: Alice, as in the terminal sandbox."""
STATIC_FILES = {"app.js": "text/javascript", "style.css": "text/css", "index.html": "text/html"}
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
LOCAL_HOSTS = ("127.0.0.1", "localhost")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Scenario:
    """One button of the scenario panel. `run(target)` changes the emulated world and says what it did;
    it may block (it runs in a thread). `targets` are the choices offered next to the button."""

    label: str
    run: Callable[[str], str]
    targets: tuple[str, ...] = ()


class WebView:
    """Routes under `/`, `/static/` and `/sandbox/`; the page polls `/sandbox/state` and posts its actions."""

    def __init__(self, state: SlackState, slack: LocalSlack) -> None:
        self._state = state
        self._slack = slack
        self.version = 0
        state.recorder.add_listener(self._changed)

    def _changed(self, _event: LocalEvent) -> None:
        self.version += 1

    def mount(self, app: web.Application) -> None:
        routes = [
            ("GET", "/", self._page),
            ("GET", "/static/{name}", self._static),
            ("GET", "/sandbox/state", self._feed),
            ("GET", "/sandbox/scenarios", self._scenarios),
            ("GET", "/sandbox/emoji", self._emoji),
            ("GET", "/sandbox/files/{file_id}/{name}", self._download),
            ("GET", "/sandbox/images/{file_id}", self._image),
            ("POST", "/sandbox/command", self._command),
            ("POST", "/sandbox/action", self._action),
            ("POST", "/sandbox/submit", self._submit),
            ("POST", "/sandbox/close", self._close),
            ("POST", "/sandbox/home", self._home),
            ("POST", "/sandbox/scenario", self._scenario),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, path, _local_only(handler))

    # --- the page --------------------------------------------------------------------------------------

    async def _page(self, _request: web.Request) -> web.Response:
        return _asset("index.html")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return _asset(name)

    async def _feed(self, request: web.Request) -> web.Response:
        known = request.query.get("version")
        if known == str(self.version):
            return web.json_response({"version": self.version, "unchanged": True}, headers=PAGE_HEADERS)
        body = snapshot(self._state, channel=request.query.get("channel"), viewer=VIEWER, version=self.version)
        return web.json_response(body, headers=PAGE_HEADERS)

    async def _scenarios(self, _request: web.Request) -> web.Response:
        listed = [
            {"name": name, "label": scenario.label, "targets": list(scenario.targets)}
            for name, scenario in self._slack.scenarios.items()
        ]
        return web.json_response({"scenarios": listed}, headers=PAGE_HEADERS)

    async def _emoji(self, _request: web.Request) -> web.Response:
        return web.json_response({"emoji": EMOJI}, headers=PAGE_HEADERS)

    async def _download(self, request: web.Request) -> web.Response:
        upload = self._state.files.get(request.match_info["file_id"])
        if upload is None or upload.content is None:
            raise web.HTTPNotFound()
        # Never served as HTML: a log file is somebody else's text.
        headers = PAGE_HEADERS | {"Content-Disposition": f'attachment; filename="{_safe_name(upload.filename)}"'}
        return web.Response(body=upload.content, content_type="text/plain", charset="utf-8", headers=headers)

    async def _image(self, request: web.Request) -> web.Response:
        """An uploaded image an image block shows (`slack_file`), inline; anything but an image is not served here."""
        upload = self._state.files.get(request.match_info["file_id"])
        mimetype = image_type(upload.filename) if upload is not None and upload.completed else None
        if upload is None or upload.content is None or mimetype is None:
            raise web.HTTPNotFound()
        return web.Response(body=upload.content, content_type=mimetype, headers=PAGE_HEADERS)

    # --- what the person does --------------------------------------------------------------------------

    async def _command(self, request: web.Request) -> web.Response:
        body = await request.json()
        line = str(body.get("text", "")).strip()
        command, _, text = line.partition(" ")
        if not command.startswith("/") or len(command) < 2:
            return _answer(error="Slash commands start with /, for example /boltwatch help")
        return await self._deliver(
            self._slack.send_command(
                self._app_url(), command=command, text=text.strip(), user=VIEWER, channel=str(body.get("channel"))
            )
        )

    async def _action(self, request: web.Request) -> web.Response:
        body = await request.json()
        return await self._deliver(
            self._slack.send_block_action(
                self._app_url(),
                action_id=str(body["action_id"]),
                user=VIEWER,
                channel=body.get("channel"),
                message_ts=body.get("message_ts"),
                view_id=body.get("view_id"),
                block_id=body.get("block_id"),
                value=body.get("value"),
                action_type=str(body.get("type") or "button"),
                selected_option=body.get("selected_option"),
            )
        )

    async def _submit(self, request: web.Request) -> web.Response:
        body = await request.json()
        values = body.get("values") or {}
        return await self._deliver(
            self._slack.send_view_submission(self._app_url(), view=str(body["view_id"]), values=values, user=VIEWER)
        )

    async def _close(self, request: web.Request) -> web.Response:
        body = await request.json()
        stack = self._state.modal_stacks.get(VIEWER) or []
        if stack and stack[-1]["id"] == body.get("view_id"):
            if stack[-1].get("clear_on_close"):
                stack.clear()
            else:
                stack.pop()
            self._state.emit("view", user=VIEWER, message=stack[-1] if stack else None)
        return _answer()

    async def _home(self, _request: web.Request) -> web.Response:
        return await self._deliver(
            self._slack.send_event(self._app_url(), event={"type": "app_home_opened", "user": VIEWER})
        )

    async def _scenario(self, request: web.Request) -> web.Response:
        body = await request.json()
        scenario = self._slack.scenarios.get(str(body.get("name")))
        if scenario is None:
            return _answer(error="no such scenario", status=404)
        target = str(body.get("target") or (scenario.targets[0] if scenario.targets else ""))
        if scenario.targets and target not in scenario.targets:
            return _answer(error=f"{scenario.label}: pick one of {', '.join(scenario.targets)}", status=400)
        try:
            said = await asyncio.to_thread(scenario.run, target)
        except Exception as exc:  # the panel shows what went wrong; the sandbox keeps running
            return _answer(error=f"{scenario.label} failed: {exc}")
        return _answer(result=said)

    def _app_url(self) -> str:
        if not self._slack.app_url:
            raise web.HTTPConflict(text="the local Slack does not know the bot's URL (set slack.app_url)")
        return self._slack.app_url

    async def _deliver(self, sending: Awaitable[Any]) -> web.Response:
        """Await a delivery to the bot and tell the page how the bot answered."""
        try:
            delivery = await sending
        except (SlackError, LookupError, ValueError) as exc:
            return _answer(error=str(exc))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return _answer(error=f"the bot did not answer: {exc or type(exc).__name__}")
        if delivery.status != 200:
            return _answer(error=f"the bot answered HTTP {delivery.status}")
        ack = delivery.ack_body() or {}
        errors = ack.get("errors") if ack.get("response_action") == "errors" else None
        return _answer(error=delivery.ack_error, errors=errors)


def _answer(*, status: int = 200, **fields: Any) -> web.Response:
    body = {"ok": not fields.get("error") and not fields.get("errors")} | {k: v for k, v in fields.items() if v}
    return web.json_response(body, status=status, headers=PAGE_HEADERS)


def _asset(name: str) -> web.Response:
    data = resources.files("sandbox.slack").joinpath("static", name).read_bytes()
    return web.Response(body=data, content_type=STATIC_FILES[name], charset="utf-8", headers=PAGE_HEADERS)


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name) or "file"


def _local_only(handler: Handler) -> Handler:
    """Only pages from this server may drive it: a loopback Host (no DNS rebinding) and JSON posts (no forms)."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        host = request.host.rsplit(":", 1)[0].strip("[]")
        if host not in LOCAL_HOSTS:
            raise web.HTTPForbidden(text="the sandbox answers on 127.0.0.1 only")
        if request.method == "POST" and request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="JSON only")
        return await handler(request)

    return guarded
