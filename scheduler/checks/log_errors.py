"""Error events in log groups, grouped: alert on new and regressed error groups (or on every error group).

Each log group is read from its persisted cursor with FilterLogEvents, re-reading a short overlap so that events
ingested late are not skipped and the ids already read are not repeated. Which events are errors, and how they
group, is decided here in our own code: moto (and so the tests) cannot be trusted with complex filter patterns.

With `mode: live`, up to `live_max_groups` log groups are streamed by Live Tail sessions (scheduler/live_tails.py)
and their events go through `observe_streamed` as they arrive; the scheduled run then reads only the other groups,
and ages the live ones' error groups (quiet ones resolve) without reading them. A live group whose session is down
is read as any other until it is back. In live mode a cursor names events by `live_key` (Live Tail gives no event
ids), so that the read after a session (re)starts and the stream never count one event twice.

FilterLogEvents allows 5 calls a second per account and region, shared with `/logs` and `/errors`: a thousand log
groups would take 200 s a cycle. Most groups are idle most of the time, so a group whose newest stream took nothing
since the last read (DescribeLogStreams ordered by LastEventTime, a quota of its own) is not read; since AWS
updates a stream's last event time "on an eventual consistency basis" (LogStream, CloudWatch Logs API reference),
an idle group is still read every `idle_reread`, and the cursor, which only moves on a read, loses nothing.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.aws.live_tail import MAX_GROUPS_A_SESSION, live_key
from bot.aws.logs import ERROR_TERMS, LAMBDA_PREFIX, LogEvent
from bot.core.findings import CheckResult, Finding, LogCursorState
from bot.durations import Duration
from bot.enums import ErrorGroupStatus, Severity
from bot.grouping import ErrorGrouper, ErrorSignature
from bot.views.error_groups import GroupSummary, error_source
from scheduler.registry import CheckContext, check

OVERLAP_MS = 120_000
MAX_SEEN_IDS = 5_000
MAX_REMEMBERED_GROUPS = 500
READ_AT = "read_at"
"""In a cursor's memory: when the group was last read with FilterLogEvents (ms since the epoch)."""


class LogErrorsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    log_groups: list[str] = Field(min_length=1, description="log group names or globs like /aws/lambda/*")
    notify: Literal["new", "all"] = "new"
    quiet_after: Duration = timedelta(minutes=15)
    first_look_back: Duration = timedelta(minutes=5)
    max_pages: int = Field(default=20, ge=1, le=200)
    max_log_groups: int = Field(default=100, ge=1, le=1000)
    mode: Literal["poll", "live"] = Field(
        default="poll", description="live: stream the first `live_max_groups` log groups with Live Tail"
    )
    live_max_groups: int = Field(
        default=MAX_GROUPS_A_SESSION, ge=1, le=100, description="log groups streamed live (10 a Live Tail session)"
    )
    idle_reread: Duration = Field(
        default=timedelta(minutes=5), description="how often a log group that looks idle is read all the same"
    )


@dataclass
class GroupMemory:
    title: str
    first_seen: int
    last_seen: int
    alerting: bool

    @classmethod
    def load(cls, raw: dict[str, Any]) -> GroupMemory:
        return cls(raw["title"], raw["first_seen"], raw["last_seen"], raw["alerting"])


@dataclass
class Occurrences:
    signature: ErrorSignature
    count: int = 0
    first: LogEvent | None = None
    last: LogEvent | None = None
    samples: list[str] = field(default_factory=list)

    def summary(self) -> GroupSummary:
        """As `/errors` summarises a group, for remembering it in the same place."""
        assert self.first is not None and self.last is not None
        signature = self.signature
        return GroupSummary(
            signature.key, signature.kind, signature.title, signature.template, signature.culprit, count=self.count,
            first_seen=self.first.timestamp, last_seen=self.last.timestamp, samples=list(self.samples),
        )  # fmt: skip


def matching_log_groups(client: Any, patterns: list[str], limit: int) -> list[str]:
    """Log groups named by the patterns: each pattern's literal prefix is listed, then matched as a glob."""
    found: list[str] = []
    for pattern in patterns:
        prefix = pattern.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0]
        kwargs = {"logGroupNamePrefix": prefix} if prefix else {}
        for page in client.get_paginator("describe_log_groups").paginate(**kwargs):
            for group in page.get("logGroups", []):
                name = group["logGroupName"]
                if fnmatch.fnmatchcase(name, pattern) and name not in found:
                    found.append(name)
            if len(found) >= limit:
                return found[:limit]
    return found


def newest_ingestion_ms(client: Any, log_group: str) -> int | None:
    """When the log group last took an event (ms since the epoch), from its newest stream; None if it has none."""
    response = client.describe_log_streams(logGroupName=log_group, orderBy="LastEventTime", descending=True, limit=1)
    streams = response.get("logStreams", [])
    if not streams:
        return None
    newest = max(streams[0].get("lastIngestionTime") or 0, streams[0].get("lastEventTimestamp") or 0)
    return newest or None


def looks_idle(client: Any, log_group: str, cursor: LogCursorState | None, *, now_ms: int, reread_ms: int) -> bool:
    """Nothing arrived since the group was last read (by the overlap's margin, for clocks that disagree), and that
    read is recent enough to trust AWS's eventually consistent last event time."""
    read_at = cursor.memory.get(READ_AT) if cursor else None
    if read_at is None or now_ms - read_at >= reread_ms:
        return False
    newest = newest_ingestion_ms(client, log_group)
    return newest is None or newest < read_at - OVERLAP_MS


def read_since(
    client: Any,
    log_group: str,
    cursor: LogCursorState | None,
    *,
    now_ms: int,
    first_look_back_ms: int,
    max_pages: int,
    live_keys: bool = False,
) -> tuple[list[LogEvent], LogCursorState]:
    """New events since the cursor (oldest first) and the cursor after them; at most `max_pages` pages a run. With
    `live_keys` the cursor names events as a Live Tail stream can (`live_key`), not by their ids."""
    reached = cursor.timestamp_ms if cursor else now_ms - first_look_back_ms
    seen = set(cursor.seen_event_ids) if cursor else set()
    kwargs: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": max(reached - OVERLAP_MS, 0),
        "endTime": now_ms,
        "interleaved": True,
        "filterPattern": ERROR_TERMS,
    }
    raw: list[dict[str, Any]] = []
    for pages, page in enumerate(client.get_paginator("filter_log_events").paginate(**kwargs), start=1):
        raw.extend(page.get("events", []))
        if pages >= max_pages:
            break
    raw.sort(key=lambda e: (e["timestamp"], e.get("eventId", "")))
    events = [LogEvent.from_api(e) for e in raw]
    if live_keys:
        events = [
            e._replace(event_id=live_key(r["timestamp"], e.stream, e.message)) for e, r in zip(events, raw, strict=True)
        ]
    fresh = [e for e in events if e.event_id not in seen]
    newest = max([reached, *(e["timestamp"] for e in raw)])
    # Every event of the next read's overlap was read now, so its ids are all the next read must skip.
    ids = [e.event_id for e, r in zip(events, raw, strict=True) if r["timestamp"] >= newest - OVERLAP_MS and e.event_id]
    memory = (dict(cursor.memory) if cursor else {}) | {READ_AT: now_ms}
    return fresh, LogCursorState(newest, tuple(ids[-MAX_SEEN_IDS:]), memory)


def after_streamed(cursor: LogCursorState, events: list[LogEvent]) -> tuple[list[LogEvent], LogCursorState]:
    """The streamed events the cursor has not seen (a read after a session restart may have) and the cursor moved
    past them, so that a read after the next restart starts there."""
    seen = set(cursor.seen_event_ids)
    fresh = [e for e in events if e.event_id not in seen]
    newest = max([cursor.timestamp_ms, *(int(e.timestamp.timestamp() * 1000) for e in events)])
    ids = [*cursor.seen_event_ids, *(e.event_id for e in fresh)]
    ids = [i for i in ids if not i.startswith("~") or int(i[1:].split(":", 1)[0]) >= newest - OVERLAP_MS]
    return fresh, LogCursorState(newest, tuple(ids[-MAX_SEEN_IDS:]), cursor.memory)


def group_errors(events: list[LogEvent]) -> dict[str, Occurrences]:
    groups: dict[str, Occurrences] = {}
    for event, signature in ErrorGrouper[LogEvent]().group(events):
        occurrences = groups.setdefault(signature.key, Occurrences(signature))
        occurrences.count += 1
        occurrences.first = occurrences.first or event
        occurrences.last = event
        if len(occurrences.samples) < 2:
            occurrences.samples.append(event.message[:1500])
    return groups


def _finding(ctx: CheckContext, log_group: str, key: str, title: str, firing: bool, **extra: Any) -> Finding:
    function = log_group.removeprefix(LAMBDA_PREFIX) if log_group.startswith(LAMBDA_PREFIX) else None
    labels = {"log_group": log_group, "error_group": key} | ({"function": function} if function else {})
    console = (
        f"https://{ctx.region}.console.aws.amazon.com/cloudwatch/home?region={ctx.region}"
        f"#logsV2:log-groups/log-group/{log_group.replace('/', '$252F')}"
    )
    return Finding(
        fingerprint=f"log_errors:{ctx.account_id}:{ctx.region}:{log_group}:{key}",
        firing=firing,
        title=f"{function or log_group}: {title}",
        severity=Severity.WARNING,
        resource=function or log_group,
        account=ctx.account_id,
        region=ctx.region,
        labels=labels,
        links={"console": console},
        tag_arns=(f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{log_group}",),
        **extra,
    )


def scan_log_group(
    ctx: CheckContext, params: LogErrorsParams, log_group: str, events: list[LogEvent], cursor: LogCursorState
) -> tuple[list[Finding], LogCursorState, list[GroupSummary]]:
    """Decide, per error group, whether it alerts now, keeps alerting, or has gone quiet; and summarise the groups
    seen, to be remembered where `/errors` remembers them."""
    now_ms = int(ctx.now.timestamp() * 1000)
    regression_ms = int(ctx.regressed_after.total_seconds() * 1000)
    memory = {k: GroupMemory.load(v) for k, v in cursor.memory.get("groups", {}).items()}
    findings: list[Finding] = []
    groups = group_errors(events)
    for key, seen in groups.items():
        assert seen.first is not None
        known = memory.get(key)
        first_ms = int(seen.first.timestamp.timestamp() * 1000)
        regressed = known is not None and first_ms - known.last_seen > regression_ms
        alerting = params.notify == "all" or known is None or regressed or known.alerting
        memory[key] = GroupMemory(seen.signature.title[:300], known.first_seen if known else first_ms, now_ms, alerting)
        if alerting:
            label = (
                ErrorGroupStatus.REGRESSED
                if regressed
                else (ErrorGroupStatus.NEW if known is None else ErrorGroupStatus.ONGOING)
            )
            evidence = {"Count in this scan": seen.count, "Group": label, "Sample": seen.samples[0]}
            if seen.signature.culprit:
                evidence["Culprit"] = seen.signature.culprit
            title = seen.signature.title[:200]
            findings.append(
                _finding(ctx, log_group, key, title, True, evidence=evidence, started_at=seen.first.timestamp)
            )
    quiet_ms = int(params.quiet_after.total_seconds() * 1000)
    for key, known in memory.items():
        if known.alerting and known.last_seen < now_ms and all(f.labels["error_group"] != key for f in findings):
            still = now_ms - known.last_seen < quiet_ms
            findings.append(_finding(ctx, log_group, key, known.title, still))
            known.alerting = still
    kept = sorted(memory.items(), key=lambda item: item[1].last_seen)[-MAX_REMEMBERED_GROUPS:]
    state = {**cursor.memory, "groups": {k: vars(m) for k, m in kept}}
    summaries = [seen.summary() for seen in groups.values()]
    return findings, LogCursorState(cursor.timestamp_ms, cursor.seen_event_ids, state), summaries


@check(
    "log_errors",
    service="logs",
    permissions=["logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:FilterLogEvents"],
    every="30s",
    params=LogErrorsParams,
)
def log_errors(ctx: CheckContext, params: LogErrorsParams) -> CheckResult:
    """Error events in log groups, grouped; new and regressed error groups alert."""
    client = ctx.client("logs")
    return scan_groups(ctx, params, matching_log_groups(client, params.log_groups, params.max_log_groups))


def live_candidates(ctx: CheckContext, params: LogErrorsParams) -> list[str]:
    """The log groups a live-mode check streams: the first `live_max_groups` it matches."""
    limit = min(params.live_max_groups, params.max_log_groups)
    return matching_log_groups(ctx.client("logs"), params.log_groups, limit)


def scan_groups(ctx: CheckContext, params: LogErrorsParams, log_groups: list[str]) -> CheckResult:
    """Read each log group from its cursor and decide its error groups; a group streamed live right now
    (`ctx.live_groups`) is not read, only aged, so that its quiet error groups resolve on schedule."""
    client = ctx.client("logs")
    now_ms = int(ctx.now.timestamp() * 1000)
    reread_ms = int(params.idle_reread.total_seconds() * 1000)
    parts: list[tuple[str, list[LogEvent], LogCursorState]] = []
    for log_group in log_groups:
        cursor = ctx.cursors.get(log_group)
        if log_group in ctx.live_groups:
            if cursor is not None:
                parts.append((log_group, [], cursor))
            continue
        if cursor is not None and looks_idle(client, log_group, cursor, now_ms=now_ms, reread_ms=reread_ms):
            parts.append((log_group, [], cursor))
            continue
        events, cursor = read_since(
            client,
            log_group,
            cursor,
            now_ms=now_ms,
            first_look_back_ms=int(params.first_look_back.total_seconds() * 1000),
            max_pages=params.max_pages,
            live_keys=params.mode == "live",
        )
        parts.append((log_group, events, cursor))
    return decide(ctx, params, parts)


def observe_streamed(ctx: CheckContext, params: LogErrorsParams, streamed: dict[str, list[LogEvent]]) -> CheckResult:
    """Events a Live Tail session delivered, by log group: decided exactly as a scheduled read's would be (same
    grouping, same fingerprints), each group's cursor moved past them. A group never read before starts from an
    empty cursor at its first event."""
    parts = []
    for log_group, events in streamed.items():
        first_ms = min(int(e.timestamp.timestamp() * 1000) for e in events) if events else 0
        cursor = ctx.cursors.get(log_group) or LogCursorState(first_ms)
        fresh, cursor = after_streamed(cursor, events)
        parts.append((log_group, fresh, cursor))
    return decide(ctx, params, parts)


def decide(
    ctx: CheckContext, params: LogErrorsParams, parts: list[tuple[str, list[LogEvent], LogCursorState]]
) -> CheckResult:
    findings: list[Finding] = []
    cursors = {}
    error_groups: dict[str, tuple[GroupSummary, ...]] = {}
    covered: set[str] = set()
    for log_group, events, cursor in parts:
        group_findings, cursor, summaries = scan_log_group(ctx, params, log_group, events, cursor)
        findings.extend(group_findings)
        covered.update(f.fingerprint for f in group_findings)
        cursors[(ctx.account, ctx.region, log_group)] = cursor
        if summaries:
            error_groups[error_source(ctx.account, ctx.region, log_group)] = tuple(summaries)
    return CheckResult(findings=findings, covered=frozenset(covered), cursors=cursors, error_groups=error_groups)
