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
