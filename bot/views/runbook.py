"""What `/boltwatch actions INCIDENT` shows of each runbook action an incident offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class ActionOffer:
    name: str
    title: str
    call: str
    """The exact call it would make (`ec2.StartInstances(InstanceIds=['i-…'])`), or empty when it cannot run."""
    allowed: bool
    """Whether the access rules let the person asking run it from where they asked."""
    why_not: str = ""
    """The access rules' reason and remedy when not allowed (text the bot composed, mentions and all)."""
    cooldown_left: timedelta | None = None
    problem: str = ""
    """Why it cannot run on this incident now (text the bot composed), when `call` is empty."""
