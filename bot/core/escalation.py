"""Escalation: an incident nobody acknowledges pages its route's levels in turn (bot/core/escalation_policy.py),
each in the incident's thread and by a direct message carrying the incident's buttons; acknowledging or resolving
it stops the rest. Everything lives in the database, so a restart loses nothing, and `take_step` runs under one
lock across replicas, so each level pages once. Every step is in the incident's timeline and the audit log.

An incident whose alerts are all held back (each silenced by a mute or a maintenance window, or inhibited) holds
its escalation: nobody is paged about what the channel was told not to hear of. When an alert notifies again it
resumes, and the levels' `after` times move on by how long it was held: `after` counts the time the incident asked
for attention, so a 1-hour mute neither pages every missed level at once nor skips one. A flapping alert still
notifies while it is clear (it holds its incident open because the trouble is not over), so a flapping incident
keeps escalating; so does one a person reopened after its alerts cleared. Whether an alert notifies is what its
last check run recorded, as the incident's message shows it: a mute or window takes hold with the alert's next
run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from bot.core.escalation_policy import SCHEDULE_PREFIX, Policy, Step, target_kind
from bot.core.oncall import Schedule, on_call
from bot.core.oncall_store import active_overrides
from bot.delivery import outbox
from bot.durations import format_duration
from bot.enums import AlertStatus, EscalationStatus, IncidentStatus
from bot.store import take_turns
from bot.store.models import Alert, AuditEvent, Escalation, Incident, IncidentEvent

BOLTWATCH = "boltwatch"
ESCALATION_LOCK = "boltwatch-escalation"
BATCH = 50


@dataclass(frozen=True)
class Targets:
    """Who a step reaches: users (with the schedule that named each, if any), channels, and schedules in which
    nobody is on call now."""

    users: tuple[tuple[str, str | None], ...]
    channels: tuple[str, ...]
    nobody_in: tuple[str, ...]


def resolve_targets(
    notify: tuple[str, ...], schedules: dict[str, Schedule], session: Session, now: datetime
) -> Targets:
    users: dict[str, str | None] = {}
    channels: list[str] = []
    nobody: list[str] = []
    for target in notify:
        kind = target_kind(target)
        if kind == "schedule":
            name = target.removeprefix(SCHEDULE_PREFIX)
            schedule = schedules.get(name)
            who = on_call(schedule, active_overrides(session, schedule=name, at=now), now).user if schedule else None
            if who is None:
                nobody.append(name)
            else:
                users.setdefault(who, name)
        elif kind == "user":
            users.setdefault(target, None)
        elif target not in channels:
            channels.append(target)
    return Targets(tuple(users.items()), tuple(channels), tuple(nobody))


def tick(session: Session, *, policies: dict[str, Policy], schedules: dict[str, Schedule], now: datetime) -> int:
    """Start escalations of new open incidents, stop those of incidents no longer open, and take every step that
    is due; how many steps were taken. One transaction, one replica at a time; a tick with nothing to do reads
    once and takes no lock (on SQLite the lock is the database's write lock)."""
    if not _work_waiting(session, policies, now):
        return 0
    take_turns(session, ESCALATION_LOCK)
    if policies:
        _start_new(session, policies, now)
    _stop_closed(session, now)
    _hold_quiet(session, now)
    _resume_notifying(session, policies, now)
    due = session.scalars(
        select(Escalation)
        .where(Escalation.status == EscalationStatus.ACTIVE, Escalation.next_at <= now)
        .order_by(Escalation.next_at)
        .limit(BATCH)
    )
    return sum(_catch_up(session, row, policies.get(row.route), schedules, now) for row in list(due))


def _catch_up(
    session: Session, row: Escalation, policy: Policy | None, schedules: dict[str, Schedule], now: datetime
) -> int:
    """Every step of the row that is due by now (more than one when ticks fell behind: a restart, a long snooze)."""
    taken = 0
    while row.status == EscalationStatus.ACTIVE and row.next_at is not None and row.next_at <= now:
        if not _take_step(session, row, policy, schedules, now):
            break
        taken += 1
    return taken


_PENDING = (EscalationStatus.ACTIVE, EscalationStatus.HELD)
"""Escalations with levels still to page."""


def _quiet() -> ColumnElement[bool]:
    """The escalation's incident holds alerts back and has none that notifies: each alert firing (or flapping) is
    silenced or inhibited (`AlertState.notifying`). An incident a person reopened, whose alerts are all clear, is
    not quiet: the person asked for attention."""
    holding = or_(Alert.status == AlertStatus.FIRING, Alert.flapping.is_(True))
    mine = Alert.incident_id == Escalation.incident_id
    notifying = exists().where(mine, holding, Alert.silenced_by.is_(None), Alert.inhibited_by.is_(None))
    held_back = exists().where(mine, holding, or_(Alert.silenced_by.is_not(None), Alert.inhibited_by.is_not(None)))
    return held_back & ~notifying


def _work_waiting(session: Session, policies: dict[str, Policy], now: datetime) -> bool:
    active = Escalation.status == EscalationStatus.ACTIVE
    held = Escalation.status == EscalationStatus.HELD
    fresh = exists().where(
        Incident.status == IncidentStatus.OPEN,
        Incident.route.in_(list(policies)),
        ~exists().where(Escalation.incident_id == Incident.id),
    )
    closed = exists().where(
        Escalation.status.in_(_PENDING), Incident.id == Escalation.incident_id, Incident.status != IncidentStatus.OPEN
    )
    due = exists().where(active, Escalation.next_at <= now)
    quiet = exists().where(active, _quiet())
    loud = exists().where(held, ~_quiet())
    return bool(session.scalar(select(or_(fresh, closed, due, quiet, loud))))


def _start_new(session: Session, policies: dict[str, Policy], now: datetime) -> None:
    fresh = select(Incident).where(
        Incident.status == IncidentStatus.OPEN,
        Incident.route.in_(list(policies)),
        ~exists().where(Escalation.incident_id == Incident.id),
    )
    for incident in session.scalars(fresh):
        first = policies[incident.route].step(0)
        assert first is not None  # only routes with levels have a policy here
        session.add(Escalation(
            incident_id=incident.id, route=incident.route, started_at=incident.opened_at, steps_taken=0,
            next_at=incident.opened_at + first.due, status=EscalationStatus.ACTIVE, paged=[], updated_at=now,
        ))  # fmt: skip
    session.flush()


def _stop_closed(session: Session, now: datetime) -> None:
    """Incidents resolved by their checks (or acknowledged by a path that did not stop them) page no one more."""
    closed = (
        select(Escalation, Incident)
        .join(Incident, Incident.id == Escalation.incident_id)
        .where(Escalation.status.in_(_PENDING), Incident.status != IncidentStatus.OPEN)
    )
    for row, incident in session.execute(closed).all():
        by = incident.acknowledged_by if incident.status == IncidentStatus.ACKNOWLEDGED else incident.resolved_by
        _stopped(session, row, incident, status=IncidentStatus(incident.status), by=by or BOLTWATCH, now=now)


def _hold_quiet(session: Session, now: datetime) -> None:
    """Escalations of open incidents whose alerts are all held back wait, from now, until one notifies."""
    quiet = select(Escalation).where(Escalation.status == EscalationStatus.ACTIVE, _quiet())
    for row in session.scalars(quiet).all():
        row.status, row.next_at, row.updated_at = EscalationStatus.HELD, None, now  # updated_at: when the hold began
        detail = "paging held: no alert notifies (silenced, in a maintenance window or inhibited)"
        session.add(IncidentEvent(incident_id=row.incident_id, at=now, actor=BOLTWATCH, kind="escalation_held",
                                  detail=detail))  # fmt: skip


def _resume_notifying(session: Session, policies: dict[str, Policy], now: datetime) -> None:
    """Held escalations whose incident has an alert that notifies again (or none held back) go on, their levels
    later by the hold."""
    loud = select(Escalation).where(Escalation.status == EscalationStatus.HELD, ~_quiet())
    for row in session.scalars(loud).all():
        held = max(now - row.updated_at, timedelta(0))
        policy = policies.get(row.route)
        step = policy.step(row.steps_taken) if policy is not None else None
        row.started_at += held
        row.status, row.updated_at = EscalationStatus.ACTIVE, now
        row.next_at = row.started_at + step.due if step is not None else now  # no step left: exhausted when taken
        nxt = f", level {step.level} in {format_duration(max(row.next_at - now, timedelta(0)))}" if step else ""
        detail = f"paging resumed after {format_duration(held)} held{nxt}"
        session.add(IncidentEvent(incident_id=row.incident_id, at=now, actor=BOLTWATCH, kind="escalation_resumed",
                                  detail=detail))  # fmt: skip


def _take_step(
    session: Session, row: Escalation, policy: Policy | None, schedules: dict[str, Schedule], now: datetime
) -> int:
    postgres = session.get_bind().dialect.name == "postgresql"
    incident = session.get_one(Incident, row.incident_id, with_for_update=postgres)  # one writer with a click
    if incident.status != IncidentStatus.OPEN:
        by = incident.acknowledged_by or incident.resolved_by or BOLTWATCH
        _stopped(session, row, incident, status=IncidentStatus(incident.status), by=by, now=now)
        return 0
    step = policy.step(row.steps_taken) if policy is not None else None
    if policy is None or step is None:
        row.status, row.next_at, row.updated_at = EscalationStatus.EXHAUSTED, None, now
        return 0
    if row.started_at + step.due > now:  # reopened: the policy starts over from then
        row.next_at = row.started_at + step.due
        return 0
    if incident.snoozed_until is not None and incident.snoozed_until > now:
        row.next_at = incident.snoozed_until  # a snooze holds the pages until it ends
        return 0
    targets = resolve_targets(step.notify, schedules, session, now)
    _page(session, incident, step, policy, targets, now)
    row.paged = sorted(set(row.paged) | {user for user, _ in targets.users} | set(targets.channels))
    row.steps_taken += 1
    after = policy.step(row.steps_taken)
    row.next_at = row.started_at + after.due if after else None
    row.status = EscalationStatus.ACTIVE if after else EscalationStatus.EXHAUSTED
    row.updated_at = now
    return 1


def _page(session: Session, incident: Incident, step: Step, policy: Policy, targets: Targets, now: datetime) -> None:
    told: dict[str, Any] = {
        "level": step.level, "levels": len(policy.levels), "round": step.round, "after": format_duration(step.due),
        "users": [list(pair) for pair in targets.users], "channels": list(targets.channels),
        "nobody_in": list(targets.nobody_in), "incident": incident.id, "title": incident.title,
        "home": incident.channel,
    }  # fmt: skip
    outbox.enqueue_payload_reply(session, incident_id=incident.id, channel=incident.channel,
                                 payload={"escalated": told}, now=now)  # fmt: skip
    for target in [user for user, _ in targets.users] + list(targets.channels):
        outbox.enqueue_page(session, incident_id=incident.id, step=step.number, target=target, payload=told, now=now)
    whom = [f"{user} (on call: {via})" if via else user for user, via in targets.users] + list(targets.channels)
    whom += [f"nobody on call in {name}" for name in targets.nobody_in]
    repeat = f", repeat {step.round}" if step.round else ""
    detail = f"level {step.level}{repeat} after {told['after']}: {', '.join(whom)}"
    session.add(IncidentEvent(incident_id=incident.id, at=now, actor=BOLTWATCH, kind="escalated", detail=detail))
    session.add(AuditEvent(at=now, actor=BOLTWATCH, action="escalation_paged", subject=f"incident:{incident.id}",
                           channel=incident.channel, detail=told))  # fmt: skip


def stop(session: Session, *, incident_id: int, status: IncidentStatus, by: str, now: datetime) -> None:
    """A person acknowledged or resolved the incident: no level pages any more."""
    row = session.scalars(
        select(Escalation).where(Escalation.incident_id == incident_id, Escalation.status.in_(_PENDING))
    ).first()
    if row is not None:
        _stopped(session, row, session.get_one(Incident, incident_id), status=status, by=by, now=now)


def _stopped(
    session: Session, row: Escalation, incident: Incident, *, status: IncidentStatus, by: str, now: datetime
) -> None:
    row.status, row.next_at, row.stopped_by, row.updated_at = EscalationStatus.STOPPED, None, by, now
    if row.steps_taken == 0:
        return  # nobody was paged: the acknowledgement in the timeline says it all
    detail = f"{status.value} by {by} after {row.steps_taken} page(s)"
    session.add(IncidentEvent(incident_id=incident.id, at=now, actor=by, kind="escalation_stopped", detail=detail))
    told = {"status": status.value, "steps": row.steps_taken}
    session.add(AuditEvent(at=now, actor=by, action="escalation_stopped", subject=f"incident:{incident.id}",
                           channel=incident.channel, detail=told))  # fmt: skip


def restart(session: Session, *, incident_id: int, now: datetime) -> None:
    """The incident was reopened: its escalation starts over from now (`tick` finds when its first level is)."""
    row = session.scalars(select(Escalation).where(Escalation.incident_id == incident_id)).first()
    if row is not None:
        row.status, row.steps_taken, row.started_at, row.next_at = EscalationStatus.ACTIVE, 0, now, now
        row.stopped_by, row.updated_at = None, now


def paged_here(session: Session, *, incident_id: int, user: str, channel: str) -> set[str]:
    """`channel` when a click there comes from a page of this incident (the direct message to a paged user, or a
    paged channel): the paged act on the incident from where they were paged. Empty otherwise."""
    row = session.scalars(select(Escalation).where(Escalation.incident_id == incident_id)).first()
    if row is None or not channel:
        return set()
    if channel.startswith("D") and user in row.paged:
        return {channel}
    paged_channels = {outbox.known_channel_id(session, ref) or ref for ref in row.paged if ref[:1] in "#CG"}
    return {channel} if channel in paged_channels else set()
