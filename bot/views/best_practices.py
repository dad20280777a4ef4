"""Best-practice findings as the list and the digest show them, with the decision a person took about each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Decision:
    status: str
    """`muted` or `accepted`."""
    until: datetime | None
    reason: str
    author: str
    at: datetime


@dataclass(frozen=True)
class BestPracticeLine:
    """One best-practice finding as the list and the digest show it."""

    fingerprint: str
    rule: str
    resource: str
    severity: str
    title: str
    why: str
    evidence: dict[str, Any]
    console: str
    decision: Decision | None = None
