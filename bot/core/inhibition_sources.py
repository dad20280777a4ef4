"""The firing alerts that may inhibit others, as stored (`bot.core.inhibition` decides; this reads)."""

from __future__ import annotations

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from bot.core.inhibition import InhibitRule, SourceAlert
from bot.enums import AlertStatus
from bot.store.models import Alert


def stored_sources(session: Session, rules: list[InhibitRule], *, other_than: str) -> list[SourceAlert]:
    """The firing alerts of checks other than `other_than` that match a rule's source side (a run knows its own
    check's alerts as they will be once it is applied). A rule whose source side names a `check` reads only that
    check's alerts."""
    if not rules:
        return []
    sides = []
    for rule in rules:
        named = [value for label, value in rule.source.equal if label == "check"]
        sides.append(Alert.check_name == named[0] if named else true())
    query = select(Alert.fingerprint, Alert.labels).where(
        Alert.status == AlertStatus.FIRING, Alert.check_name != other_than, or_(*sides)
    )
    found = []
    for fingerprint, labels in session.execute(query):
        alert = SourceAlert(fingerprint, dict(labels or {}))
        if any(rule.source.matches(alert.labels) for rule in rules):
            found.append(alert)
    return found
