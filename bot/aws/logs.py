"""CloudWatch Logs reads: resolve a TARGET to log groups, fetch the newest events of a window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from bot.aws.quotas import interactive_reads

LAMBDA_PREFIX = "/aws/lambda/"
MAX_CANDIDATES = 10
MAX_PAGES = 50


class LogEvent(NamedTuple):
    """One CloudWatch Logs event. A named tuple: `/errors` reads tens of thousands a window, and a frozen
    dataclass costs three times as much to make."""

    timestamp: datetime
    stream: str
    message: str
    event_id: str

    @classmethod
    def from_api(cls, event: dict[str, Any]) -> LogEvent:
        return cls(
            timestamp=datetime.fromtimestamp(event["timestamp"] / 1000, UTC),
            stream=event.get("logStreamName", ""),
            message=event.get("message", "").rstrip("\n"),
            event_id=event.get("eventId", ""),
        )


@dataclass(frozen=True)
class Resolution:
    """What a TARGET names: one log group, several candidates, or nothing (with the names seen nearby)."""

    log_group: str | None
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventWindow:
    events: list[LogEvent]
    scanned: int
    truncated: bool


def _groups_with_prefix(client: Any, prefix: str, limit: int = MAX_CANDIDATES + 1) -> list[str]:
    names: list[str] = []
    for page in client.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
        names.extend(group["logGroupName"] for group in page.get("logGroups", []))
        if len(names) >= limit:
            break
    return names[:limit]


def resolve_target(client: Any, target: str) -> Resolution:
    """A log group name, a prefix of one, or a Lambda function name (`orders-api` → /aws/lambda/orders-api)."""
    prefixes = [target] if target.startswith("/") else [LAMBDA_PREFIX + target, target]
    for prefix in prefixes:
        names = _groups_with_prefix(client, prefix)
        if prefix in names:
            return Resolution(prefix)
        if len(names) == 1:
            return Resolution(names[0])
        if names:
            return Resolution(None, tuple(names[:MAX_CANDIDATES]))
    return Resolution(None)


def all_group_names(client: Any, prefix: str = "", limit: int = 500) -> list[str]:
    """Names to suggest from when a TARGET matches nothing."""
    kwargs = {"logGroupNamePrefix": prefix} if prefix else {}
    names: list[str] = []
    for page in client.get_paginator("describe_log_groups").paginate(**kwargs):
        names.extend(group["logGroupName"] for group in page.get("logGroups", []))
        if len(names) >= limit:
            break
    return names


def newest_events(
    client: Any,
    log_group: str,
    *,
    start: datetime,
    end: datetime,
    limit: int,
    filter_text: str | None = None,
) -> EventWindow:
    """The newest `limit` events of the window across all streams, oldest first (`/logs`: someone waits for them,
    so its reads go before scheduled ones in the quota).

    Reads backwards in growing slices (5 minutes, then doubling) so that a long window with a busy log group
    does not page through hours of events to show the last hundred.
    """
    with interactive_reads():
        return _newest_events(client, log_group, start=start, end=end, limit=limit, filter_text=filter_text)


def _newest_events(
    client: Any, log_group: str, *, start: datetime, end: datetime, limit: int, filter_text: str | None
) -> EventWindow:
    phrase = filter_text.replace('"', "") if filter_text else None
    collected: list[LogEvent] = []
    scanned = pages = 0
    slice_end, span = end, timedelta(minutes=5)
    while slice_end > start and len(collected) < limit and pages < MAX_PAGES:
        slice_start = max(start, slice_end - span)
        kwargs: dict[str, Any] = {
            "logGroupName": log_group,
            "startTime": int(slice_start.timestamp() * 1000),
            "endTime": int(slice_end.timestamp() * 1000) - 1,
            "interleaved": True,
        }
        if phrase:
            kwargs["filterPattern"] = f'"{phrase}"'
        found: list[LogEvent] = []
        for page in client.get_paginator("filter_log_events").paginate(**kwargs):
            pages += 1
            found.extend(LogEvent.from_api(raw) for raw in page.get("events", []))
            if pages >= MAX_PAGES:
                break
        if phrase:
            found = [event for event in found if phrase in event.message]
        scanned += len(found)
        collected = found + collected
        slice_end, span = slice_start, span * 2
    events = sorted(collected, key=lambda e: (e.timestamp, e.event_id))[-limit:]
    return EventWindow(events=events, scanned=scanned, truncated=pages >= MAX_PAGES and slice_end > start)


# Terms that narrow a scan on real CloudWatch Logs; our own classifier still decides what is an error. CloudWatch
# matches a term as a whole word, so every kind of failure record needs a word of its own here: a platform REPORT
# with `Status: timeout` (no "error" in it), pino/bunyan's numeric levels (`"level":50`, 60), the runtimes' JSON
# error reports (`errorMessage`, `errorType`), syslog-style level names, a runtime killed by a signal. Measured on
# the development corpus (`bench/lambda_corpus`): the earlier terms let 9% of its errors through unseen, these
# about 1% (Java runtime reports in text form, whose only hint is a type like `java.lang.NullPointerException`).
# (moto treats an OR pattern as match-all, which only means more events to classify.)
ERROR_TERMS = (
    "?ERROR ?Error ?error ?Exception ?exception ?FATAL ?fatal ?panic ?Traceback ?Task ?CRITICAL ?failed"
    " ?timeout ?killed ?errorMessage ?errorType ?50 ?60 ?crit ?CRIT ?emerg ?EMERG"
)


def window_events(
    client: Any, log_group: str, *, start: datetime, end: datetime, pattern: str | None, max_pages: int = MAX_PAGES
) -> EventWindow:
    """Every event of the window (oldest first) matching `pattern`, up to `max_pages` pages (`/errors`: someone
    waits for them, so its reads go before scheduled ones in the quota)."""
    with interactive_reads():
        return _window_events(client, log_group, start=start, end=end, pattern=pattern, max_pages=max_pages)


def _window_events(
    client: Any, log_group: str, *, start: datetime, end: datetime, pattern: str | None, max_pages: int
) -> EventWindow:
    kwargs: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": int(start.timestamp() * 1000),
        "endTime": int(end.timestamp() * 1000),
        "interleaved": True,
    }
    if pattern:
        kwargs["filterPattern"] = pattern
    events: list[LogEvent] = []
    pages = 0
    for page in client.get_paginator("filter_log_events").paginate(**kwargs):
        events.extend(LogEvent.from_api(raw) for raw in page.get("events", []))
        pages += 1
        if pages >= max_pages:
            break
    events.sort(key=lambda e: (e.timestamp, e.event_id))
    return EventWindow(events=events, scanned=len(events), truncated=pages >= max_pages)
