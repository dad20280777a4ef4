from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.enums import Severity
from bot.store.models import Alert, Incident
from bot.views.incident_queries import load_snapshot

OPENED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def alert(fingerprint: str, *, severity: str, status: str = "firing", minutes: int = 0) -> Alert:
    return Alert(
        fingerprint=fingerprint, check_name="alarms", status=status, severity=severity, title=fingerprint,
        resource=f"arn:{fingerprint}", labels={"service": "orders"}, links={"console": "https://console/x"},
        evidence={"Errors": 12}, first_seen=OPENED + timedelta(minutes=minutes),
    )  # fmt: skip


def test_a_snapshot_lists_firing_alerts_first_then_the_most_severe_then_the_oldest(session: Session) -> None:
    incident = Incident(
        group_key="g", route="default", channel="#alerts", status="acknowledged", severity="critical",
        title="orders", opened_at=OPENED, acknowledged_by="U1", acknowledged_at=OPENED + timedelta(minutes=3),
    )  # fmt: skip
    incident.alerts = [
        alert("resolved-critical", severity="critical", status="resolved"),
        alert("warning-old", severity="warning", minutes=1),
        alert("critical-new", severity="critical", minutes=5),
        alert("warning-new", severity="warning", minutes=2),
    ]
    session.add(incident)
    session.flush()

    snapshot = load_snapshot(session, incident.id)

    assert snapshot is not None
    assert [a.title for a in snapshot.alerts] == ["critical-new", "warning-old", "warning-new", "resolved-critical"]
    assert [a.firing for a in snapshot.alerts] == [True, True, True, False]
    assert snapshot.lead is not None and snapshot.lead.title == "critical-new"
    assert (snapshot.status, snapshot.severity, snapshot.acknowledged_by) == ("acknowledged", Severity.CRITICAL, "U1")
    assert snapshot.alerts[0].links == {"console": "https://console/x"}
    assert snapshot.alerts[0].evidence == {"Errors": 12}


def test_an_incident_that_no_longer_exists_has_no_snapshot(session: Session) -> None:
    assert load_snapshot(session, 404) is None
