"""Who is on call, as people see it: `/boltwatch oncall` and escalation read these (bot/core/oncall.py makes
them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class OnCall:
    user: str | None
    """None: no layer has anyone now (all restricted) and no override holds."""
    why: str = ""
    """`override`, `layer 2`, `rotation`, or empty when no one is on call."""


@dataclass(frozen=True)
class Handoff:
    at: datetime
    """Aware, in UTC."""
    user: str | None
    why: str = ""


@dataclass(frozen=True)
class OnCallAnswer:
    schedule: str
    timezone: str
    now: OnCall
    next: tuple[Handoff, ...] = field(default_factory=tuple)
