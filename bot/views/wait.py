"""A `/wait` request as its progress message shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
