"""Maintenance windows on a schedule: each configured window's occurrences made a day ahead, and every window's start
and end announced when due. Any replica may run it: each announcement is claimed in the database (see
`bot.core.maintenance`), so it is made once, and one owed across a restart is made by the next run."""

from __future__ import annotations

import hashlib
import logging
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot.config import MaintenanceSettings
from bot.core.maintenance import WindowPlan, due_announcements, plan_windows
from bot.delivery.maintenance_notices import queue_announcements
from bot.services import Services

log = logging.getLogger(__name__)
EVERY_SECONDS = 15


def window_plan(index: int, settings: MaintenanceSettings) -> WindowPlan:
    """A configured window; its key changes when its settings do, so that an edited window is a new one."""
    digest = hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:12]
    one_off = settings.cron is None
    return WindowPlan(
        key=f"config:{index}:{digest}",
        matchers=settings.silence_matchers(),
        reason=settings.reason,
        channels=tuple(settings.channels),
        wall_clock=settings.wall_clock_trigger(),
        zone=ZoneInfo(settings.timezone),
        duration=settings.duration,
        start=settings.starts_at() if one_off else None,
        end=settings.ends_at() if one_off else None,
    )


class MaintenanceRunner:
    def __init__(self, services: Services) -> None:
        self._services = services
        self.plans = [window_plan(i, s) for i, s in enumerate(services.settings.file.maintenance)]

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        scheduler.add_job(
            self.run, IntervalTrigger(seconds=EVERY_SECONDS), id="maintenance", max_instances=1, coalesce=True
        )

    async def run(self) -> int:
        """Make what is due and announce it; how many messages were queued."""
        services = self._services
        now = services.clock()

        def tick(session: Session) -> int:
            due = due_announcements(session, now=now)  # an end is told before the next occurrence's making
            made = plan_windows(session, self.plans, services.routes, now=now)
            return queue_announcements(session, [*due, *made], now=now)

        queued = await services.db.run(tick)
        if queued:
            services.wake_notifier()
        return queued
