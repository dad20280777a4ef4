"""Findings → alerts → incidents, with the outbox rows that report each change, in one transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.decisions import IncidentView, Reason, decide_alert, decide_reminder, next_update_at
from bot.core.findings import CheckResult, Finding
from bot.core.routing import Route, route_for
from bot.core.silences import silence_for
from bot.delivery import outbox
from bot.enums import AlertStatus, IncidentStatus, Severity, Source
from bot.store.models import Alert, Incident, IncidentEvent
from bot.views.status_queries import active_silences

BOT_ACTOR = "boltwatch"


@dataclass
class Observation:
    """What one check run changed, by reason; for logs, metrics and tests."""

    reasons: Counter[Reason] = field(default_factory=Counter)
    incidents_touched: set[int] = field(default_factory=set)
    source: Source = Source.POLL
    """What saw these changes: a check run, or a delivery from AWS."""


def view_of(incident: Incident, firing_alerts: int) -> IncidentView:
    return IncidentView(
        status=incident.status,
        posted=incident.message_ts is not None,
        snoozed_until=incident.snoozed_until,
        firing_alerts=firing_alerts,
        last_reminded_at=incident.last_reminded_at,
        opened_at=incident.opened_at,
    )


def _firing_count(session: Session, incident_id: int) -> int:
    alerts = session.scalars(
        select(Alert.id).where(
            Alert.incident_id == incident_id, Alert.status == AlertStatus.FIRING, Alert.silenced_by.is_(None)
        )
    )
    return len(alerts.all())


def open_incident(session: Session, group_key: str) -> Incident | None:
    return session.scalars(
        select(Incident)
        .where(Incident.group_key == group_key, Incident.status != IncidentStatus.RESOLVED)
        .order_by(Incident.id)
    ).first()


def observe(
    session: Session,
    *,
    check: str,
    result: CheckResult,
    routes: list[Route],
    now: datetime,
    source: Source = Source.POLL,
    charts: bool = True,
) -> Observation:
    """Apply one check run's result: upsert alerts, group them into incidents, queue Slack operations. The
    incident's timeline says which `source` saw each alert fire or clear first. With `charts` off (config
    `charts.enabled`), what findings say a chart would show is not drawn."""
    observation = Observation(source=source)
    silences = active_silences(session, now)
    seen = [f.fingerprint for f in result.findings]
    known = _alerts_by_fingerprint(session, seen)
    findings = result.findings if charts else [replace(f, chart=None) for f in result.findings]
    for finding in findings:
        alert = _observe_finding(
            session, check, finding, known.get(finding.fingerprint), routes, silences, now, observation
        )
        if alert is not None:
            known[finding.fingerprint] = alert
    candidates = session.scalars(
        select(Alert).where(Alert.status == AlertStatus.FIRING, Alert.check_name == check)
    ).all()
    reported = set(seen)
    for alert in candidates:
        if alert.fingerprint not in reported and result.covers(alert.fingerprint):
            _resolve_alert(session, alert, routes, now, observation)
    return observation


def observe_pushed(
    session: Session,
    *,
    check: str,
    findings: list[Finding],
    routes: list[Route],
    now: datetime,
    charts: bool = True,
) -> Observation:
    """Apply findings AWS pushed (an alarm's state change) as `check`'s: only the alerts of these fingerprints
    change. A check run resolves what its scope covers and it did not report; a push sees one resource, so it
    resolves nothing else.

    A pushed state older than what the alert already knows changes nothing: SNS keeps no order, and a poll may
    have seen a newer state (a firing finding from before the alert resolved, a clear from before it fired)."""
    known = _alerts_by_fingerprint(session, [f.fingerprint for f in findings])
    current = [f for f in findings if not _superseded(known.get(f.fingerprint), f)]
    observation = observe(
        session,
        check=check,
        result=CheckResult(findings=current, covered=frozenset(f.fingerprint for f in current)),
        routes=routes,
        now=now,
        source=Source.PUSH,
        charts=charts,
    )
    observation.reasons[Reason.UNCHANGED] += len(findings) - len(current)
    return observation


def _superseded(alert: Alert | None, finding: Finding) -> bool:
    changed_at = finding.started_at
    if alert is None or changed_at is None:
        return False
    if finding.firing:
        return alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None and alert.resolved_at > changed_at
    return alert.status == AlertStatus.FIRING and alert.first_seen > changed_at


def _alerts_by_fingerprint(session: Session, fingerprints: list[str], chunk: int = 500) -> dict[str, Alert]:
    """The stored alerts of a run's findings, in a few queries rather than one a finding (a run reports thousands)."""
    found: dict[str, Alert] = {}
    for start in range(0, len(fingerprints), chunk):
        part = fingerprints[start : start + chunk]
        found.update((a.fingerprint, a) for a in session.scalars(select(Alert).where(Alert.fingerprint.in_(part))))
    return found


def _observe_finding(
    session: Session,
    check: str,
    finding: Finding,
    alert: Alert | None,
    routes: list[Route],
    silences: list,
    now: datetime,
    observation: Observation,
) -> Alert | None:
    """Record one finding; returns its alert (None for a finding that is not firing and was never seen)."""
    labels = finding.all_labels(check)
    if not finding.firing:
        if alert is not None and alert.status == AlertStatus.FIRING:
            _resolve_alert(session, alert, routes, now, observation)
        return alert
    silence = silence_for(silences, labels)
    was_firing = alert is not None and alert.status == AlertStatus.FIRING and alert.silenced_by is None
    if alert is None:
        alert = Alert(fingerprint=finding.fingerprint, check_name=check, first_seen=now, count=0)
        session.add(alert)
    elif alert.status != AlertStatus.FIRING:
        alert.first_seen, alert.resolved_at = now, None
    if not was_firing:
        alert.count += 1
    shown_before = _shown(alert)
    _copy_finding(alert, finding, labels, now)
    alert.silenced_by = silence.id if silence is not None else None
    route = route_for(routes, labels)
    incident = _current_incident(session, alert, route, labels)
    joined = incident is not None and not was_firing
    reason = decide_alert(
        was_firing=was_firing,
        firing=True,
        silenced=silence is not None or not finding.notify,
        incident=view_of(incident, _firing_count(session, incident.id)) if incident is not None else None,
        now=now,
        changed=was_firing and _shown(alert) != shown_before,
    )
    observation.reasons[reason] += 1
    if reason is Reason.SILENCED:
        return alert
    if incident is None:
        incident = _new_incident(session, alert, route, labels, finding, now, observation.source)
    elif joined:
        _note(incident, "alert_firing", now, f"{finding.title}, seen first by {observation.source}")
    alert.incident = incident
    session.flush()
    observation.incidents_touched.add(incident.id)
    if reason is Reason.FIRST_NOTIFICATION:
        outbox.enqueue_post(
            session, incident_id=incident.id, channel=incident.channel, not_before=now + route.group_wait
        )
        if finding.chart is not None:
            outbox.enqueue_chart(
                session, incident_id=incident.id, channel=incident.channel, request=finding.chart, event="fire",
                since=alert.first_seen, until=None, not_before=now + route.group_wait,
            )  # fmt: skip
    elif reason in (Reason.NEW_ALERT_IN_GROUP, Reason.ALERT_CHANGED):
        _raise_severity(incident, finding.severity)
        _queue_update(session, incident, route, now)
    return alert


def _copy_finding(alert: Alert, finding: Finding, labels: dict[str, str], now: datetime) -> None:
    alert.status, alert.last_seen = AlertStatus.FIRING, now
    alert.severity, alert.title, alert.summary = finding.severity.value, finding.title, finding.summary
    alert.resource, alert.account, alert.region = finding.resource, finding.account, finding.region
    alert.labels, alert.links, alert.evidence = labels, dict(finding.links), dict(finding.evidence)
    if finding.started_at is not None and alert.first_seen > finding.started_at:
        alert.first_seen = finding.started_at


def _shown(alert: Alert) -> tuple[str | None, str | None, str | None]:
    """What of a firing alert its message shows that a run can change, as the counts in "3 errors in 15m"; not the
    evidence, whose windows and times move on every run and would rewrite the message each time."""
    return alert.title, alert.summary, alert.severity


def _current_incident(session: Session, alert: Alert, route: Route, labels: dict[str, str]) -> Incident | None:
    if alert.incident is not None and alert.incident.status != IncidentStatus.RESOLVED:
        return alert.incident
    return open_incident(session, route.group_key(labels))


def _new_incident(
    session: Session,
    alert: Alert,
    route: Route,
    labels: dict[str, str],
    finding: Finding,
    now: datetime,
    source: Source,
) -> Incident:
    incident = Incident(
        group_key=route.group_key(labels),
        route=route.name,
        channel=route.channel,
        status=IncidentStatus.OPEN,
        severity=finding.severity.value,
        title=finding.title,
        group_labels=route.group_labels(labels),
        opened_at=min(alert.first_seen, now),
        updated_at=now,
    )
    _note(incident, "opened", now, f"{finding.title}, seen first by {source}")
    session.add(incident)
    return incident


def _note(incident: Incident, kind: str, now: datetime, detail: str) -> None:
    incident.timeline.append(IncidentEvent(actor=BOT_ACTOR, kind=kind, at=now, detail=detail))


def _raise_severity(incident: Incident, severity: Severity) -> None:
    if severity.rank < Severity(incident.severity).rank:
        incident.severity = severity.value


def _queue_update(session: Session, incident: Incident, route: Route, now: datetime) -> None:
    incident.updated_at = now
    when = next_update_at(last_update_at=incident.last_notified_at, group_interval=route.group_interval, now=now)
    outbox.enqueue_update(session, incident_id=incident.id, channel=incident.channel, not_before=when)


def _resolve_alert(
    session: Session, alert: Alert, routes: list[Route], now: datetime, observation: Observation
) -> None:
    incident = alert.incident
    firing_before = _firing_count(session, incident.id) if incident is not None else 0
    was_notified = alert.silenced_by is None
    alert.status, alert.resolved_at, alert.last_seen = AlertStatus.RESOLVED, now, now
    if incident is None or not was_notified or incident.status == IncidentStatus.RESOLVED:
        observation.reasons[Reason.UNCHANGED] += 1
        return
    route = route_for(routes, dict(alert.labels))
    reason = decide_alert(
        was_firing=True, firing=False, silenced=False, incident=view_of(incident, firing_before), now=now
    )
    observation.reasons[reason] += 1
    observation.incidents_touched.add(incident.id)
    if reason is Reason.ALL_RESOLVED:
        incident.status, incident.resolved_at, incident.resolved_by = IncidentStatus.RESOLVED, now, None
        last = f"the last ({alert.title}) seen first by {observation.source}"
        _note(incident, "resolved", now, f"all alerts cleared, {last}")
        if route.send_resolved:
            # Not posted yet (a backlog, an outage): the post itself will show it resolved; a reply would be noise.
            unposted = outbox.post_waiting(session, outbox.ordering_key(incident.id))
            _queue_update(session, incident, route, now)
            if not unposted:
                outbox.enqueue_reply(
                    session,
                    incident_id=incident.id,
                    channel=incident.channel,
                    text="Resolved: every alert cleared.",
                    now=now,
                )
                _chart_at_resolve(session, incident, now)
    else:
        _note(incident, "alert_resolved", now, f"{alert.title} cleared, seen first by {observation.source}")
        _queue_update(session, incident, route, now)


def _chart_at_resolve(session: Session, incident: Incident, now: datetime) -> None:
    """The chart drawn at fire, again over the whole incident: from before it opened to its resolution."""
    fired = outbox.chart_of(session, incident.id)
    if fired is None:
        return
    outbox.enqueue_chart(
        session, incident_id=incident.id, channel=incident.channel, request=fired["chart"], event="resolve",
        since=datetime.fromisoformat(fired["since"]), until=now, not_before=now,
    )  # fmt: skip


def remind(session: Session, *, routes: list[Route], now: datetime) -> int:
    """Thread reminders for firing, unacknowledged incidents whose repeat interval elapsed or snooze ended."""
    sent = 0
    for incident in session.scalars(select(Incident).where(Incident.status == IncidentStatus.OPEN)).all():
        route = next((r for r in routes if r.name == incident.route), routes[-1])
        reason = decide_reminder(
            view_of(incident, _firing_count(session, incident.id)), repeat_interval=route.repeat_interval, now=now
        )
        if reason not in (Reason.REPEAT_DUE, Reason.SNOOZE_OVER):
            continue
        mentions = " ".join(f"<@{u}>" for u in route.mentions.get(Severity(incident.severity), ()))
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
