"""Best-practice findings as people see them: the firing list, what appeared and was fixed in a period, and the two
decisions a person can take about one finding.

A finding's alert (fingerprint `best_practices:...`) is the source of truth for firing or fixed. The decisions:
- **Mute** for 7 days: a silence on the finding's `fingerprint` label until then, and a `muted` state with that end.
- **Accept risk**, with a reason: an `accepted` state with no end, which the list and the digest respect, plus a
  silence on the fingerprint for ACCEPT_SILENCE (silences need an end), so that with `incidents: all` it never
  notifies either. Both are audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.silences import create_silence, expire_silence
from bot.enums import AlertStatus, BestPracticeStatus
from bot.store.models import Alert, AuditEvent, BestPracticeState
from bot.views.best_practices import BestPracticeLine, Decision

FINGERPRINT_PREFIX = "best_practices:"
MUTE_FOR = timedelta(days=7)
ACCEPT_SILENCE = timedelta(days=3650)


def decisions(session: Session, now: datetime) -> dict[str, Decision]:
    """Standing decisions by fingerprint: every acceptance, and mutes that have not ended."""
    found = {}
    for state in session.scalars(select(BestPracticeState)):
        if state.status == BestPracticeStatus.ACCEPTED or (state.until is not None and state.until > now):
            found[state.fingerprint] = Decision(state.status, state.until, state.reason, state.author, state.at)
    return found


def _line(alert: Alert, decision: Decision | None) -> BestPracticeLine:
    labels = alert.labels or {}
    return BestPracticeLine(
        fingerprint=alert.fingerprint,
        rule=labels.get("rule", ""),
        resource=alert.resource,
        severity=alert.severity,
        title=alert.title,
        why=alert.summary,
        evidence=dict(alert.evidence or {}),
        console=(alert.links or {}).get("console", ""),
        decision=decision,
    )


def _ours(alert: Alert, project: str | None) -> bool:
    return project is None or (alert.labels or {}).get("project") == project


def firing_findings(session: Session, *, now: datetime) -> list[BestPracticeLine]:
    """Every firing best-practice finding, each with its standing decision; by rule, then severity, then resource."""
    made = decisions(session, now)
    alerts = session.scalars(
        select(Alert).where(Alert.fingerprint.startswith(FINGERPRINT_PREFIX), Alert.status == AlertStatus.FIRING)
    ).all()
    lines = [_line(a, made.get(a.fingerprint)) for a in alerts]
    rank = {"critical": 0, "warning": 1, "info": 2}
    return sorted(lines, key=lambda line: (line.rule, rank.get(line.severity, 3), line.resource))


def digest_changes(
    session: Session, *, start: datetime, end: datetime, project: str | None
) -> tuple[list[BestPracticeLine], list[BestPracticeLine]]:
    """(appeared, fixed) in [start, end): findings that started firing and still fire, leaving out those muted or
    accepted; and findings that stopped firing."""
    made = decisions(session, end)
    base = select(Alert).where(Alert.fingerprint.startswith(FINGERPRINT_PREFIX))
    appeared = session.scalars(
        base.where(Alert.status == AlertStatus.FIRING, Alert.first_seen >= start, Alert.first_seen < end)
    ).all()
    fixed = session.scalars(
        base.where(Alert.status == AlertStatus.RESOLVED, Alert.resolved_at >= start, Alert.resolved_at < end)
    ).all()
    return (
        [_line(a, None) for a in appeared if _ours(a, project) and a.fingerprint not in made],
        [_line(a, None) for a in fixed if _ours(a, project)],
    )


def find_line(session: Session, *, fingerprint: str, now: datetime) -> BestPracticeLine | None:
    alert = session.scalars(select(Alert).where(Alert.fingerprint == fingerprint)).first()
    if alert is None or not fingerprint.startswith(FINGERPRINT_PREFIX):
        return None
    return _line(alert, decisions(session, now).get(fingerprint))


def alert_place(session: Session, *, fingerprint: str) -> tuple[str, str, str] | None:
    """(check name, account name, region) of the run that reported the finding: what Re-check runs again."""
    alert = session.scalars(select(Alert).where(Alert.fingerprint == fingerprint)).first()
    if alert is None:
        return None
    return alert.check_name, (alert.labels or {}).get("account_name", ""), alert.region


def decide(
    session: Session, *, fingerprint: str, status: BestPracticeStatus, user: str, now: datetime, reason: str = ""
) -> Decision:
    """Mute (status `muted`, for MUTE_FOR) or accept (status `accepted`) one finding; replaces an earlier decision."""
    if status not in set(BestPracticeStatus):
        raise ValueError(f"unknown best-practice decision {status!r}")
    state = session.get(BestPracticeState, fingerprint)
    if state is not None and state.silence_id is not None:
        expire_silence(session, silence_id=state.silence_id, author=user, now=now)
    until = now + MUTE_FOR if status == BestPracticeStatus.MUTED else None
    silence = create_silence(
        session,
        matchers=[{"label": "fingerprint", "value": fingerprint}],
        until=until or now + ACCEPT_SILENCE,
        reason=reason or f"best practice {status}",
        author=user,
        now=now,
    )
    if state is None:
        state = BestPracticeState(fingerprint=fingerprint)
        session.add(state)
    state.status, state.until, state.reason, state.author, state.at = status, until, reason, user, now
    state.silence_id = silence.id
    session.add(
        AuditEvent(
            at=now,
            actor=user,
            action=f"best_practice_{status}",
            subject=fingerprint[:200],
            detail={"reason": reason, "until": until.isoformat() if until else None},
        )
    )
    return Decision(status, until, reason, user, now)
