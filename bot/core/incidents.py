"""Findings → alerts → incidents, with the outbox rows that report each change, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.alert_states import AlertState, load_by_fingerprint
from bot.core.check_run import CheckRun, Observation, view_of
from bot.core.decisions import Reason, decide_reminder, next_update_at
from bot.core.escalation_policy import SCHEDULE_PREFIX
from bot.core.findings import CheckResult, Finding
from bot.core.inhibition import InhibitRule
from bot.core.oncall import Schedule, on_call
from bot.core.oncall_store import active_overrides
from bot.core.routing import Route
from bot.delivery import outbox
from bot.enums import AlertStatus, IncidentStatus, Severity, Source
from bot.store.models import Alert, Incident

__all__ = ["Observation", "observe", "observe_pushed", "remind"]


def _firing_count(session: Session, incident_id: int) -> int:
    alerts = session.scalars(
        select(Alert.id).where(
            Alert.incident_id == incident_id,
            Alert.status == AlertStatus.FIRING,
            Alert.silenced_by.is_(None),
            Alert.inhibited_by.is_(None),
        )
    )
    return len(alerts.all())


def observe(
    session: Session,
    *,
    check: str,
    result: CheckResult,
    routes: list[Route],
    now: datetime,
    source: Source = Source.POLL,
    charts: bool = True,
    inhibit_rules: Sequence[InhibitRule] = (),
) -> Observation:
    """Apply one check run's result: upsert alerts, group them into incidents, queue Slack operations. The
    incident's timeline says which `source` saw each alert fire or clear first. With `charts` off (config
    `charts.enabled`), what findings say a chart would show is not drawn. Alerts that `inhibit_rules` inhibit are
    recorded and not notified.

    The run is applied as a set (`CheckRun`): its alerts, their incidents and the outbox items waiting for those are
    read in a few queries, the decisions are made in memory, and the changes are written in a few statements."""
    run = CheckRun(
        session, check=check, routes=routes, now=now, source=source, charts=charts, inhibit_rules=inhibit_rules
    )
    run.apply(result)
    return run.observation


def observe_pushed(
    session: Session,
    *,
    check: str,
    findings: list[Finding],
    routes: list[Route],
    now: datetime,
    charts: bool = True,
    inhibit_rules: Sequence[InhibitRule] = (),
) -> Observation:
    """Apply findings AWS pushed (an alarm's state change) as `check`'s: only the alerts of these fingerprints
    change. A check run resolves what its scope covers and it did not report; a push sees one resource, so it
    resolves nothing else.

    A pushed state older than what the alert already knows changes nothing: SNS keeps no order, and a poll may
    have seen a newer state (a firing finding from before the alert resolved, a clear from before it fired)."""
    known = load_by_fingerprint(session, [f.fingerprint for f in findings])
    current = [f for f in findings if not _superseded(known.get(f.fingerprint), f)]
    observation = observe(
        session,
        check=check,
        result=CheckResult(findings=current, covered=frozenset(f.fingerprint for f in current)),
        routes=routes,
        now=now,
        source=Source.PUSH,
        charts=charts,
        inhibit_rules=inhibit_rules,
    )
    observation.reasons[Reason.UNCHANGED] += len(findings) - len(current)
    return observation


def _superseded(alert: AlertState | None, finding: Finding) -> bool:
    changed_at = finding.started_at
    if alert is None or changed_at is None:
        return False
    if finding.firing:
        return alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None and alert.resolved_at > changed_at
    return alert.status == AlertStatus.FIRING and alert.first_seen > changed_at


def remind(
    session: Session, *, routes: list[Route], now: datetime, schedules: Mapping[str, Schedule] | None = None
) -> int:
    """Thread reminders for firing, unacknowledged incidents whose repeat interval elapsed or snooze ended. A route's
    `mentions` may name `schedule:NAME`: whoever is on call in it now (overrides included) is mentioned."""
    sent = 0
    for incident in session.scalars(select(Incident).where(Incident.status == IncidentStatus.OPEN)).all():
        route = next((r for r in routes if r.name == incident.route), routes[-1])
        reason = decide_reminder(
            view_of(incident, _firing_count(session, incident.id)), repeat_interval=route.repeat_interval, now=now
        )
        if reason not in (Reason.REPEAT_DUE, Reason.SNOOZE_OVER):
            continue
        mentions = " ".join(
            f"<@{u}>" for u in mentioned_users(session, route.mentions.get(Severity(incident.severity), ()),
                                               schedules or {}, now)
        )  # fmt: skip
        text = "Still firing and not acknowledged." if reason is Reason.REPEAT_DUE else "Snooze over: still firing."
        outbox.enqueue_reply(
            session, incident_id=incident.id, channel=incident.channel, text=f"{text} {mentions}".strip(), now=now
        )
        if reason is Reason.SNOOZE_OVER:
            incident.snoozed_until = None
            _queue_update(session, incident, route, now)
        incident.last_reminded_at = now
        sent += 1
    return sent


def _queue_update(session: Session, incident: Incident, route: Route, now: datetime) -> None:
    incident.updated_at = now
    when = next_update_at(last_update_at=incident.last_notified_at, group_interval=route.group_interval, now=now)
    outbox.enqueue_update(session, incident_id=incident.id, channel=incident.channel, not_before=when)


def mentioned_users(
    session: Session, targets: Iterable[str], schedules: Mapping[str, Schedule], now: datetime
) -> list[str]:
    """User ids for a route's mentions: a user id as is, `schedule:NAME` as whoever is on call in it at `now` (no one
    when the schedule is unknown or has nobody then); each user once."""
    users: dict[str, None] = {}
    for target in targets:
        if target.startswith(SCHEDULE_PREFIX):
            name = target.removeprefix(SCHEDULE_PREFIX)
            schedule = schedules.get(name)
            who = on_call(schedule, active_overrides(session, schedule=name, at=now), now).user if schedule else None
            if who:
                users[who] = None
        else:
            users[target] = None
    return list(users)
