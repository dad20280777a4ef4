"""Client-side rate limits for AWS quotas that cannot be raised, shared by checks and commands.

FilterLogEvents allows 5 transactions a second per account and region. Every logs client the session factory
makes takes a token before each FilterLogEvents call (in its worker thread, never on the event loop), so that
`/logs`, `/errors` and the log_errors check together stay under it instead of meeting throttling errors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

FILTER_LOG_EVENTS_PER_SECOND = 5.0


class TokenBucket:
    """A thread-safe token bucket; `acquire()` blocks its thread until a token is free."""

    def __init__(self, rate: float, *, burst: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else rate
        self._tokens = self.capacity
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Calls queued for a token right now."""
        return self._waiting

    def acquire(self) -> float:
        """Take a token, sleeping as long as needed; returns the seconds waited."""
        waited = 0.0
        with self._lock:
            self._waiting += 1
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                    self._updated = now
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return waited
                    pause = (1 - self._tokens) / self.rate
                time.sleep(pause)
                waited += pause
        finally:
            with self._lock:
                self._waiting -= 1


class LogsQuota:
    """One FilterLogEvents bucket per account and region."""

    def __init__(self, rate: float = FILTER_LOG_EVENTS_PER_SECOND) -> None:
        self._rate = rate
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, account: str, region: str) -> TokenBucket:
        with self._lock:
            return self._buckets.setdefault((account, region), TokenBucket(self._rate))

    def guard(self, client: Any, account: str, region: str) -> None:
        """Make every FilterLogEvents call of `client` wait for a token of its account and region."""
        bucket = self.bucket(account, region)

        def take_token(**_: Any) -> None:
            bucket.acquire()

        client.meta.events.register("before-call.logs.FilterLogEvents", take_token, unique_id="boltwatch-logs-quota")
