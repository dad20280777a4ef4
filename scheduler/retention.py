"""Prunes finished records on a schedule (`retention:` in the config): one replica at a time (a lease), one short
transaction per batch, so that the outbox drainer, the checks and Slack's requests go on between them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot.config import RetentionSettings
from bot.core import leases, retention
from bot.services import Services

log = logging.getLogger(__name__)
LEASE = "retention"
Prune = Callable[..., int]


def prunes(settings: RetentionSettings) -> list[tuple[str, Prune, timedelta]]:
    """What is pruned, by which function, kept for how long; an incident's rows go before the sent items."""
    return [
        ("incidents", retention.prune_resolved_incidents, settings.resolved_incidents),
        ("alerts", retention.prune_resolved_alerts, settings.resolved_alerts),
        ("outbox", retention.prune_sent_outbox, settings.sent_outbox),
        ("outbox subjects", retention.prune_idle_subjects, settings.sent_outbox),
        ("wait jobs", retention.prune_finished_waits, settings.finished_waits),
        ("audit events", retention.prune_audit_events, settings.audit_events),
    ]


class RetentionRunner:
    def __init__(self, services: Services, *, holder: str) -> None:
        self._services = services
        self._holder = holder
        self.statements = 0
        """Delete statements run so far (each its own transaction)."""

    @property
    def settings(self) -> RetentionSettings:
        return self._services.settings.file.retention

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        scheduler.add_job(
            self.run,
            IntervalTrigger(seconds=self.settings.every.total_seconds()),
            id="retention",
            max_instances=1,
            coalesce=True,
        )

    async def run(self) -> dict[str, int]:
        """Prune everything past its retention, unless another replica holds the lease; rows deleted by kind."""
        services = self._services
        now = services.clock()
        ttl = max(self.settings.every, timedelta(minutes=1))
        taken = await services.db.run(
            lambda s: leases.try_acquire(s, name=LEASE, holder=self._holder, now=now, ttl=ttl)
        )
        if not taken:
            return {}
        deleted: dict[str, int] = {}
        for name, prune, kept_for in prunes(self.settings):
            try:
                deleted[name] = await self._prune(prune, before=now - kept_for)
            except Exception:
                log.exception("pruning %s failed; trying again at the next run", name)
        if any(deleted.values()):
            log.info("retention deleted %s", ", ".join(f"{n} {name}" for name, n in deleted.items() if n))
        return deleted

    async def _prune(self, prune: Prune, *, before: datetime) -> int:
        batch = self.settings.batch
        total = 0
        while True:

            def once(session: Session) -> int:
                return prune(session, before=before, batch=batch)

            deleted = await self._services.db.run(once)
            self.statements += 1
            total += deleted
            if deleted < batch:
                return total
            await asyncio.sleep(0)  # let what waits on the loop go between batches
