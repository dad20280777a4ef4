"""Failures on demand: injected errors, outages and Slack's per-channel posting limit, on the injected clock."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

POSTING_METHODS = {"chat.postMessage", "chat.update"}
POSTING_INTERVAL = 1.0
UPLOAD = "upload_url"
"""The POST of a file's bytes to its upload URL, as injected faults and fault hooks see it (params: `file_id`). An
outage of the Web API leaves it alone: Slack serves it from another host."""


@dataclass
class Fault:
    """An answer given instead of the real one."""

    status: int
    error: str = ""
    retry_after: int | None = None

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error or _default_error(self.status)}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


def _default_error(status: int) -> str:
    return "ratelimited" if status == 429 else "internal_error"


@dataclass
class _Injected:
    method: str | None
    fault: Fault
    remaining: int


FaultHook = Callable[[str, dict[str, Any]], Fault | None]


class Hold:
    """Answers held back after the work was done, for a number of seconds of real time or until released."""

    def __init__(self, method: str, count: int, seconds: float | None) -> None:
        self.method = method
        self.remaining = count
        self.seconds = seconds
        self.held = 0
        """How many answers have been held so far (the work behind each is done)."""
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    async def wait(self) -> None:
        self.held += 1
        try:
            await asyncio.wait_for(self._released.wait(), self.seconds)
        except TimeoutError:
            return


class Faults:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._injected: list[_Injected] = []
        self._hooks: list[FaultHook] = []
        self._holds: list[Hold] = []
        self._outage: tuple[float, Fault] | None = None
        self._last_post: dict[str, float] = {}
        self.rate_limit_per_channel = False

    def inject(
        self,
        *,
        method: str | None = None,
        status: int = 500,
        count: int = 1,
        error: str = "",
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `count` calls to `method` (any Web API method when None; `UPLOAD` for the upload URL) with
        `status`."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self._injected.append(_Injected(method, Fault(status, error, retry_after), count))

    def add_hook(self, hook: FaultHook) -> None:
        """`hook(method, params)` returns a Fault to answer with, or None to carry on."""
        self._hooks.append(hook)

    def outage(self, *, until: float, status: int = 503, retry_after: int | None = None) -> None:
        """Answer every Web API call with `status` until the clock reaches `until`."""
        if status == 429 and retry_after is None:
            retry_after = max(1, math.ceil(until - self._clock()))
        self._outage = (until, Fault(status, "", retry_after))

    def hold(self, *, method: str, count: int = 1, seconds: float | None = None) -> Hold:
        """Hold back the answers of the next `count` calls to `method`, after doing what they ask."""
        hold = Hold(method, count, seconds)
        self._holds.append(hold)
        return hold

    def held_answer(self, method: str) -> Hold | None:
        """The hold, if any, that this call's answer waits for."""
        for hold in self._holds:
            if hold.method == method:
                hold.remaining -= 1
                if hold.remaining <= 0:
                    self._holds.remove(hold)
                return hold
        return None

    def clear(self) -> None:
        self._injected.clear()
        self._hooks.clear()
        for hold in self._holds:
            hold.release()
        self._holds.clear()
        self._outage = None

    def before(self, method: str, params: dict[str, Any]) -> Fault | None:
        """The fault, if any, that replaces this call's answer."""
        if self._outage is not None and method != UPLOAD:
            until, fault = self._outage
            if self._clock() < until:
                return fault
            self._outage = None
        for injected in self._injected:
            if injected.method == method or (injected.method is None and method != UPLOAD):
                injected.remaining -= 1
                if injected.remaining <= 0:
                    self._injected.remove(injected)
                return injected.fault
        for hook in self._hooks:
            fault = hook(method, params)
            if fault is not None:
                return fault
        return None

    def posting_limit(self, method: str, channel_id: str) -> Fault | None:
        """Slack's ~1 message per second per channel, when `rate_limit_per_channel` is on."""
        if not self.rate_limit_per_channel or method not in POSTING_METHODS:
            return None
        now = self._clock()
        last = self._last_post.get(channel_id)
        if last is not None and now - last < POSTING_INTERVAL:
            return Fault(429, "ratelimited", max(1, math.ceil(POSTING_INTERVAL - (now - last))))
        self._last_post[channel_id] = now
        return None
