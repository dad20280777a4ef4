"""What listeners and jobs share: settings, storage, AWS access, metrics, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config import Settings
from bot.metrics import Metrics
from bot.store import Database


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    metrics: Metrics
    clock: Callable[[], datetime] = field(default=_utcnow)
