"""Error groups of one log source: summarise a window of events, then remember each group across windows.

A group is `new` the first time Boltwatch sees it — through `/errors` or the `log_errors` check, which both remember
here — `ongoing` when it was seen before, and `regressed` when it returns after a quiet spell (`errors:
regressed_after` in the config, a day by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.enums import ErrorGroupStatus
from bot.grouping import ErrorGrouper
from bot.store import take_turns
from bot.store.models import ErrorGroup
from bot.views.error_groups import CHART_SLICES, TREND_BUCKETS, GroupSummary, GroupView
from bot.views.logs import LogEvent

REGRESSED_AFTER = timedelta(hours=24)
SAMPLES_KEPT = 3


def summarise(events: Sequence[LogEvent], *, start: datetime, end: datetime) -> list[GroupSummary]:
    """Group the error events of a window, most frequent first."""
    span = max((end - start).total_seconds(), 1.0)
    groups: dict[str, GroupSummary] = {}
    for event, signature in ErrorGrouper[LogEvent]().group(events):
        group = groups.get(signature.key)
        if group is None:
            group = GroupSummary(signature.key, signature.kind, signature.title, signature.template, signature.culprit)
            groups[signature.key] = group
        group.count += 1
        group.first_seen = min(group.first_seen or event.timestamp, event.timestamp)
        group.last_seen = max(group.last_seen or event.timestamp, event.timestamp)
        if len(group.samples) < SAMPLES_KEPT:
            group.samples.append(event.message)
        offset = (event.timestamp - start).total_seconds() / span
        group.buckets[min(max(int(offset * TREND_BUCKETS), 0), TREND_BUCKETS - 1)] += 1
        group.slices[min(max(int(offset * CHART_SLICES), 0), CHART_SLICES - 1)] += 1
    return sorted(groups.values(), key=lambda g: (-g.count, g.title))


def remember(
    session: Session,
    *,
    source: str,
    summaries: Sequence[GroupSummary],
    now: datetime,
    regressed_after: timedelta = REGRESSED_AFTER,
) -> list[GroupView]:
    """Upsert each group of this window and say whether it is new, ongoing or regressed."""
    if not summaries:
        return []
    # Rememberers of one source take turns (a check run and a `/errors`, two `/errors`): a group new to both is
    # added once, and the second sees it.
    take_turns(session, f"error_groups:{source}")
    known = {
        g.key: g
        for g in session.scalars(
            select(ErrorGroup).where(ErrorGroup.source == source, ErrorGroup.key.in_([s.key for s in summaries]))
        )
    }
    views = []
    for summary in summaries:
        assert summary.first_seen is not None and summary.last_seen is not None
        row = known.get(summary.key)
        if row is None:
            row = ErrorGroup(
                source=source, key=summary.key, kind=summary.kind, title=summary.title, template=summary.template,
                culprit=summary.culprit, first_seen=summary.first_seen, last_seen=summary.last_seen,
                count=summary.count, status=ErrorGroupStatus.NEW, samples=summary.samples,
            )  # fmt: skip
            session.add(row)
        else:
            regressed = summary.first_seen - row.last_seen > regressed_after
            status = ErrorGroupStatus.REGRESSED if regressed else ErrorGroupStatus.ONGOING
            if summary.last_seen > row.last_seen:
                row.count += summary.count
                row.last_seen = summary.last_seen
            row.status, row.title, row.samples = status, summary.title, summary.samples
            row.first_seen = min(row.first_seen, summary.first_seen)
        session.flush()
        views.append(GroupView(row.id, summary, row.status))
    return views


def samples_of(session: Session, group_id: int) -> tuple[str, list[str]] | None:
    row = session.get(ErrorGroup, group_id)
    return (row.title, list(row.samples)) if row is not None else None
