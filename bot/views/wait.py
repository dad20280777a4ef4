"""A `/wait` request as its progress message shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ActionRunLine:
    """The runbook action a wait job verifies."""

    id: int
    action: str
    resource: str
    call: str
    """The API call as made, in words: `ec2.RebootInstances(InstanceIds=['i-…'])`."""
    status: str
    change: str | None = None
    """The change in a few words, when the action says it: `alias live: 7 → 6`."""


@dataclass(frozen=True)
class WaitView:
    """What the progress message shows."""

    id: int
    service: str
    waiter: str
    params: dict
    requester: str
    channel: str
    message_ts: str | None
    attempts: int
    max_attempts: int
    status: str
    last_state: str
    created_at: datetime
    deadline: datetime
    account: str
    region: str
    thread_ts: str | None = None
    """Set when the message is a reply in a thread (a runbook action's verification)."""
    run: ActionRunLine | None = None
