"""CloudWatch Logs Live Tail: one StartLiveTail session read to its end, in the calling (worker) thread.

AWS streams a `sessionStart`, then a `sessionUpdate` every second (its `sessionResults` empty when nothing new
matched), and ends a session after three hours with SessionTimeoutException, or with SessionStreamingException on an
error of its own (API reference, StartLiveTail). The update every second is what lets the reading thread notice
within a second that it was asked to stop. Live Tail has its own quota (15 concurrent sessions per account and
region) and leaves FilterLogEvents' 5 TPS alone.

Live events carry no event id; `live_key` names one by its timestamp, stream and message, which a FilterLogEvents read
of the same event computes the same way, so that a scan after a session ends repeats nothing the session delivered.
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EventStreamError

from bot.aws.logs import LogEvent
from bot.aws.partitions import partition_of

MAX_GROUPS_A_SESSION = 10
SESSION_LIMIT_SECONDS = 3 * 3600
RENEW_AFTER_SECONDS = SESSION_LIMIT_SECONDS - 10 * 60
"""A session is renewed ten minutes before AWS would end it."""
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0


class SessionEnded(Exception):
    """The session ended otherwise than asked: `code` is AWS's (SessionTimeoutException, SessionStreamingException,
    a StartLiveTail error such as LimitExceededException) or the transport's."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def timed_out(self) -> bool:
        return self.code == "SessionTimeoutException"


@dataclass(frozen=True)
class TailRequest:
    log_groups: tuple[str, ...]
    """Names; sent as ARNs, as AWS asks."""
    account_id: str
    region: str
    filter_pattern: str | None = None
    renew_after: float = RENEW_AFTER_SECONDS

    def arn(self, log_group: str) -> str:
        return f"arn:{partition_of(self.region)}:logs:{self.region}:{self.account_id}:log-group:{log_group}"


def backoff(failures: int, rng: random.Random) -> float:
    """Seconds before the `failures`th restart in a row: doubling from 1 s to 60 s, with ±20 % jitter, so that
    sessions a single outage ended do not all start again in the same second."""
    base = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** max(0, failures - 1))
    return float(base * rng.uniform(0.8, 1.2))


def live_key(timestamp_ms: int, stream: str, message: str) -> str:
    """An event's name when it has no id (`~` keeps it apart from AWS's numeric event ids)."""
    digest = zlib.crc32(stream.encode() + b"\0" + message.encode())
    return f"~{timestamp_ms}:{digest:08x}"


def live_event(raw: dict[str, Any]) -> LogEvent:
    message = str(raw.get("message", "")).rstrip("\n")
    stream = str(raw.get("logStreamName", ""))
    timestamp_ms = int(raw["timestamp"])
    return LogEvent(datetime.fromtimestamp(timestamp_ms / 1000, UTC), stream, message,
                    live_key(timestamp_ms, stream, message))  # fmt: skip


def tail(
    client: Any,
    request: TailRequest,
    *,
    stop: threading.Event,
    on_start: Callable[[], None],
    on_events: Callable[[dict[str, list[LogEvent]]], None],
) -> None:
    """Run one session (blocking): `on_start` once AWS has started it, `on_events` with each update's events by log
    group name. Returns when `stop` is set or `renew_after` has passed; raises SessionEnded otherwise."""
    by_arn = {request.arn(group): group for group in request.log_groups}
    kwargs: dict[str, Any] = {"logGroupIdentifiers": list(by_arn)}
    if request.filter_pattern:
        kwargs["logEventFilterPattern"] = request.filter_pattern
    renew_at = time.monotonic() + request.renew_after
    try:
        stream = client.start_live_tail(**kwargs)["responseStream"]
    except ClientError as exc:
        raise SessionEnded(exc.response["Error"]["Code"], exc.response["Error"].get("Message", "")) from exc
    except BotoCoreError as exc:
        raise SessionEnded(type(exc).__name__, str(exc)) from exc
    try:
        for event in stream:
            if "sessionStart" in event:
                on_start()
            elif "sessionUpdate" in event:
                results = event["sessionUpdate"].get("sessionResults", [])
                if results:
                    on_events(grouped(results, by_arn))
            if stop.is_set() or time.monotonic() >= renew_at:
                return
    except EventStreamError as exc:
        raise SessionEnded(exc.response["Error"]["Code"], exc.response["Error"].get("Message", "")) from exc
    except (BotoCoreError, OSError) as exc:
        raise SessionEnded(type(exc).__name__, str(exc)) from exc
    finally:
        stream.close()
    raise SessionEnded("StreamClosed", "the stream ended without an exception")


def grouped(results: Iterable[dict[str, Any]], by_arn: dict[str, str]) -> dict[str, list[LogEvent]]:
    """Events by log group name (AWS names the group as it was asked for: here its ARN), oldest first."""
    found: dict[str, list[LogEvent]] = {}
    for raw in results:
        identifier = str(raw.get("logGroupIdentifier", ""))
        group = (
            by_arn.get(identifier) or by_arn.get(identifier.removesuffix(":*")) or identifier.split(":log-group:")[-1]
        )
        found.setdefault(group, []).append(live_event(raw))
    for events in found.values():
        events.sort(key=lambda e: e.timestamp)
    return found


def chunks(log_groups: list[str], size: int = MAX_GROUPS_A_SESSION) -> list[tuple[str, ...]]:
    return [tuple(log_groups[i : i + size]) for i in range(0, len(log_groups), size)]
