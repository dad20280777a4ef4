"""Client-side rate limits for AWS quotas that cannot be raised, shared by checks and commands.

FilterLogEvents allows 5 transactions a second per account and region, and DescribeLogStreams 25 (CloudWatch Logs
quotas: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html). Every logs client the
session factory makes takes a token of the operation's own bucket before each call (in its worker thread, never on
the event loop), so that `/logs`, `/errors` and the log_errors check together stay under them instead of meeting
throttling errors. A read someone waits for (`interactive_reads()`) takes the next free token before any scheduled
read that waits too: a check scanning hundreds of log groups must not starve `/logs`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

FILTER_LOG_EVENTS_PER_SECOND = 5.0
DESCRIBE_LOG_STREAMS_PER_SECOND = 25.0
GUARDED = {"FilterLogEvents": FILTER_LOG_EVENTS_PER_SECOND, "DescribeLogStreams": DESCRIBE_LOG_STREAMS_PER_SECOND}
"""The logs operations limited here, with their quota in calls a second per account and region."""

_reads = threading.local()


@contextmanager
def interactive_reads() -> Iterator[None]:
    """Within the block, this thread's guarded calls are a person's (a command, a button): they go first."""
    before = getattr(_reads, "interactive", False)
    _reads.interactive = True
    try:
        yield
    finally:
        _reads.interactive = before


def reading_interactively() -> bool:
    return bool(getattr(_reads, "interactive", False))


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
        self._urgent = 0

    @property
    def waiting(self) -> int:
        """Calls queued for a token right now."""
        return self._waiting

    @property
    def urgent_waiting(self) -> int:
        """Interactive calls queued for a token right now: those a new interactive call waits behind."""
        return self._urgent

    def acquire(self, *, urgent: bool = False) -> float:
        """Take a token, sleeping as long as needed; returns the seconds waited. While an urgent call waits, no
        other call takes a token before it."""
        waited = 0.0
        with self._lock:
            self._waiting += 1
            self._urgent += urgent
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                    self._updated = now
                    if self._tokens >= 1 and (urgent or not self._urgent):
                        self._tokens -= 1
                        return waited
                    pause = max(1 - self._tokens, 0.1) / self.rate
                time.sleep(pause)
                waited += pause
        finally:
            with self._lock:
                self._waiting -= 1
                self._urgent -= urgent


class LogsQuota:
    """One bucket per guarded operation, account and region."""

    def __init__(self, rates: dict[str, float] | None = None) -> None:
        self._rates = GUARDED | (rates or {})
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, account: str, region: str, operation: str = "FilterLogEvents") -> TokenBucket:
        with self._lock:
            return self._buckets.setdefault((operation, account, region), TokenBucket(self._rates[operation]))

    def guard(self, client: Any, account: str, region: str) -> None:
        """Make every guarded call of `client` wait for a token of its operation, account and region."""
        for operation in self._rates:
            bucket = self.bucket(account, region, operation)

            def take_token(bucket: TokenBucket = bucket, **_: Any) -> None:
                bucket.acquire(urgent=reading_interactively())

            client.meta.events.register(
                f"before-call.logs.{operation}", take_token, unique_id=f"boltwatch-logs-quota-{operation}"
            )
