"""A line of the audit log as `/boltwatch audit` lists it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    actor: str
    action: str
    subject: str
    """`ec2_reboot:i-…`"""
    result: str
    duration_ms: int | None
    change: str | None = None
    """The change in a few words (`alias live: 7 → 6`), when the action says it."""
    on_behalf_of: str | None = None
    """For what Boltwatch did by itself (the end of a pause): who ran the action that left it to do."""
    started_by: str | None = None
    """How that person's action is worded there: `paused by`."""
