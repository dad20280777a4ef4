"""Maintenance windows as people see them: in their announcements, in Home and in `/boltwatch status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Moment(StrEnum):
    """When a window announces itself."""

    CREATED = "created"
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True)
class WindowLine:
    id: int
    matchers: list[dict[str, str]]
    starts_at: datetime
    ends_at: datetime
    reason: str
    author: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Announcement:
    """One announcement owed: `muted` is how many alerts the window muted, with the first titles (at its end)."""

    moment: Moment
    window: WindowLine
    muted: int = 0
    muted_titles: tuple[str, ...] = ()
    in_force: bool = False
    """Made to start at once: its making and its start are one announcement."""
