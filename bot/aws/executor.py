"""The bounded worker pool that runs every boto3 call off the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from bot.aws.settings import AwsSettings

P = ParamSpec("P")
T = TypeVar("T")


class AwsExecutor:
    """Runs blocking AWS work in at most `max_workers` threads and counts the calls in flight.

    For Prometheus: `metrics.aws_calls_in_flight.set_function(lambda: executor.in_flight)`.
    """

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="boltwatch-aws")
        self._count_lock = threading.Lock()
        self._in_flight = 0

    @classmethod
    def from_settings(cls, settings: AwsSettings) -> AwsExecutor:
        return cls(settings.max_workers)

    @property
    def in_flight(self) -> int:
        """Calls submitted and not yet finished, whether queued or running."""
        return self._in_flight

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(*args, **kwargs)` on the pool and wait for it without blocking the loop.

        Context variables travel with the call, as with `asyncio.to_thread`.
        """
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        self._count(+1)
        try:
            # What run_in_executor does, keeping the concurrent future so that the count drops when the
            # call really ends, even if the awaiting coroutine was cancelled while the thread still works.
            future = self._pool.submit(call)
        except BaseException:
            self._count(-1)
            raise
        future.add_done_callback(self._call_ended)
        return await asyncio.wrap_future(future, loop=loop)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking calls, drop queued ones, and (by default) wait for running ones to end."""
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def _call_ended(self, _: Future[object]) -> None:
        self._count(-1)

    def _count(self, delta: int) -> None:
        with self._count_lock:
            self._in_flight += delta
