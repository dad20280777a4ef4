"""Maintenance windows' announcements, queued in the transaction that claimed them (one message per channel)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks.maintenance import announcement_text
from bot.delivery import outbox
from bot.views.maintenance import Announcement


def queue_announcements(session: Session, announcements: Iterable[Announcement], *, now: datetime) -> int:
    """Queue each announcement in each of its window's channels; how many messages were queued."""
    queued = 0
    for announcement in announcements:
        text = announcement_text(announcement)
        for channel in announcement.window.channels:
            outbox.enqueue_message(session, key=outbox.command_key(), channel=channel, text=text, now=now)
            queued += 1
    return queued
