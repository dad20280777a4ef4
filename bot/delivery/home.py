"""App Home: what it shows, and keeping it fresh for the people who opened it when incidents change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import home_view
from bot.store import Database
from bot.views.status_queries import blocked_lines, check_lines, last_digest, open_incidents, silence_lines

log = logging.getLogger(__name__)
REFRESH_SECONDS = 5.0
MAX_VIEWERS = 200


@dataclass
class HomePublisher:
    """Publishes Home on open, and again (at most every few seconds) to everyone who opened it when incidents change."""

    db: Database
    client: AsyncWebClient
    clock: Callable[[], datetime]
    check_schedule: list[tuple[str, str, timedelta]]
    """(name, type, interval) of every configured check."""
    refresh_seconds: float = REFRESH_SECONDS

    def __post_init__(self) -> None:
        self._viewers: dict[str, None] = {}
        self._pending: asyncio.Task[None] | None = None

    async def view_for(self, now: datetime) -> dict:
        incidents, checks, silences, digest, blocked = await self.db.run(
            lambda s: (
                open_incidents(s),
                check_lines(s, self.check_schedule),
                silence_lines(s, now),
                last_digest(s),
                blocked_lines(s),
            )
        )
        return home_view(incidents, checks, now=now, silences=silences, last_digest=digest, blocked=blocked)

    async def opened(self, user: str) -> None:
        self._viewers.pop(user, None)
        self._viewers[user] = None
        while len(self._viewers) > MAX_VIEWERS:
            self._viewers.pop(next(iter(self._viewers)))
        await self.client.views_publish(user_id=user, view=await self.view_for(self.clock()))

    def incidents_changed(self) -> None:
        """Refresh every open Home soon; changes in a burst share one refresh."""
        if self._viewers and (self._pending is None or self._pending.done()):
            self._pending = asyncio.get_running_loop().create_task(self._refresh_later())

    async def _refresh_later(self) -> None:
        await asyncio.sleep(self.refresh_seconds)
        await self.refresh()

    async def refresh(self) -> None:
        view = await self.view_for(self.clock())
        for user in list(self._viewers):
            try:
                await self.client.views_publish(user_id=user, view=view)
            except SlackApiError as exc:
                log.warning("could not refresh App Home of %s: %s", user, exc.response.get("error"))
