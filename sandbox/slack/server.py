"""LocalSlack: the aiohttp server, its routes, and what tests and the sandbox read from it."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from aiohttp import web

from sandbox.slack import files
from sandbox.slack.chat_methods import CHAT_METHODS
from sandbox.slack.directory_methods import DIRECTORY_METHODS
from sandbox.slack.faults import FaultHook, Hold
from sandbox.slack.history_methods import HISTORY_METHODS
from sandbox.slack.interactions import Interactions
from sandbox.slack.messages import Ephemeral, Message
from sandbox.slack.recording import ApiCall, Listener, ResponseUrlPost
from sandbox.slack.response_urls import ResponseUrls
from sandbox.slack.sender import Sender
from sandbox.slack.socket_mode import SocketMode
from sandbox.slack.state import SlackState
from sandbox.slack.view_methods import VIEW_METHODS
from sandbox.slack.web_api import WebApi
from sandbox.slack.web_view import Scenario, WebView
from sandbox.slack.workspace import BOT_USER_ID

T = TypeVar("T")


class LocalSlack(Interactions):
    """An emulated Slack workspace on 127.0.0.1: Web API, response_url, uploads and Socket Mode."""

    def __init__(
        self,
        *,
        signing_secret: str = "local-signing-secret",
        clock: Callable[[], float] = time.time,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        signing_clock: Callable[[], float] = time.time,
        scenarios: dict[str, Scenario] | None = None,
    ) -> None:
        self._state = SlackState(clock=clock, bot_token=bot_token, app_token=app_token, signing_secret=signing_secret)
        self._socket_mode = SocketMode(self._state)
        self._response_urls = ResponseUrls(self._state)
        self._sender = Sender(self._state, self._socket_mode, signing_clock)
        methods = CHAT_METHODS | DIRECTORY_METHODS | HISTORY_METHODS | VIEW_METHODS | files.FILE_METHODS
        methods["apps.connections.open"] = self._socket_mode.open_connection
        self._web_api = WebApi(self._state, methods)
        self._web_view = WebView(self._state, self)
        self._runner: web.AppRunner | None = None
        self.app_url: str | None = None
        """The bot's `/slack/events`, where the browser view sends what a person does."""
        self.scenarios: dict[str, Scenario] = dict(scenarios or {})
        """The browser view's scenario panel, by name (the sandbox runner's AWS steps)."""

    # --- lifecycle -------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._web_api.handle)
        app.router.add_post("/response_url/{key}", self._response_urls.handle)
        app.router.add_post("/upload/v1/{file_id}", partial(files.receive_upload, self._state))
        app.router.add_get("/files/{file_id}/{name}", partial(files.download, self._state))
        app.router.add_get("/socket-mode/{key}", self._socket_mode.handle)
        self._web_view.mount(app)
        # A client that died mid-request (a test's killed drainer) leaves its connection open: don't wait on it.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self._state.url = f"http://{bound_host}:{bound_port}"
        return self

    async def stop(self) -> None:
        self._state.faults.clear()
        await self._socket_mode.close()
        await self._sender.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalSlack:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return self._state.url

    @property
    def api_url(self) -> str:
        """Base URL for `AsyncWebClient(base_url=...)`; the trailing slash matters."""
        return f"{self._state.url}/api/"

    @property
    def bot_token(self) -> str:
        return self._state.bot_token

    @property
    def app_token(self) -> str:
        return self._state.app_token

    def environment(self) -> dict[str, str]:
        """What the bot needs to use this workspace, as environment variables (as `MotoHandle.environment` is
        for AWS): its token, this workspace's signing secret and the Web API's URL."""
        return {
            "SLACK_BOT_TOKEN": self._state.bot_token,
            "SLACK_SIGNING_SECRET": self._state.signing_secret,
            "SLACK_API_URL": self.api_url,
        }

    # --- workspace -------------------------------------------------------------------------------------

    def add_channel(self, name: str, *, private: bool = False, bot_is_member: bool = True) -> str:
        """Create a channel (every person joins it) and return its id, e.g. `#db-alerts` -> `C0DBALERTS`."""
        return self._state.workspace.add_channel(name, private=private, bot_is_member=bot_is_member).id

    def invite_bot(self, channel: str) -> None:
        """Someone invites the bot into `channel`."""
        self._state.workspace.channel(channel).members.add(BOT_USER_ID)

    def remove_bot(self, channel: str) -> None:
        """Someone removes the bot from `channel` (`/kick`)."""
        self._state.workspace.channel(channel).members.discard(BOT_USER_ID)

    def archive_channel(self, channel: str, *, archived: bool = True) -> None:
        self._state.workspace.channel(channel).is_archived = archived

    def revoke_token(self, error: str = "token_revoked") -> None:
        """Every Web API call with the bot token is refused with `error` (`token_revoked`, `invalid_auth`,
        `account_inactive`) until `restore_token()`."""
        self._state.token_refusal = error

    def restore_token(self) -> None:
        self._state.token_refusal = None

    def add_user(self, name: str, real_name: str) -> str:
        return self._state.workspace.add_user(name, real_name).id

    def channel_id(self, channel: str) -> str:
        return self._state.workspace.channel(channel).id

    def channel_name(self, channel: str) -> str:
        """A channel's name without `#` (a DM's id stays as it is)."""
        try:
            return self._state.workspace.channel(channel).name
        except Exception:
            return channel

    def name_of(self, ref: str) -> str | None:
        """A user's or channel's name (`alice`, `alerts`), for showing mentions as Slack does; None if unknown."""
        workspace = self._state.workspace
        if ref in workspace.users:
            return workspace.users[ref].name
        channel = workspace.channels.get(ref)
        return channel.name if channel is not None else None

    def post_user_message(self, channel: str, text: str, *, user: str = "U0ALICE") -> Message:
        """A message a person writes; the bot can neither update nor delete it."""
        the_channel = self._state.workspace.channel(channel)
        message = Message(
            channel=the_channel.id, ts=self._state.history.next_ts(self._state.now()), user=user, text=text
        )
        self._state.history.post(message)
        self._state.emit("message", channel=the_channel.id, message=message)
        return message

    def issue_trigger(self, user: str = "U0ALICE") -> str:
        """A trigger id as if `user` had just interacted (valid once, for 3 s of `clock`)."""
        return self._state.issue_trigger(user)

    def issue_response_url(self, *, user: str = "U0ALICE", channel: str = "C0ALERTS") -> str:
        """A response_url as if `user` had just run a command in `channel` (for requests sent without `send_*`)."""
        return self._response_urls.issue(user=user, channel=self._state.workspace.channel(channel).id)

    # --- faults ----------------------------------------------------------------------------------------

    @property
    def rate_limit_per_channel(self) -> bool:
        return self._state.faults.rate_limit_per_channel

    @rate_limit_per_channel.setter
    def rate_limit_per_channel(self, enabled: bool) -> None:
        self._state.faults.rate_limit_per_channel = enabled

    def inject_faults(
        self,
        *,
        method: str | None = None,
        status: int = 500,
        count: int = 1,
        error: str = "",
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `count` calls to `method` (any when None) with `status`; 429 adds Retry-After."""
        self._state.faults.inject(method=method, status=status, count=count, error=error, retry_after=retry_after)

    def add_fault_hook(self, hook: FaultHook) -> None:
        """`hook(method, params) -> Fault | None`, consulted on every Web API call."""
        self._state.faults.add_hook(hook)

    def outage(self, *, until: float, status: int = 503, retry_after: int | None = None) -> None:
        """Every Web API call fails with `status` until `clock()` reaches `until`."""
        self._state.faults.outage(until=until, status=status, retry_after=retry_after)

    def hold_answers(self, *, method: str, count: int = 1, seconds: float | None = None) -> Hold:
        """Do what the next `count` calls to `method` ask (a message is posted), then hold each answer back for
        `seconds` of real time, or until `release()`: a crash or a client timeout after Slack acted."""
        return self._state.faults.hold(method=method, count=count, seconds=seconds)

    def clear_faults(self) -> None:
        self._state.faults.clear()

    # --- what happened ---------------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        return self._state.recorder.calls

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self._state.recorder.calls if call.method == method]

    @property
    def responses(self) -> list[ResponseUrlPost]:
        return self._state.recorder.responses

    def channel_messages(self, channel: str) -> list[Message]:
        """Top-level messages, oldest first, with updates applied (`edits` keeps the history)."""
        return self._state.history.top_level(self._state.workspace.channel(channel).id)

    def message(self, channel: str, ts: str) -> Message:
        return self._state.history.find(self._state.workspace.channel(channel).id, ts)

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The replies to the message at `ts`, oldest first (the parent itself not included)."""
        return list(self.message(channel, ts).replies)

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[Ephemeral]:
        channel_id = self._state.workspace.channel(channel).id if channel else None
        return [
            e
            for e in self._state.history.ephemerals
            if (channel_id is None or e.channel == channel_id) and (user is None or e.user == user)
        ]

    def home_view(self, user: str) -> dict[str, Any] | None:
        return self._state.home_views.get(user)

    def open_views(self, user: str | None = None) -> list[dict[str, Any]]:
        """Open modals, bottom of each user's stack first."""
        return [view for owner, stack in self._state.modal_stacks.items() if user in (None, owner) for view in stack]

    def file_content(self, file_id: str) -> bytes | None:
        upload = self._state.files.get(file_id)
        return None if upload is None else upload.content

    def on_event(self, listener: Listener) -> None:
        """Call `listener(LocalEvent)` on every message, reply, update, delete, ephemeral, Home or modal change."""
        self._state.recorder.add_listener(listener)

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 15.0) -> T:  # noqa: ASYNC109 tests' API
        """Wait until `predicate()` returns something truthy (re-checked on every change) and return it."""
        return await self._state.recorder.wait_for(predicate, timeout)

    # --- Socket Mode -----------------------------------------------------------------------------------

    @property
    def socket_connections(self) -> int:
        return self._socket_mode.connection_count

    async def disconnect_sockets(self, reason: str = "refresh_requested") -> None:
        """Send Slack's `disconnect` message; slack_sdk clients then reconnect through apps.connections.open."""
        await self._socket_mode.disconnect(reason)

    @property
    def ack_timeout(self) -> float:
        """How long a delivery waits for the app's ack (Slack: 3 s)."""
        return self._sender.ack_timeout

    @ack_timeout.setter
    def ack_timeout(self, seconds: float) -> None:
        self._sender.ack_timeout = seconds
