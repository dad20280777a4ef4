"""Acks first: check runs, and listeners' work after their ack, step aside while Slack requests are arriving.

Slack waits for every ack; nobody waits for a check run to begin its next step a few milliseconds later. The bot
serves both from one interpreter, so a check run's CPU (serialising and parsing AWS calls, recording findings)
competes with the acks for the one GIL: a cycle that lands in a burst of commands lengthens the burst's slowest
ack by about the cycle's CPU time.

So a check run yields at its step boundaries (before each database transaction and AWS step in the runner) and
before each AWS call its thread makes (a botocore `before-call` handler, a no-op outside check runs): while a
Slack request has arrived within the last `QUIET_SECONDS`, it waits for the quiet. A busy burst is one request
every few hundred microseconds, so the run resumes right after the burst. The wait is bounded per run
(`RUN_BUDGET_SECONDS`), so steady Slack traffic delays a run by at most that, never starves it.

A step already under way is not interrupted: the most a burst pays for a run is one step.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from botocore.client import BaseClient

QUIET_SECONDS = 0.02
RUN_BUDGET_SECONDS = 1.0
_HANDLER_ID = "boltwatch-acks-first"

P = ParamSpec("P")
T = TypeVar("T")

_thread = threading.local()


class AcksFirst:
    """When Slack requests last arrived, and the check runs' allowances of waiting for the quiet after them."""

    def __init__(self, *, quiet: float = QUIET_SECONDS, run_budget: float = RUN_BUDGET_SECONDS) -> None:
        self.quiet = quiet
        self.run_budget = run_budget
        self._last_request = float("-inf")

    def request_arrived(self) -> None:
        """Called for every Slack request (HTTP and Socket Mode) before Bolt dispatches it."""
        self._last_request = time.monotonic()

    def hold(self) -> float:
        """Seconds until the quiet after the last request (0 or less: quiet now)."""
        return self._last_request + self.quiet - time.monotonic()

    def run(self) -> RunAllowance:
        return RunAllowance(self, self.run_budget)

    async def after_ack(self) -> None:
        """A listener that has acked waits here before its slow part (a database read, an answer through
        response_url, AWS calls): while a burst of commands keeps arriving, their acks go first. Bounded like a
        check run's wait, so steady traffic delays an answer by at most `run_budget`, never the ack."""
        if self.hold() > 0:
            await self.run().turn()


class RunAllowance:
    """One check run's budget of waiting for the quiet; its event-loop steps and its threads draw on it."""

    def __init__(self, gate: AcksFirst, budget: float) -> None:
        self._gate = gate
        self._left = budget
        self._lock = threading.Lock()
        self.waited = 0.0

    def _next_wait(self) -> float:
        with self._lock:
            return min(self._gate.hold(), self._left)

    def _spend(self, seconds: float) -> None:
        with self._lock:
            self._left -= seconds
            self.waited += seconds

    async def turn(self) -> None:
        """On the event loop: wait (without blocking it) until Slack is quiet or the budget is spent."""
        while (wait := self._next_wait()) > 0:
            started = time.monotonic()
            await asyncio.sleep(wait)
            self._spend(time.monotonic() - started)

    def turn_blocking(self) -> None:
        """In a worker thread: the same, sleeping without the GIL."""
        while (wait := self._next_wait()) > 0:
            started = time.monotonic()
            time.sleep(wait)
            self._spend(time.monotonic() - started)

    def in_thread(self, fn: Callable[P, T]) -> Callable[P, T]:
        """`fn` that, in the worker thread that runs it, makes every AWS call wait its turn first."""

        @functools.wraps(fn)
        def yielding(*args: P.args, **kwargs: P.kwargs) -> T:
            previous = getattr(_thread, "allowance", None)
            _thread.allowance = self
            try:
                return fn(*args, **kwargs)
            finally:
                _thread.allowance = previous

        return yielding


def yields_to_acks(client: BaseClient) -> None:
    """Make `client`'s API calls (pages and waiter polls included) wait their turn inside a check run's thread."""
    client.meta.events.register("before-call", _wait_for_the_quiet, unique_id=_HANDLER_ID)


def _wait_for_the_quiet(**_: Any) -> None:
    allowance: RunAllowance | None = getattr(_thread, "allowance", None)
    if allowance is not None:
        allowance.turn_blocking()
    # None: botocore goes on with the call (a value here would replace the response)
