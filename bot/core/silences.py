"""Silences: label matchers with an end time; a silenced alert is recorded but not notified."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from bot.store.models import AuditEvent, Silence


def matches(matchers: list[dict[str, str]], labels: Mapping[str, str]) -> bool:
    """Every matcher holds: `{"label": l, "value": v}` for equality, `{"label": l, "regex": r}` for a full match."""
    for matcher in matchers:
        value = labels.get(matcher["label"], "")
        if "regex" in matcher:
            if not re.fullmatch(matcher["regex"], value):
                return False
        elif value != matcher.get("value"):
            return False
    return bool(matchers)


def silence_for(silences: list[Silence], labels: Mapping[str, str]) -> Silence | None:
    return next((s for s in silences if matches(list(s.matchers), labels)), None)


def create_silence(
    session: Session,
    *,
    matchers: list[dict[str, str]],
    until: datetime,
    reason: str,
    author: str,
    now: datetime,
    incident_id: int | None = None,
) -> Silence:
    if not matchers:
        raise ValueError("a silence needs at least one matcher")
    silence = Silence(
        matchers=matchers, starts_at=now, ends_at=until, reason=reason, author=author, incident_id=incident_id
    )
    session.add(silence)
    session.flush()
    session.add(
        AuditEvent(
            at=now,
            actor=author,
            action="silence_created",
            subject=f"silence:{silence.id}",
            detail={"matchers": matchers, "until": until.isoformat(), "reason": reason},
        )
    )
    return silence


def expire_silence(session: Session, *, silence_id: int, author: str, now: datetime) -> Silence | None:
    silence = session.get(Silence, silence_id)
    if silence is None or silence.expired_at is not None:
        return None
    silence.expired_at = now
    session.add(AuditEvent(at=now, actor=author, action="silence_expired", subject=f"silence:{silence_id}"))
    return silence
