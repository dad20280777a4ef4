"""A bounded pool of daemon threads for blocking work (boto3 calls, database transactions), off the event loop.

Its threads are daemon threads, so that a call stuck in I/O — an AWS endpoint that accepts and never answers (botocore
waits 60 s per read, times its retries), a database that stopped answering — is abandoned at shutdown instead of
joined: the standard `ThreadPoolExecutor` joins its workers at interpreter exit, which kept a stopping bot alive long
past its 10 s. Abandoning is as safe as the `kill -9` the bot is built to survive: AWS calls are reads or idempotent
actions verified by polling, and a transaction cut off at exit is rolled back by the database (one cut off during
COMMIT is the `CommitUnknown` case the outbox already reconciles).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
Call = tuple[Future[Any], Callable[[], Any]]


class DaemonPool:
    """Runs blocking work in at most `max_workers` daemon threads and counts the calls in flight."""

    def __init__(self, max_workers: int, *, name: str = "boltwatch-pool") -> None:
        self.max_workers = max_workers
        self.name = name
        self._calls: queue.SimpleQueue[Call | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()  # apart from `_lock`: cancelling a queued call under it counts the call
        self._closed = False
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Calls submitted and not yet finished, whether queued or running."""
        return self._in_flight

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(*args, **kwargs)` on the pool and wait for it without blocking the loop.

        Context variables travel with the call, as with `asyncio.to_thread`. The count of calls in flight drops
        when the call really ends, even if the awaiting coroutine was cancelled while the thread still works.
        """
        future: Future[T] = Future()
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} is shut down")
            self._count(+1)
            future.add_done_callback(self._call_ended)
            self._calls.put((future, call))
            self._start_worker_unless_one_is_idle()
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        """Take no more calls and cancel queued ones; running calls are abandoned to their daemon threads."""
        with self._lock:
            self._closed = True
            while True:
                try:
                    queued = self._calls.get_nowait()
                except queue.Empty:
                    break
                if queued is not None:
                    queued[0].cancel()
            for _ in self._threads:
                self._calls.put(None)  # one "stop" for each worker, taken when it is next free

    def _start_worker_unless_one_is_idle(self) -> None:
        if self._idle.acquire(blocking=False) or len(self._threads) >= self.max_workers:
            return
        worker = threading.Thread(target=self._work, name=f"{self.name}_{len(self._threads)}", daemon=True)
        self._threads.append(worker)
        worker.start()

    def _work(self) -> None:
        while (taken := self._calls.get()) is not None:
            _run(*taken)
            # Dropped before the wait for the next call: an idle worker would otherwise keep its last future, and the
            # result in it (a check run's ten thousand findings), alive. ThreadPoolExecutor's workers `del work_item`.
            del taken
            self._idle.release()

    def _call_ended(self, _: Future[Any]) -> None:
        self._count(-1)

    def _count(self, delta: int) -> None:
        with self._count_lock:
            self._in_flight += delta


def _run(future: Future[Any], call: Callable[[], Any]) -> None:
    if future.set_running_or_notify_cancel():
        try:
            result = call()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
