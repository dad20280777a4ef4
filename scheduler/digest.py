"""Digests on their cron schedule, and on demand: exactly one per period and channel, across restarts and replicas.

Every replica schedules every digest. The first to record the period in `digest_runs` (unique per channel, project and
period) queues the message in the outbox, in the same transaction: that row is the claim, so no lease is needed. A
replica racing it waits on the unique index and finds the period taken (PostgreSQL), or waits for SQLite's one
writer; either way it queues nothing, as does a restarted process that finds the period recorded. The outbox then
posts the digest exactly once, retrying until Slack takes it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from bot.blocks.digest import FIGURE_AFTER, digest_message
from bot.charts.figures import figure_payload
from bot.config import DigestSettings
from bot.core.digest_trends import collect_trend
from bot.core.digests import claim_period, collect_digest
from bot.delivery import outbox
from bot.services import Services
from bot.wallclock import instant_of, local_naive

log = logging.getLogger(__name__)
MISFIRE_GRACE = timedelta(minutes=5)
"""A digest whose time passed while the process was busy or paused still goes out this long after."""
LOOKBACKS = (timedelta(hours=1), timedelta(days=1), timedelta(days=8), timedelta(days=32), timedelta(days=367))


def latest_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The last time at or before `now` that `trigger` fires, in UTC: the period a late-running job belongs to.

    APScheduler 3 fires a cron time that the autumn change repeats twice (02:30 summer time, and 02:30 winter time
    an hour later): both name the wall-clock time's first occurrence here (`bot.wallclock.instant_of`), so that the
    second finds its period claimed and no second digest goes out. A time the spring change skips fires once, when
    the clocks have passed it. Steps are taken in UTC: a second added to 02:30 winter time in its zone is 02:30:01
    summer time, an hour back, and the search would never end."""
    for lookback in LOOKBACKS:
        fire = trigger.get_next_fire_time(None, now - lookback)
        if fire is None or fire > now:
            continue
        while (
            later := trigger.get_next_fire_time(None, fire.astimezone(UTC) + timedelta(seconds=1))
        ) is not None and later <= now:
            fire = later
        if not isinstance(fire, datetime):
            return None
        zone = trigger.timezone
        return instant_of(zone, local_naive(zone, fire)) if isinstance(zone, ZoneInfo) else fire.astimezone(UTC)
    return None


def digest_key(channel: str, project: str | None) -> str:
    return f"digest:{channel}:{project or ''}"


def digests_here(digests: list[DigestSettings], channel_id: str, channel_name: str) -> list[tuple[str, str | None]]:
    """(channel as configured, project) of the digests configured for this channel; else one for all resources."""
    here = {channel_id, channel_name, f"#{channel_name}"}
    configured = [(d.channel, d.project) for d in digests if d.channel in here]
    return configured or [(channel_id, None)]


class DigestScheduler:
    """One cron job per configured digest, and the digest on demand."""

    def __init__(self, services: Services) -> None:
        self._services = services

    @property
    def digests(self) -> list[DigestSettings]:
        return list(self._services.settings.file.digests)

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        for digest in self.digests:
            scheduler.add_job(
                self.run_scheduled,
                digest.trigger(),
                args=[digest],
                id=digest_key(digest.channel, digest.project),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
            )

    async def run_scheduled(self, digest: DigestSettings) -> bool:
        """Post the digest of the period that fired last (at or before now), unless it was posted already."""
        fired = latest_fire_time(digest.trigger(), self._services.clock())
        if fired is None:
            return False
        try:
            return await self._post(
                channel=digest.channel, project=digest.project, period=fired.isoformat(), end=fired, scheduled=True
            )  # fmt: skip
        except Exception:
            log.exception("the digest for %s could not be queued", digest.channel)
            return False

    async def post_now(self, channel_id: str, channel_name: str) -> None:
        """`/boltwatch digest`: each digest configured for this channel (else one for all resources), up to now,
        posted here."""
        now = self._services.clock()
        for channel, project in digests_here(self.digests, channel_id, channel_name):
            await self._post(
                channel=channel, project=project, period=f"manual:{now.isoformat()}", end=now, scheduled=False,
                post_to=channel_id,
            )  # fmt: skip

    async def _post(
        self,
        *,
        channel: str,
        project: str | None,
        period: str,
        end: datetime,
        scheduled: bool,
        post_to: str | None = None,
    ) -> bool:
        """Record the digest of `period` for `channel` and queue it for `post_to` (by default the same channel);
        False when the period was recorded already (by this process before a restart, or by another replica)."""
        services = self._services
        now = services.clock()
        checks = list(services.check_schedule)
        charts = services.settings.file.charts.enabled

        def claim(session: Session) -> bool:
            claimed = claim_period(
                session, channel=channel, project=project, period=period, scheduled=scheduled, end=end, now=now
            )
            if claimed is None:
                return False
            run_id, start = claimed
            data = collect_digest(session, start=start, end=end, project=project, checks=checks)
            text, blocks = digest_message(data)
            key, where = f"{digest_key(channel, project)}:{period}", post_to or channel
            outbox.enqueue_message(
                session, key=key, channel=where, text=text, blocks=blocks, now=now, record={"digest_run": run_id}
            )
            if charts and not data.quiet:
                # The digest goes out as it is; its chart follows under the same key and is added to it in place.
                figure = figure_payload(collect_trend(session, end=end, project=project))
                outbox.enqueue_figure(session, key=key, channel=where, figure=figure, text=text, blocks=blocks,
                                      after=FIGURE_AFTER, now=now)  # fmt: skip
            return True

        queued = await services.db.run(claim)
        if queued:
            services.wake_notifier()
        return queued
