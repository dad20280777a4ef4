"""What people do to incidents: acknowledge, snooze, resolve, reopen. Each change is one transaction that
updates the incident, its timeline and the audit log, and queues the message update and a thread reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.core import escalation
from bot.core.access import AccessRule, Action, may
from bot.delivery import outbox
from bot.enums import AlertStatus, IncidentStatus
from bot.store.models import Alert, AuditEvent, Incident, IncidentEvent, SlackChannel
from bot.views.incident import IncidentChange


@dataclass(frozen=True)
class Outcome:
    """`changed` means the message will be updated; otherwise `explanation` goes to the user, privately."""

    changed: bool
    explanation: str = ""


ALLOWED_FROM = {
    Action.ACKNOWLEDGE: {IncidentStatus.OPEN},
    Action.SNOOZE: {IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED},
    Action.RESOLVE: {IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED},
    Action.REOPEN: {IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED},
}


def act(
    session: Session,
    *,
    action: Action,
    incident_id: int,
    user: str,
    channel: str,
    channel_name: str | None = None,
    rules: list[AccessRule],
    now: datetime,
    snooze_until: datetime | None = None,
    reason: str = "",
    charts: bool = False,
) -> Outcome:
    """Check access and state, then apply `action`; re-reads everything from the database (never the button). With
    `charts` (`charts.enabled`), a resolve gets its chart, as an automatic one does."""
    incident = session.get(Incident, incident_id, with_for_update=session.get_bind().dialect.name == "postgresql")
    if incident is None:
        return Outcome(False, f"Incident #{incident_id} no longer exists.")
    # A person an escalation paged acts from the direct message (or paged channel) it reached them in.
    home = _home(session, incident.channel) | escalation.paged_here(
        session, incident_id=incident_id, user=user, channel=channel
    )
    verdict = may(
        rules, action=action, user=user, channel=channel, home_channels=home,
        channel_name=channel_name,
    )  # fmt: skip
    if not verdict.allowed:
        return Outcome(False, f"You can't {action.value} incident #{incident_id}: {verdict.why}")
    if incident.status not in ALLOWED_FROM[action]:
        return Outcome(False, f"Incident #{incident_id} is already {incident.status}; nothing changed.")
    _apply(session, incident, action, user, now, snooze_until)
    incident.updated_at = now
    incident.timeline.append(IncidentEvent(actor=user, kind=action.value, at=now, detail=reason))
    detail = {"status": incident.status, "reason": reason}
    if snooze_until is not None:
        detail["until"] = snooze_until.isoformat()
    session.add(
        AuditEvent(
            at=now, actor=user, action=action.value, subject=f"incident:{incident.id}", channel=channel, detail=detail
        )
    )
    session.flush()  # the click's lines go in the timeline and audit before what it stops
    if action is Action.REOPEN:
        escalation.restart(session, incident_id=incident.id, now=now)
    elif action is not Action.SNOOZE:
        escalation.stop(session, incident_id=incident.id, status=IncidentStatus(incident.status), by=user, now=now)
    outbox.enqueue_update(session, incident_id=incident.id, channel=incident.channel, not_before=now)
    change = IncidentChange(action.value, user, snooze_until if action is Action.SNOOZE else None, reason)
    outbox.enqueue_change_reply(session, incident_id=incident.id, channel=incident.channel, change=change, now=now)
    if action is Action.RESOLVE and charts:
        outbox.enqueue_resolve_chart(session, incident_id=incident.id, channel=incident.channel, now=now)
    return Outcome(True)


def _apply(
    session: Session, incident: Incident, action: Action, user: str, now: datetime, snooze_until: datetime | None
) -> None:
    if action is Action.ACKNOWLEDGE:
        incident.status, incident.acknowledged_by, incident.acknowledged_at = IncidentStatus.ACKNOWLEDGED, user, now
    elif action is Action.SNOOZE:
        if snooze_until is None or snooze_until <= now:
            raise ValueError("a snooze needs an end in the future")
        incident.snoozed_until = snooze_until
    elif action is Action.RESOLVE:
        incident.status, incident.resolved_by, incident.resolved_at = IncidentStatus.RESOLVED, user, now
        incident.snoozed_until = None
        # Alerts still firing will open a fresh incident on the next check run: the truth wins over the click.
        # A flapping alert no longer holds this incident either.
        holding = or_(Alert.status == AlertStatus.FIRING, Alert.flapping.is_(True))
        for alert in session.scalars(select(Alert).where(Alert.incident_id == incident.id, holding)):
            if alert.status == AlertStatus.FIRING:
                alert.status, alert.resolved_at = AlertStatus.RESOLVED, now
            alert.flapping = False
    else:
        incident.status = IncidentStatus.OPEN
        incident.acknowledged_by = incident.acknowledged_at = None
        incident.resolved_by = incident.resolved_at = None


def _home(session: Session, channel: str) -> set[str]:
    """The incident's channel as it was addressed (often `#name`) and, once Slack told us, its id: a click carries
    the id, and is compared with it."""
    known = session.get(SlackChannel, channel)
    return {channel, known.channel_id} if known is not None and known.channel_id else {channel}
