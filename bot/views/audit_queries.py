"""Reading the audit log: runbook action attempts since a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import AuditEvent
from bot.views.audit import AuditLine

SHOWN = 100


def action_audit(session: Session, *, since: datetime, limit: int = SHOWN) -> list[AuditLine]:
    """Runbook action attempts (run, refused, dry run, failed, verified) since `since`, newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.at >= since, AuditEvent.action.like("action_%"))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    lines = []
    for event in session.scalars(query):
        detail = dict(event.detail or {})
        result = str(detail.get("result") or event.action.removeprefix("action_"))
        if detail.get("why"):
            result += f": {detail['why']}"
        elif detail.get("error"):
            result += f": {detail['error']}"
        elif detail.get("lasted"):
            result += f" after {detail['lasted']}"
        duration = detail.get("duration_ms")
        change = (detail.get("request") or {}).get("change")
        lines.append(AuditLine(
            event.at, event.actor, event.action, event.subject, result, duration if isinstance(duration, int) else None,
            change=str(change) if change else None, on_behalf_of=_text(detail.get("on_behalf_of")),
            started_by=_text(detail.get("started_by")),
        ))  # fmt: skip
    return lines


def _text(value: object) -> str | None:
    return str(value) if value else None
