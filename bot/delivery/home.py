"""App Home: what it shows, and keeping it fresh for the people who opened it when incidents change.

Publishes go through the outbox like every other write (`home:USER`): one waiting publish per person serves every
change until it is sent, and the drainer renders the view once per pass for everyone it publishes to."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.blocks.home import home_view
from bot.delivery import outbox
from bot.store import Database
from bot.views.oncall import OnCallAnswer
from bot.views.status_queries import blocked_lines, check_lines, last_digest, open_incidents, silence_lines

log = logging.getLogger(__name__)
REFRESH_SECONDS = 5.0
MAX_VIEWERS = 200


@dataclass
class HomePublisher:
    """Publishes Home on open, and again (at most every few seconds) to everyone who opened it when incidents change."""

    db: Database
    wake: Callable[[], None]
    """Wakes the outbox drainer."""
    clock: Callable[[], datetime]
    check_schedule: list[tuple[str, str, timedelta]]
    """(name, type, interval) of every configured check."""
    refresh_seconds: float = REFRESH_SECONDS
    on_call: Callable[[Session, datetime], list[OnCallAnswer]] | None = None
    """Who is on call in each configured schedule (overrides read from the database), with the next handoffs."""

    def __post_init__(self) -> None:
        self._viewers: dict[str, None] = {}
        self._pending: asyncio.Task[None] | None = None

    async def view_for(self, now: datetime) -> dict:
        on_call = self.on_call
        incidents, checks, silences, digest, blocked, answers = await self.db.run(
            lambda s: (
                open_incidents(s),
                check_lines(s, self.check_schedule),
                silence_lines(s, now),
                last_digest(s),
                blocked_lines(s),
                on_call(s, now) if on_call else [],
            )
        )
        return home_view(
            incidents, checks, now=now, silences=silences, last_digest=digest, blocked=blocked, on_call=answers
        )

    async def opened(self, user: str) -> None:
        self._viewers.pop(user, None)
        self._viewers[user] = None
        while len(self._viewers) > MAX_VIEWERS:
            self._viewers.pop(next(iter(self._viewers)))
        now = self.clock()
        await self.db.run(lambda s: outbox.enqueue_home(s, user=user, not_before=now))
        self.wake()

    def incidents_changed(self) -> None:
        """Refresh every open Home soon; changes in a burst share one refresh."""
        if self._viewers and (self._pending is None or self._pending.done()):
            self._pending = asyncio.get_running_loop().create_task(self._refresh_later())

    async def _refresh_later(self) -> None:
        await asyncio.sleep(self.refresh_seconds)
        try:
            await self.refresh()
        except Exception:
            log.exception("could not queue the App Home refresh")

    async def refresh(self) -> None:
        users, now = list(self._viewers), self.clock()

        def queue(session: Session) -> None:
            for user in users:
                outbox.enqueue_home(session, user=user, not_before=now)

        await self.db.run(queue)
        self.wake()
