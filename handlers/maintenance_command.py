"""`/boltwatch maintenance TARGET START DURATION [reason]`: a maintenance window made in Slack.

Like a mute, it first answers privately with what it would mute (were it in force now) and makes nothing until its
author confirms. Once confirmed it is a silence that announces itself in the channels it affects (and where it was
made): now, when it starts, and when it ends with what it muted meanwhile (`scheduler/maintenance.py`).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.limits import BUTTON_VALUE
from bot.blocks.maintenance import maintenance_preview
from bot.commands import MAINTENANCE
from bot.core.maintenance import affected_channels, create_window
from bot.core.silences import preview, resource_matchers
from bot.delivery.maintenance_notices import queue_announcements
from bot.durations import DurationError, DurationTooLong, parse_duration
from bot.ids import (
    MAX_MAINTENANCE_AHEAD,
    ActionId,
    MaintenanceButton,
)
from bot.services import Services
from bot.store.models import SlackChannel
from handlers.error_handler import answers_errors
from handlers.mute_command import Author, check_lengths, confirmed, known_target, silence_length
from handlers.usage import UsageError, quoted

log = logging.getLogger(__name__)
USAGE = MAINTENANCE.line()
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
LATE = timedelta(minutes=1)
"""A START this far in the past is a mistake, not `now`."""


def parse_start(text: str, now: datetime) -> datetime:
    """START as people write it: `now`, a delay (`30m`), a UTC time of day (`22:00`, the next one) or a date and
    time (`2027-03-01T22:00`, UTC unless it names an offset)."""
    if text.lower() == "now":
        return now
    if clock := _CLOCK.fullmatch(text):
        today = now.replace(hour=int(clock[1]), minute=int(clock[2]), second=0, microsecond=0)
        return today if today >= now else today + timedelta(days=1)
    try:
        return now + parse_duration(text, at_most=timedelta(seconds=MAX_MAINTENANCE_AHEAD))
    except DurationTooLong:
        raise UsageError(f"{quoted(text)} is more than a year away.", USAGE) from None
    except DurationError:
        pass
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved by its offset
        raise UsageError(
            f"{quoted(text)} is not a START like `now`, `30m`, `22:00` or `2027-03-01T22:00` (UTC).", USAGE
        ) from None
    if moment < now - LATE:
        raise UsageError(f"{quoted(text)} is in the past.", USAGE)
    if moment > now + timedelta(seconds=MAX_MAINTENANCE_AHEAD):
        raise UsageError(f"{quoted(text)} is more than a year away.", USAGE)
    return max(moment, now)


def parse_maintenance(words: list[str], now: datetime) -> MaintenanceButton:
    if len(words) < 3:
        raise UsageError("TARGET, START and DURATION are needed.", USAGE)
    target, reason = words[0], " ".join(words[3:])
    start = parse_start(words[1], now)
    length = silence_length(words[2], "window", USAGE)
    check_lengths(target, reason, USAGE)
    request = MaintenanceButton(target, int(start.timestamp()), max(1, int(length.total_seconds())), reason)
    if len(request.encode()) > BUTTON_VALUE:
        raise UsageError("TARGET and the reason are too long together for Slack's button; shorten the reason.", USAGE)
    return request


async def maintenance(
    services: Services, client: AsyncWebClient, words: list[str], author: Author, respond: Any
) -> None:
    """The preview, privately; the window is made by Confirm."""
    request = parse_maintenance(words, services.clock())
    known, suggestions = await known_target(services, request.target)
    matchers = resource_matchers(request.target)
    would_mute = await services.db.run(lambda s: preview(s, matchers))
    starts_at = datetime.fromtimestamp(request.start, UTC)
    text, blocks = maintenance_preview(
        request, would_mute, starts_at=starts_at, ends_at=starts_at + timedelta(seconds=request.seconds),
        known=known, suggestions=suggestions,
    )  # fmt: skip
    await respond(response_type="ephemeral", text=text, blocks=blocks)


def register(app: AsyncApp, services: Services) -> None:
    @app.action(ActionId.MAINTENANCE_CONFIRM.value)
    @answers_errors
    async def confirm(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        if confirmation := await confirmed(services, body, action, respond, MaintenanceButton.parse, "maintenance"):
            request, author = confirmation
            await _make(services, request, author)

    @app.action(ActionId.MAINTENANCE_CANCEL.value)
    async def cancel(ack: Any, respond: Any) -> None:
        await ack()
        await respond(replace_original=True, text="No maintenance window was made.")


def _elsewhere(session: Session, author: Author, channels: list[str]) -> bool:
    """Whether it was made in a channel (not a direct message) that is not one of `channels`, by name or by the id
    Slack answered for one of them."""
    if not author.channel or author.channel_name == "directmessage":
        return False
    ids = set(session.scalars(select(SlackChannel.channel_id).where(SlackChannel.ref.in_(channels))))
    return not {author.channel, f"#{author.channel_name}"} & (set(channels) | ids)


async def _make(services: Services, request: MaintenanceButton, author: Author) -> None:
    """The window (starting now at the earliest: a Confirm clicked late does not backdate it) and its announcement."""
    now = services.clock()
    starts_at = max(datetime.fromtimestamp(request.start, UTC), now)
    ends_at = starts_at + timedelta(seconds=request.seconds)
    matchers = resource_matchers(request.target)

    def make(session: Session) -> int:
        channels = affected_channels(session, services.routes, matchers)
        if _elsewhere(session, author, channels):
            channels.append(author.channel)
        announcement = create_window(
            session, key=f"command:{uuid.uuid4().hex}", matchers=matchers, starts_at=starts_at, ends_at=ends_at,
            reason=request.reason, author=author.user, channels=channels, now=now,
        )  # fmt: skip
        return queue_announcements(session, [announcement] if announcement else [], now=now)

    if await services.db.run(make):
        services.wake_notifier()
