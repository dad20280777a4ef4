"""Bolt's listener runner, answering Slack the moment a listener calls `ack()`.

Bolt 1.30's asyncio runner starts the listener as a task and then polls `ack.response` every 10 ms until it is set.
That puts a 10 ms floor under every answer and, when 200 commands arrive at once, costs a timer and a wake-up per
request every 10 ms while the loop is busiest. It also loses acks: a listener that fails after its `ack()` but
before the next poll has its ack overwritten with nothing, and Slack shows the user a timeout.

Bolt also builds every argument a listener could ask for (say, respond, the payload in eight shapes, ...) each time
it calls one of its built-in matchers, which take only the body, and again for the listener: over a third of an
ack's CPU in Bolt. `AnsweringBolt` hands built-in matchers the body alone and the runner builds just the arguments a
listener names, with Bolt's own accessors; a listener naming anything else gets Bolt's builder.

`AckFirstRunner` keeps Bolt's semantics (the listener runs on as a task after its ack, lazy listeners start as
before, the listener's `ack_timeout` still bounds the wait, errors still go to the app's error handler), but awaits
a future that `ack()` resolves, and never overwrites an ack once made. `process_before_response` apps and lazy-only
requests go through Bolt's own code.

Bolt 1.x has no public hook for any of this, so the module relies on names Bolt does not promise to keep. Each is
guarded by a test in tests/handlers/test_ack_runner_bolt_contract.py that fails when a Bolt release changes it, and
pyproject.toml pins slack-bolt to the minor those tests pass on:
- `AsyncApp._register_listener` (overridden; its signature, and every listener decorator going through it),
- `AsyncApp._async_listener_runner` (replaced; `async_dispatch` runs every listener with it),
- `AsyncApp._base_logger` (read, to build `BodyMatcher`s as Bolt builds its matchers),
- `AsyncBuiltinListenerMatcher.func` and `.arg_names` (the body-only function inside each built-in matcher),
- `AsyncioListenerRunner.__init__`'s arguments and `run`'s signature (`AckFirstRunner` copies and overrides them),
- `AsyncioListenerRunner._start_lazy_function` (called, to start lazy listeners as Bolt does),
- `AsyncAck.response` (read and written: where an ack keeps its answer, and what Bolt's runner answers with),
- the context's `"ack"` key (swapped for a `SignalledAck`: the ack Bolt hands listeners is the one kept there),
- `build_async_required_kwargs`'s argument names and values (`ARGUMENTS` copies part of it by hand),
- `AsyncCustomListener.ack_function` and `.arg_names` (what the lean builder calls, and with which names),
- Bolt's deep copy of the request for lazy listeners (`SignalledAck.__deepcopy__`),
- the internal modules imported below by path (one moved fails every test that imports this module).
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.listener.async_listener import AsyncCustomListener, AsyncListener
from slack_bolt.listener.asyncio_runner import AsyncioListenerRunner
from slack_bolt.listener_matcher.async_builtins import AsyncBuiltinListenerMatcher
from slack_bolt.listener_matcher.async_listener_matcher import AsyncListenerMatcher
from slack_bolt.logger.messages import warning_did_not_call_ack
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import (
    to_action,
    to_command,
    to_event,
    to_message,
    to_options,
    to_shortcut,
    to_view,
)
from slack_bolt.response import BoltResponse

Argument = Callable[[AsyncBoltRequest, BoltResponse | None], Any]
# What Bolt's build_async_required_kwargs passes for each name, one name at a time.
ARGUMENTS: dict[str, Argument] = {
    "ack": lambda request, _: request.context.ack,
    "body": lambda request, _: request.body,
    "client": lambda request, _: request.context.client,
    "context": lambda request, _: request.context,
    "respond": lambda request, _: request.context.respond,
    "say": lambda request, _: request.context.say,
    "request": lambda request, _: request,
    "req": lambda request, _: request,
    "response": lambda _, response: response,
    "resp": lambda _, response: response,
    "command": lambda request, _: to_command(request.body),
    "action": lambda request, _: to_action(request.body),
    "view": lambda request, _: to_view(request.body),
    "event": lambda request, _: to_event(request.body),
    "message": lambda request, _: to_message(request.body),
    "options": lambda request, _: to_options(request.body),
    "shortcut": lambda request, _: to_shortcut(request.body),
}


AfterAck = Callable[[], Awaitable[None]]


class SignalledAck(AsyncAck):
    """`ack()` that also resolves `made` once a response for Slack exists, then lets `after_ack` hold the listener
    back before its slow part (acks first: while other requests keep arriving, their acks go before it)."""

    def __init__(self, after_ack: AfterAck | None = None) -> None:
        super().__init__()
        self.made: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._after_ack = after_ack

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)
        self.settle()
        if self._after_ack is not None:
            await self._after_ack()
        return response

    def __deepcopy__(self, memo: dict[int, Any]) -> AsyncAck:
        # Bolt deep-copies the request for each lazy listener; a future cannot be copied, and nothing waits on the
        # copy, so the lazy listener gets the plain ack Bolt's own runner would give it.
        copied = AsyncAck()
        copied.response = copy.deepcopy(self.response, memo)
        return copied

    def give_up(self) -> None:
        """The listener's ack timeout has passed: stop waiting (Slack has given up by now too)."""
        if not self.made.done():
            self.made.set_result(None)

    def settle(self, response: BoltResponse | None = None) -> None:
        if response is not None and self.response is None:
            self.response = response
        if self.response is not None and not self.made.done():
            self.made.set_result(None)


class EncodedAnswer:
    """An ack that never changes (the help answer), JSON-encoded once: `ack(**fields)` would encode it per request,
    which for a screenful of blocks is a tenth of an ack's CPU."""

    def __init__(self, **fields: Any) -> None:
        # The body `ack(text=..., response_type=..., blocks=...)` sends, in the order Bolt writes it.
        body = {"text": fields.pop("text", "")}
        body.update(fields)
        self.body = json.dumps(body)

    async def __call__(self, ack: AsyncAck) -> None:
        response = BoltResponse(status=200, body=self.body)
        if isinstance(ack, SignalledAck):
            ack.settle(response)
        else:
            ack.response = response  # Bolt's own runner polls for this


class BodyMatcher(AsyncBuiltinListenerMatcher):
    """A built-in matcher (command name, action id, event type, ...) called with the body, all it takes."""

    async def async_matches(self, req: AsyncBoltRequest, resp: BoltResponse) -> bool:
        return await self.func(body=req.body)  # type: ignore[misc, no-any-return]


def lean_arguments(names: Sequence[str]) -> tuple[tuple[str, Argument], ...] | None:
    """How to build a listener's arguments name by name; None when one is not ours to build (a method's `self`,
    `args`, `logger`, a context key), and Bolt's builder must."""
    if not all(name in ARGUMENTS for name in names):
        return None
    return tuple((name, ARGUMENTS[name]) for name in names)


class AckFirstRunner(AsyncioListenerRunner):
    def __init__(self, runner: AsyncioListenerRunner, after_ack: AfterAck | None = None) -> None:
        super().__init__(
            logger=runner.logger,
            process_before_response=runner.process_before_response,
            listener_error_handler=runner.listener_error_handler,
            listener_start_handler=runner.listener_start_handler,
            listener_completion_handler=runner.listener_completion_handler,
            lazy_listener_runner=runner.lazy_listener_runner,
        )
        self._running: set[asyncio.Future[None]] = set()
        self._after_ack = after_ack
        self._arguments: dict[AsyncListener, tuple[tuple[str, Argument], ...] | None] = {}

    async def run(
        self,
        request: AsyncBoltRequest,
        response: BoltResponse,
        listener_name: str,
        listener: AsyncListener,
        starting_time: float | None = None,
    ) -> BoltResponse | None:
        ack = request.context.get("ack")
        if ack is None or (type(ack) is AsyncAck and ack.response is None):
            # Bolt makes the context's ack while matching listeners (for their keyword arguments) and nothing keeps
            # it; an ack not yet called can be swapped for one that says when it is.
            ack = request.context["ack"] = SignalledAck(self._after_ack)
        if self.process_before_response or request.lazy_only or not isinstance(ack, SignalledAck):
            return await super().run(request, response, listener_name, listener, starting_time)
        starting_time = starting_time if starting_time is not None else time.time()
        if listener.auto_acknowledgement:
            await ack()  # events: acknowledged at once, as Bolt does
        task = asyncio.ensure_future(self._run_listener(ack, request, response, listener))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        for lazy_function in listener.lazy_functions:
            self._start_lazy_function(lazy_function, request)
        remaining = listener.ack_timeout - (time.time() - starting_time)
        if ack.response is None and remaining > 0:
            # A bare timer rather than wait_for(shield(...)): this runs once per request, and at 200 requests at once
            # the two extra futures and callbacks of wait_for and shield are a measurable share of the ack.
            deadline = asyncio.get_running_loop().call_later(remaining, ack.give_up)
            try:
                await ack.made
            finally:
                deadline.cancel()
        if response is None and ack.response is None:
            self.logger.warning(warning_did_not_call_ack(listener_name))
            return None
        return response if response is not None else ack.response

    async def _run_listener(
        self, ack: SignalledAck, request: AsyncBoltRequest, response: BoltResponse | None, listener: AsyncListener
    ) -> None:
        try:
            await self.listener_start_handler.handle(request=request, response=response)
            await self._call(listener, request, response)
        except Exception as error:
            if ack.response is None:
                # Failed before answering: Slack gets a 500 now rather than a timeout in 3 s.
                response = BoltResponse(status=500) if response is None else response
                response.status = 500
                await self.listener_error_handler.handle(error=error, request=request, response=response)
                ack.settle(response)
            else:
                # Already answered: the ack stands, the error handler can still tell the user.
                await self.listener_error_handler.handle(error=error, request=request, response=None)
        finally:
            await self.listener_completion_handler.handle(request=request, response=response)

    async def _call(self, listener: AsyncListener, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        if not isinstance(listener, AsyncCustomListener):
            await listener.run_ack_function(request=request, response=response)  # type: ignore[arg-type]
            return
        if listener not in self._arguments:
            self._arguments[listener] = lean_arguments(listener.arg_names)
        arguments = self._arguments[listener]
        if arguments is None:
            await listener.run_ack_function(request=request, response=response)  # type: ignore[arg-type]
        else:
            await listener.ack_function(**{name: argument(request, response) for name, argument in arguments})

    async def finish(self, seconds: float) -> None:
        """Wait up to `seconds` for listeners still working after their ack (at shutdown)."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=seconds)


class AnsweringBolt(AsyncApp):
    """Bolt's AsyncApp answering through an `AckFirstRunner` (HTTP and Socket Mode alike)."""

    def __init__(
        self, *, on_request: Callable[[], None] | None = None, after_ack: AfterAck | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.ack_runner = AckFirstRunner(self.listener_runner, after_ack)
        self._async_listener_runner = self.ack_runner  # no public setter in Bolt 1.x
        self._on_request = on_request

    async def async_dispatch(self, req: AsyncBoltRequest) -> BoltResponse:
        """Every request, over HTTP or Socket Mode; `on_request` hears of it first."""
        if self._on_request is not None:
            self._on_request()
        return await super().async_dispatch(req)

    def _register_listener(
        self,
        functions: Sequence[Callable[..., Any]],
        primary_matcher: AsyncListenerMatcher,
        matchers: Sequence[Callable[..., Any]] | None,
        middleware: Sequence[Any] | None,
        auto_acknowledgement: bool = False,
        ack_timeout: int = 3,
    ) -> Any:
        # Every listener decorator (command, action, view, event, ...) registers through here in Bolt 1.x.
        if type(primary_matcher) is AsyncBuiltinListenerMatcher and list(primary_matcher.arg_names) == ["body"]:
            primary_matcher = BodyMatcher(func=primary_matcher.func, base_logger=self._base_logger)
        return super()._register_listener(
            functions, primary_matcher, matchers, middleware, auto_acknowledgement, ack_timeout
        )
