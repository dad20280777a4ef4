"""Takes the escalation steps that are due (bot/core/escalation.py) every few seconds, on every replica: the steps
are taken under one database lock, so each level pages once however many replicas run, and a restart takes what
fell due while the bot was down. It also tells each schedule's channel of its handoffs, once each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.blocks.oncall import handoff_note
from bot.core import escalation
from bot.core.oncall_store import announce_handoffs
from bot.services import Services

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0


class EscalationRunner:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._policies = {route.name: route.escalation for route in services.routes if route.escalation}
        self._schedules = services.schedules
        self.calendar_behind: Callable[[str], None] = lambda _name: None
        """Asks for a schedule's calendar to be read again: another replica told an answer it does not explain."""

    async def run(self, *, poll_seconds: float = POLL_SECONDS) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("taking escalation steps failed; trying again")
            await asyncio.sleep(poll_seconds)

    async def run_due(self) -> int:
        """Take every escalation step due now; how many were taken."""
        services = self._services
        now = services.clock()
        policies, schedules = self._policies, self._schedules
        taken = await services.db.run(lambda s: escalation.tick(s, policies=policies, schedules=schedules, now=now))
        behind: list[str] = []
        told = await services.db.run(
            lambda s: announce_handoffs(s, schedules=schedules, now=now, words=handoff_note, behind=behind)
        )
        for name in behind:
            self.calendar_behind(name)
        if taken or told:
            services.wake_notifier()
        return taken
