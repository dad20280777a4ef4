"""What the local Slack saw and did: recorded calls, live events for the sandbox, and waiting on them."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class ApiCall:
    """One Web API request: decoded params (JSON-string arguments parsed), the answer and when it came."""

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    time: float
    token: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class ResponseUrlPost:
    """A POST to a response_url, as the bot sent it, and the status the local Slack answered."""

    url: str
    body: dict[str, Any]
    status: int
    time: float


@dataclass
class LocalEvent:
    """A change the sandbox may print: kind is message, reply, update, delete, ephemeral, home or view."""

    kind: str
    channel: str | None = None
    user: str | None = None
    message: Any = None
    details: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[LocalEvent], Awaitable[None] | None]


class Recorder:
    """Holds the call log and wakes anyone waiting whenever something changes."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.responses: list[ResponseUrlPost] = []
        self._listeners: list[Listener] = []
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def record_call(self, call: ApiCall) -> None:
        self.calls.append(call)
        self.changed()

    def record_response(self, post: ResponseUrlPost) -> None:
        self.responses.append(post)
        self.changed()

    def emit(self, event: LocalEvent) -> None:
        for listener in self._listeners:
            result = listener(event)
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        self.changed()

    def changed(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, predicate: Callable[[], T], timeout: float) -> T:  # noqa: ASYNC109 re-checks on change
        """Wait until `predicate()` is truthy and return its value; re-checked after every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(f"{c.method}={c.status}" for c in self.calls[-10:])
                raise TimeoutError(f"condition not met within {timeout}s; last calls: {recent or 'none'}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue
