"""A read-only picture of an incident and its alerts, for the pure Block Kit builders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.enums import AlertStatus, Severity
from bot.store.models import Alert, Incident


@dataclass(frozen=True)
class AlertLine:
    title: str
    severity: Severity
    firing: bool
    summary: str
    resource: str
    account: str
    region: str
    first_seen: datetime
    labels: dict[str, str]
    links: dict[str, str]
    evidence: dict[str, Any]


@dataclass(frozen=True)
class IncidentSnapshot:
    id: int
    title: str
    severity: Severity
    status: str
    channel: str
    route: str
    opened_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    snoozed_until: datetime | None
    alerts: list[AlertLine]

    @property
    def firing(self) -> list[AlertLine]:
        return [a for a in self.alerts if a.firing]

    @property
    def lead(self) -> AlertLine | None:
        """The alert that best represents the incident: the most severe firing one, else the first."""
        return (self.firing or self.alerts or [None])[0]


def load_snapshot(session: Session, incident_id: int) -> IncidentSnapshot | None:
    incident = session.get(Incident, incident_id)
    if incident is None:
        return None
    alerts = session.scalars(select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id)).all()
    lines = sorted(
        (_line(alert) for alert in alerts),
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
    )


def _line(alert: Alert) -> AlertLine:
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
    )
