"""Maintenance windows: silences that announce themselves when made, when they start and when they end.

A window is a silence (alerts it matches are recorded, not notified) plus a row that remembers which announcements
were made. Each announcement is claimed by an UPDATE that sets its time only where it is still unset, in the
transaction that queues it: made once whichever replica claims it first, and still owed after a restart. A window
from the config (`maintenance[]`) gets a row per occurrence, keyed by the occurrence's start, made a day ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.routing import Route, route_for
from bot.core.silences import matches
from bot.enums import IncidentStatus
from bot.store.models import Alert, AuditEvent, Incident, MaintenanceWindow, Silence, SlackChannel
from bot.views.maintenance import Announcement, Moment, WindowLine
from bot.wallclock import instant_of, local_naive

log = logging.getLogger(__name__)
UTC_ZONE = ZoneInfo("UTC")
SEARCH_BACK = timedelta(hours=3)
"""More than any zone's change of offset: how far before `now - duration`, in wall-clock time, the search starts."""
AHEAD = timedelta(days=1)
"""How long before it starts an occurrence of a configured window is made (and announced)."""
MUTED_KEPT = 1000
TITLES_SHOWN = 10
BOT = "boltwatch"


@dataclass(frozen=True)
class WindowPlan:
    """A configured window: its matchers and either a crontab (each occurrence's start, in `zone`'s wall-clock
    time) and a duration, or one start and end."""

    key: str
    matchers: list[dict[str, str]]
    reason: str
    channels: tuple[str, ...] = ()
    wall_clock: BaseTrigger | None = None
    """The crontab's trigger in UTC, read as the wall-clock times of `zone` (a zone's trigger would add the
    duration in wall-clock time, and fire twice or not at all across its daylight-saving changes)."""
    zone: ZoneInfo = UTC_ZONE
    duration: timedelta | None = None
    start: datetime | None = None
    end: datetime | None = None

    def occurrence(self, now: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence in progress at `now`, else the next one; None once a one-off window is over. An
        occurrence lasts `duration` of real time from its start (an hour is an hour across a change of the clocks);
        a start the spring change skips is the moment the clocks jump, one the autumn change repeats the first of
        the two (`bot.wallclock.instant_of`, as cron runs jobs)."""
        if self.wall_clock is None:
            assert self.start is not None and self.end is not None
            return (self.start, self.end) if self.end > now else None
        assert self.duration is not None
        # Wall-clock starts from before the earliest one that may not have ended: the first whose instant does.
        local = local_naive(self.zone, now - self.duration) - SEARCH_BACK
        fire = self.wall_clock.get_next_fire_time(None, local.replace(tzinfo=UTC))
        while fire is not None:
            start = instant_of(self.zone, fire.replace(tzinfo=None))
            if start + self.duration > now:
                return start, start + self.duration
            fire = self.wall_clock.get_next_fire_time(fire, fire + timedelta(seconds=1))
        return None

    def occurrence_key(self, start: datetime) -> str:
        """The occurrence's key: its start as the zone's clocks show it (what it was before starts were resolved to
        UTC, so that a running occurrence is not made twice across an upgrade)."""
        return f"{self.key}@{start.astimezone(self.zone).isoformat()}"


def affected_channels(session: Session, routes: list[Route], matchers: list[dict[str, str]]) -> list[str]:
    """The channel the route of the matchers' labels goes to, and those of open incidents with an alert they match."""
    labels = {m["label"]: m["value"] for m in matchers if "value" in m}
    channels = [route_for(routes, labels).channel]
    query = (
        select(Alert.labels, Incident.channel)
        .join(Incident, Alert.incident_id == Incident.id)
        .where(Incident.status != IncidentStatus.RESOLVED)
    )
    channels.extend(channel for alert_labels, channel in session.execute(query) if matches(matchers, alert_labels))
    # One message a channel, whether it is named (`#alerts`) or known by the id Slack answered for the name.
    known = select(SlackChannel.ref, SlackChannel.channel_id).where(SlackChannel.ref.in_(set(channels)))
    ids: dict[str, str | None] = {ref: channel_id for ref, channel_id in session.execute(known)}
    unique: dict[str, str] = {}
    for channel in channels:
        unique.setdefault(ids.get(channel) or channel, channel)
    return list(unique.values())


def create_window(
    session: Session,
    *,
    key: str,
    matchers: list[dict[str, str]],
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    author: str,
    channels: Sequence[str],
    now: datetime,
) -> Announcement | None:
    """The window, its silence and its audit event, and the announcement of its making (of its start too, when it
    starts at once); None when a window of this key exists already (another replica made it)."""
    if not matchers:
        raise ValueError("a maintenance window needs at least one matcher")
    try:
        with session.begin_nested():
            silence = Silence(matchers=matchers, starts_at=starts_at, ends_at=ends_at, reason=reason, author=author)
            session.add(silence)
            session.flush()
            window = MaintenanceWindow(
                key=key, silence_id=silence.id, channels=list(channels), reason=reason, author=author,
                starts_at=starts_at, ends_at=ends_at, created_at=now, muted={},
                started_announced_at=now if starts_at <= now else None,
            )  # fmt: skip
            session.add(window)
            session.flush()
    except IntegrityError:
        return None
    detail = {"matchers": matchers, "starts": starts_at.isoformat(), "ends": ends_at.isoformat(), "reason": reason}
    session.add(
        AuditEvent(at=now, actor=author, action="maintenance_created", subject=f"silence:{silence.id}", detail=detail)
    )
    return Announcement(Moment.CREATED, _line(window, silence), in_force=starts_at <= now)


def plan_windows(
    session: Session, plans: list[WindowPlan], routes: list[Route], *, now: datetime
) -> list[Announcement]:
    """Make each configured window's occurrence in progress or due within a day, once."""
    made = []
    for plan in plans:
        occurrence = plan.occurrence(now)
        if occurrence is None or occurrence[0] - AHEAD > now:
            continue
        start, end = occurrence
        key = plan.occurrence_key(start)
        if session.scalar(select(MaintenanceWindow.id).where(MaintenanceWindow.key == key)) is not None:
            continue
        channels = plan.channels or tuple(affected_channels(session, routes, plan.matchers))
        announcement = create_window(
            session, key=key, matchers=plan.matchers, starts_at=start, ends_at=end, reason=plan.reason, author=BOT,
            channels=channels, now=now,
        )  # fmt: skip
        if announcement is not None:
            made.append(announcement)
    return made


def due_announcements(session: Session, *, now: datetime) -> list[Announcement]:
    """Claim the starts and ends that are due (an ended window's end: `ends_at`, or when it was unmuted) and record
    what the windows in progress mute."""
    due = []
    windows = session.scalars(
        select(MaintenanceWindow)
        .where(MaintenanceWindow.ended_announced_at.is_(None), MaintenanceWindow.starts_at <= now)
        .order_by(MaintenanceWindow.id)
    ).all()
    for window in windows:
        silence = window.silence
        ends = min(silence.ends_at, silence.expired_at) if silence.expired_at is not None else silence.ends_at
        _record_muted(session, window)
        if ends <= now:
            if _claim(session, window, "ended_announced_at", now):
                titles = tuple(list(window.muted.values())[:TITLES_SHOWN])
                due.append(Announcement(Moment.ENDED, _line(window, silence), len(window.muted), titles))
        elif window.started_announced_at is None and _claim(session, window, "started_announced_at", now):
            due.append(Announcement(Moment.STARTED, _line(window, silence)))
    return due


def upcoming_windows(session: Session, now: datetime) -> list[WindowLine]:
    """Windows not ended yet, soonest first: what Home and `/boltwatch status` list."""
    rows = session.execute(
        select(MaintenanceWindow, Silence)
        .join(Silence, MaintenanceWindow.silence_id == Silence.id)
        .where(Silence.expired_at.is_(None), Silence.ends_at > now)
        .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
    )
    return [_line(window, silence) for window, silence in rows]


def _record_muted(session: Session, window: MaintenanceWindow) -> None:
    """The alerts its silence holds now, added to those it held before (it lets go of them when it ends)."""
    if len(window.muted) >= MUTED_KEPT:
        return
    query = select(Alert.fingerprint, Alert.title).where(Alert.silenced_by == window.silence_id).order_by(Alert.id)
    muted: dict[str, Any] = dict(window.muted)
    for fingerprint, title in session.execute(query.limit(MUTED_KEPT)):
        if len(muted) >= MUTED_KEPT:
            break
        muted.setdefault(fingerprint, title)
    if muted != window.muted:
        window.muted = muted


def _claim(session: Session, window: MaintenanceWindow, column: str, now: datetime) -> bool:
    """Set `column` to `now` where it is still unset: True for the one transaction that did."""
    claimed = getattr(MaintenanceWindow, column)
    statement = (
        update(MaintenanceWindow)
        .where(MaintenanceWindow.id == window.id, claimed.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    result: Any = session.execute(statement)
    return bool(result.rowcount == 1)


def _line(window: MaintenanceWindow, silence: Silence) -> WindowLine:
    ends = silence.expired_at if silence.expired_at is not None and silence.expired_at < silence.ends_at else None
    return WindowLine(
        window.id, list(silence.matchers), window.starts_at, ends or window.ends_at, window.reason, window.author,
        tuple(window.channels),
    )  # fmt: skip
