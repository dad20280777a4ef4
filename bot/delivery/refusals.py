"""Slack's refusals that need fixing, and what the drainer does about each: named reasons, decided in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import outbox
from bot.delivery.reconcile import channel_id_by_name
from bot.store import Database

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
TRANSIENT_ERRORS = {"ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout"}
"""Slack's errors that say "not now": the item is retried as it is."""


class Refusal(StrEnum):
    NOT_IN_CHANNEL = "not_in_channel"
    """Join the channel (a public one) and send again; else wait to be invited."""
    CHANNEL_GONE = "channel_gone"
    """Show it in the default channel meanwhile; keep trying its own channel."""
    AUTH = "auth"
    """The token no longer works: pause all delivery until `auth.test` passes."""
    OTHER = "other"
    """Anything else Slack refuses: keep it and try again later."""


AUTH_ERRORS = {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired"}
CHANNEL_GONE_ERRORS = {"channel_not_found", "is_archived"}


def refusal(error: str) -> Refusal:
    if error == "not_in_channel":
        return Refusal.NOT_IN_CHANNEL
    if error in CHANNEL_GONE_ERRORS:
        return Refusal.CHANNEL_GONE
    if error in AUTH_ERRORS:
        return Refusal.AUTH
    return Refusal.OTHER


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 ... seconds, at most five minutes."""
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** min(max(attempts, 1), 12)))


@dataclass
class DeliveryPause:
    """All delivery stops while Slack refuses the token; `auth.test` is retried with backoff until it passes."""

    reason: str | None = None
    since: datetime | None = None
    next_check: datetime | None = None
    failed_checks: int = 0

    @property
    def paused(self) -> bool:
        return self.reason is not None

    def begin(self, reason: str, now: datetime) -> None:
        if self.reason is None:
            self.since, self.failed_checks = now, 0
            self.next_check = now + backoff(1)
        self.reason = reason

    def check_due(self, now: datetime) -> bool:
        return self.next_check is not None and now >= self.next_check

    def check_failed(self, reason: str, now: datetime) -> None:
        self.reason = reason
        self.failed_checks += 1
        self.next_check = now + backoff(self.failed_checks + 1)

    def end(self) -> None:
        self.reason = self.since = self.next_check = None
        self.failed_checks = 0


async def join_channel(client: AsyncWebClient, db: Database, ref: str) -> bool:
    """Join the channel addressed as `ref`; True only when the bot was not in it before (so sending again may work)."""
    try:
        channel_id = await db.run(lambda s: outbox.known_channel_id(s, ref)) or await channel_id_by_name(client, ref)
        if channel_id is None:
            return False
        response = await client.conversations_join(channel=channel_id)
    except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.warning("could not join %s: %s", ref, exc)
        return False
    return "already_in_channel" not in ((response.get("response_metadata") or {}).get("warnings") or [])


async def auth_passes(client: AsyncWebClient) -> str | None:
    """None when Slack takes the token again, else why not."""
    try:
        await client.auth_test()
    except SlackApiError as exc:
        return str(exc.response.get("error", "")) or f"HTTP {exc.response.status_code}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return type(exc).__name__
    return None
