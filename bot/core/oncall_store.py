"""On-call state as stored: overrides (`/boltwatch oncall override @USER DURATION [SCHEDULE]` adds one, audited;
the schedules' answers read the ones that hold), and who each schedule last had on call, so that each handoff is
told once in the schedule's channel (an override's, by the command's own notice; an imported calendar's shift
change, by the handoff tick like a rotation's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.oncall import HORIZON, Override, Schedule, next_handoffs, on_call
from bot.delivery import outbox
from bot.store import take_turns
from bot.store.models import AuditEvent, OnCallHandoff, OnCallOverride
from bot.views.oncall import Handoff

HANDOFF_LOCK = "boltwatch-oncall-handoffs"


def active_overrides(session: Session, *, schedule: str, at: datetime, ahead: timedelta = HORIZON) -> list[Override]:
    """The overrides of `schedule` that hold at `at` or begin within `ahead` of it."""
    rows = session.scalars(
        select(OnCallOverride)
        .where(OnCallOverride.schedule == schedule, OnCallOverride.ends_at > at)
        .where(OnCallOverride.starts_at <= at + ahead)
        .order_by(OnCallOverride.id)
    )
    return [Override(row.user, row.starts_at, row.ends_at) for row in rows]


def add_override(
    session: Session,
    *,
    schedule: str,
    user: str,
    starts: datetime,
    ends: datetime,
    by: str,
    channel: str,
    told: Schedule | None = None,
) -> None:
    """Store and audit an override. With `told` (the schedule, whose channel the override's own notice tells), who
    is on call from it is remembered as told: the handoff it makes is not announced a second time."""
    session.add(OnCallOverride(schedule=schedule, user=user, starts_at=starts, ends_at=ends, created_by=by,
                               created_at=starts))  # fmt: skip
    session.add(AuditEvent(
        at=starts, actor=by, action="oncall_override", subject=f"schedule:{schedule}", channel=channel,
        detail={"user": user, "starts": starts.isoformat(), "ends": ends.isoformat()},
    ))  # fmt: skip
    if told is None or not told.channel:
        return
    take_turns(session, HANDOFF_LOCK)
    session.flush()
    now_on = on_call(told, active_overrides(session, schedule=schedule, at=starts), starts).user
    row = session.get(OnCallHandoff, schedule)
    if row is None:
        session.add(OnCallHandoff(schedule=schedule, user=now_on, at=starts))
    else:
        row.user, row.at = now_on, starts


HandoffWords = Callable[[str, str | None, Handoff | None], str]
"""The text of a handoff's note from (schedule, who is on call now, the next handoff): the caller words it."""


def announce_handoffs(
    session: Session,
    *,
    schedules: dict[str, Schedule],
    now: datetime,
    words: HandoffWords,
    behind: list[str] | None = None,
) -> int:
    """Tell each schedule's channel when who is on call changed since it was last told; how many were told. The
    first time a schedule is seen, what holds is only remembered (a restart announces nothing).

    Replicas read an imported calendar each on its own: one still holding the calendar as it was before an edit
    would tell the old answer back, and the two would take turns. So a change this replica's calendar does not
    explain — it disagrees with who was told at the moment they were told — is told only by a calendar read after
    that moment; otherwise the schedule's name goes into `behind`, for the caller to read its calendar again."""
    # A schedule whose calendar has not been loaded yet would tell its rotations' answer, then the calendar's.
    watched = {name: s for name, s in schedules.items() if s.channel and not s.awaits_calendar}
    if not watched:
        return 0
    overrides = {name: active_overrides(session, schedule=name, at=now) for name in watched}
    now_on = {name: on_call(schedule, overrides[name], now).user for name, schedule in watched.items()}
    known = {row.schedule: row.user for row in session.scalars(select(OnCallHandoff))}
    if all(name in known and known[name] == user for name, user in now_on.items()):
        return 0  # the usual tick: nothing changed, and no lock taken
    take_turns(session, HANDOFF_LOCK)
    rows = {row.schedule: row for row in session.scalars(select(OnCallHandoff))}  # another replica may have told
    told = 0
    for name, user in now_on.items():
        row = rows.get(name)
        if row is None:
            session.add(OnCallHandoff(schedule=name, user=user, at=now))
        elif row.user != user:
            if _behind(session, watched[name], row):
                if behind is not None:
                    behind.append(name)
                continue
            row.user, row.at = user, now
            following = next_handoffs(watched[name], overrides[name], now, count=1)
            text = words(name, user, following[0] if following else None)
            outbox.enqueue_message(session, key=f"oncall:{name}:{now.isoformat()}", channel=str(watched[name].channel),
                                   text=text, now=now)  # fmt: skip
            told += 1
    return told


def _behind(session: Session, schedule: Schedule, told: OnCallHandoff) -> bool:
    """Whether this replica's calendar of `schedule` may be older than the answer told at `told.at`: it disagrees
    with that answer and was read before it was told."""
    read_at = schedule.calendar_read_at
    if schedule.calendar is None or read_at is None or read_at >= told.at:
        return False
    then = on_call(schedule, active_overrides(session, schedule=schedule.name, at=told.at), told.at).user
    return then != told.user
