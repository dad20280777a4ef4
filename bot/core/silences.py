"""Silences: label matchers with an end time; a silenced alert is recorded but not notified."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from fnmatch import fnmatchcase

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.enums import AlertStatus, Severity
from bot.store.models import Alert, AuditEvent, Silence
from bot.views.silence_preview import SHOWN, PreviewAlert, SilencePreview

_GLOB = re.compile(r"[*?\[]")


def matches(matchers: list[dict[str, str]], labels: Mapping[str, str]) -> bool:
    """Every matcher holds: `{"label": l, "value": v}` for equality, `{"label": l, "regex": r}` for a full match,
    `{"label": l, "glob": g}` for a shell-style pattern (`orders-*`)."""
    for matcher in matchers:
        value = labels.get(matcher["label"], "")
        if "regex" in matcher:
            if not re.fullmatch(matcher["regex"], value):
                return False
        elif "glob" in matcher:
            if not fnmatchcase(value, matcher["glob"]):
                return False
        elif value != matcher.get("value"):
            return False
    return bool(matchers)


def resource_matchers(target: str) -> list[dict[str, str]]:
    """What `/boltwatch mute TARGET` silences: alerts about that resource, or about each one a glob matches."""
    return [{"label": "resource", "glob" if _GLOB.search(target) else "value": target}]


def names_anything(target: str, known: Iterable[str]) -> bool:
    """Whether `target` (a name or a glob) matches one of the `known` resource names."""
    if _GLOB.search(target):
        return any(fnmatchcase(name, target) for name in known)
    return target in known


def silence_for(silences: list[Silence], labels: Mapping[str, str]) -> Silence | None:
    return next((s for s in silences if matches(list(s.matchers), labels)), None)


def preview(session: Session, matchers: list[dict[str, str]]) -> SilencePreview:
    """The firing alerts these matchers would silence now: their count and the most severe, oldest first."""
    query = select(Alert.title, Alert.resource, Alert.severity, Alert.first_seen, Alert.labels).where(
        Alert.status == AlertStatus.FIRING
    )
    muted = [row for row in session.execute(query) if matches(matchers, row.labels or {})]
    muted.sort(key=lambda row: (Severity(row.severity).rank, row.first_seen, row.title))
    top = tuple(PreviewAlert(row.title, row.resource, Severity(row.severity)) for row in muted[:SHOWN])
    return SilencePreview(len(muted), top)


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
