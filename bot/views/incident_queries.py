"""The incident snapshot, read from the database."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.enums import AlertStatus, Severity
from bot.store.models import Alert, Incident
from bot.views.incident import AlertLine, IncidentSnapshot, Suppressor


def load_snapshot(session: Session, incident_id: int) -> IncidentSnapshot | None:
    """The incident and its alerts, firing first, then the most severe, then the oldest."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None
    alerts = session.scalars(select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id)).all()
    suppressors = _suppressors(session, {a.inhibited_by for a in alerts if a.inhibited_by is not None})
    lines = sorted(
        (_line(alert, suppressors.get(alert.inhibited_by or "")) for alert in alerts),
        key=lambda line: (not line.firing, line.severity.rank, line.first_seen),
    )
    return IncidentSnapshot(
        id=incident.id,
        title=incident.title,
        severity=Severity(incident.severity),
        status=incident.status,
        channel=incident.channel,
        route=incident.route,
        opened_at=incident.opened_at,
        acknowledged_by=incident.acknowledged_by,
        acknowledged_at=incident.acknowledged_at,
        resolved_by=incident.resolved_by,
        resolved_at=incident.resolved_at,
        snoozed_until=incident.snoozed_until,
        alerts=lines,
        suppressing=_suppressing(session, [a.fingerprint for a in alerts if a.status == AlertStatus.FIRING]),
    )


def _suppressors(session: Session, fingerprints: set[str]) -> dict[str, Suppressor]:
    if not fingerprints:
        return {}
    query = select(Alert.fingerprint, Alert.incident_id, Alert.title).where(Alert.fingerprint.in_(sorted(fingerprints)))
    return {fingerprint: Suppressor(incident_id, title) for fingerprint, incident_id, title in session.execute(query)}


def _suppressing(session: Session, firing: list[str]) -> int:
    """How many firing alerts these inhibit (a thousand fingerprints a statement: SQLite's parameter limit)."""
    total = 0
    for start in range(0, len(firing), 1000):
        part = firing[start : start + 1000]
        query = select(func.count()).where(Alert.inhibited_by.in_(part), Alert.status == AlertStatus.FIRING)
        total += session.scalar(query) or 0
    return total


def _line(alert: Alert, suppressed_by: Suppressor | None = None) -> AlertLine:
    return AlertLine(
        title=alert.title,
        severity=Severity(alert.severity),
        firing=alert.status == AlertStatus.FIRING,
        summary=alert.summary,
        resource=alert.resource,
        account=alert.account,
        region=alert.region,
        first_seen=alert.first_seen,
        labels=dict(alert.labels),
        links=dict(alert.links),
        evidence=dict(alert.evidence),
        check_type=alert.fingerprint.split(":", 1)[0],
        flapping=alert.flapping,
        flap_history=alert.flap_history,
        suppressed_by=suppressed_by,
    )
