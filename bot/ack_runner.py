"""Bolt's listener runner, answering Slack the moment a listener calls `ack()`.

Bolt 1.30's asyncio runner starts the listener as a task and then polls `ack.response` every 10 ms until it is set.
That puts a 10 ms floor under every answer and, when 200 commands arrive at once, costs a timer and a wake-up per
request every 10 ms while the loop is busiest. It also loses acks: a listener that fails after its `ack()` but
before the next poll has its ack overwritten with nothing, and Slack shows the user a timeout.

`AckFirstRunner` keeps Bolt's semantics (the listener runs on as a task after its ack, lazy listeners start as
before, the listener's `ack_timeout` still bounds the wait, errors still go to the app's error handler), but awaits
a future that `ack()` resolves, and never overwrites an ack once made. `process_before_response` apps and lazy-only
requests go through Bolt's own code.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.listener.async_listener import AsyncListener
from slack_bolt.listener.asyncio_runner import AsyncioListenerRunner
from slack_bolt.logger.messages import warning_did_not_call_ack
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse


class SignalledAck(AsyncAck):
    """`ack()` that also resolves `made` once a response for Slack exists."""

    def __init__(self) -> None:
        super().__init__()
        self.made: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)
        self.settle()
        return response

    def give_up(self) -> None:
        """The listener's ack timeout has passed: stop waiting (Slack has given up by now too)."""
        if not self.made.done():
            self.made.set_result(None)

    def settle(self, response: BoltResponse | None = None) -> None:
        if response is not None and self.response is None:
            self.response = response
        if self.response is not None and not self.made.done():
            self.made.set_result(None)


class AckFirstRunner(AsyncioListenerRunner):
    def __init__(self, runner: AsyncioListenerRunner) -> None:
        super().__init__(
            logger=runner.logger,
            process_before_response=runner.process_before_response,
            listener_error_handler=runner.listener_error_handler,
            listener_start_handler=runner.listener_start_handler,
            listener_completion_handler=runner.listener_completion_handler,
            lazy_listener_runner=runner.lazy_listener_runner,
        )
        self._running: set[asyncio.Future[None]] = set()

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
            ack = request.context["ack"] = SignalledAck()
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
            await listener.run_ack_function(request=request, response=response)
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

    async def finish(self, seconds: float) -> None:
        """Wait up to `seconds` for listeners still working after their ack (at shutdown)."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=seconds)


class AnsweringBolt(AsyncApp):
    """Bolt's AsyncApp answering through an `AckFirstRunner` (HTTP and Socket Mode alike)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ack_runner = AckFirstRunner(self.listener_runner)
        self._async_listener_runner = self.ack_runner  # no public setter in Bolt 1.x
