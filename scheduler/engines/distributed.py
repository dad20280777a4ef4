"""The distributed engine: `boltwatch worker` processes share the check work through Procrastinate's queue in
PostgreSQL, one job per (check, account, region) and tick.

- One periodic task per check (not one per target: procrastinate issue 1464, periodic tasks beyond ~70 are not
  deferred) fires each tick; the database defers it once per period however many workers run (Procrastinate docs,
  "Launch a task periodically"). Its job defers one job per target, spread over the first half of the interval
  (30 s at most).
- Each target job holds `lock = queueing_lock = check:account:region`: one waiting and one running job per target,
  so a target that cannot keep its interval skips ticks rather than piling them up. An event pushed about a target
  (`defer_recheck`) queues its job, or brings the waiting one forward to now.
- A job runs `run_check_target` within `check_timeout`; what it writes is keyed by (check, target, tick), so a job
  run twice writes once. Finished jobs are deleted (`delete_jobs="successful"`).
- Workers beat every HEARTBEAT_SECONDS; a reaper job every REAPER_SECONDS retries the jobs of workers silent for
  STALLED_AFTER_SECONDS ("Retry stalled jobs" in the docs): a killed worker's jobs run again within one interval.
- On SIGTERM a worker takes no new job and gives running ones SHUTDOWN_GRACE_SECONDS; the rest are cancelled and
  put back in the queue (ReleaseOnShutdown) for another worker.
- The workers stream the log groups of `log_errors` checks in `mode: live` (scheduler/live_tails.py, one worker per
  check and target by its owner lease); a target's job is told which of its groups stream (`live_groups`, whichever
  worker streams them) and does not read those, as the embedded engine's runs do not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from procrastinate import App, BaseRetryStrategy, JobContext, PsycopgConnector, RetryDecision
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException, JobAborted, UniqueViolation
from procrastinate.jobs import Job, Status
from procrastinate.schema import SchemaManager
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.aws.sessions import AwsTarget
from bot.aws.tags import TagCache
from bot.core.check_targets import recorded_targets
from bot.enums import Source
from bot.runtime.heap import ThrottledRelease
from bot.services import Services
from bot.views.status import WORKER_STALLED_AFTER
from scheduler.probe import check_timeout
from scheduler.registry import ConfiguredCheck
from scheduler.runner import run_check_target

log = logging.getLogger(__name__)
QUEUE = "boltwatch-checks"
SPREAD = 0.5
"""Target jobs of a tick are spread over this part of the interval, leaving the rest for them to run..."""
MAX_SPREAD = timedelta(seconds=30)
"""...and over no more than this: enough to smooth a large estate's burst, and a long interval's runs stay prompt."""
HEARTBEAT_SECONDS = 2.0
STALLED_AFTER_SECONDS = WORKER_STALLED_AFTER.total_seconds()
"""What `/boltwatch status` calls a worker gone, too."""
REAPER_SECONDS = 5
SHUTDOWN_GRACE_SECONDS = 6.0
"""Within the 10 s a process manager gives between SIGTERM and SIGKILL, with time left to put jobs back."""
SCHEMA_LOCK = 7_020_020  # pg_advisory_xact_lock key: workers starting together apply the queue's schema once
BRING_FORWARD = """
WITH moved AS (
    UPDATE procrastinate_jobs
       SET scheduled_at = LEAST(scheduled_at, now()), args = jsonb_set(args, '{source}', to_jsonb(%(source)s::text))
     WHERE queueing_lock = %(lock)s AND status = 'todo'
 RETURNING id, queue_name
)
SELECT id, pg_notify(
    'procrastinate_queue_v1#' || queue_name, json_build_object('type', 'job_inserted', 'job_id', id)::text
)::text AS notified
FROM moved
"""
"""The job waiting under a queueing lock made due now and run as a source, its queue's workers woken as Procrastinate's
insert trigger (procrastinate_notify_queue_job_inserted_v1) wakes them. LEAST never moves a job later."""


def conninfo(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy one (`postgresql+psycopg://` → `postgresql://`), query options kept."""
    scheme, rest = database_url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


def cron_for(every: timedelta) -> str | None:
    """The cron expression (seconds in the 6th field, as croniter reads it) that fires every `every` in step with
    the clock, or None when no cron expression can (an interval that does not divide a minute, an hour or a day)."""
    seconds = every.total_seconds()
    if seconds != int(seconds) or seconds <= 0:
        return None
    s = int(seconds)
    if s < 60 and 60 % s == 0:
        return f"* * * * * */{s}"
    if s % 60 == 0 and s < 3600 and 60 % (s // 60) == 0:
        return f"*/{s // 60} * * * *"
    if s % 3600 == 0 and s < 86400 and 24 % (s // 3600) == 0:
        return f"0 */{s // 3600} * * *"
    if s == 86400:
        return "0 0 * * *"
    return None


def schedule_problems(checks: Sequence[ConfiguredCheck]) -> list[str]:
    """Checks whose interval the periodic tasks cannot keep."""
    return [
        f"checks: {c.name}: every {c.every} cannot be a periodic task's schedule under scheduler.engine procrastinate;"
        " choose an interval that divides a minute, an hour or a day (e.g. 30s, 2m, 15m, 6h)"
        for c in checks
        if cron_for(c.every) is None
    ]


def spread_at(tick: datetime, every: timedelta, index: int, count: int) -> datetime:
    """When the `index`-th of `count` target jobs of a tick is due: evenly over the first SPREAD of the interval,
    MAX_SPREAD at most."""
    return tick + min(every * SPREAD, MAX_SPREAD) * (index / max(count, 1))


def target_key(check: str, target: AwsTarget) -> str:
    return f"check:{check}:{target.account}:{target.region}"


class ReleaseOnShutdown(BaseRetryStrategy):
    """A job cancelled because its worker stops goes back to the queue for another worker; a job that failed
    otherwise does not (the target's failure is recorded, and the next tick runs it again)."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, (JobAborted, asyncio.CancelledError)):
            return RetryDecision(retry_in={"seconds": 0})
        return None


def ensure_queue_schema(engine: Engine) -> bool:
    """Create Procrastinate's tables when this database has none; True when it did. Workers starting together take
    a transaction lock first, so that one creates them and the others see them."""
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        if connection.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is not None:
            return False
        raw: Any = connection.connection.driver_connection
        raw.execute(SchemaManager.get_schema())  # a script of many statements: psycopg runs it without parameters
    return True


class DistributedChecks:
    """The Procrastinate app of a set of checks: its tasks, periodic ticks and reaper, and a worker to run them."""

    def __init__(self, services: Services, checks: Sequence[ConfiguredCheck], *, tags: TagCache | None = None) -> None:
        self._services = services
        self._checks = {c.name: c for c in checks}
        self._tags = tags or TagCache()
        self._rechecked: dict[str, int] = {}
        """The tick of each target's last pushed run, by target key."""
        self._release_memory = ThrottledRelease()
        self.live_groups: Callable[[str, AwsTarget], frozenset[str]] = lambda _check, _target: frozenset()
        """The log groups a Live Tail session streams for a check and target right now, in this worker or another
        (scheduler/live_tails.py): its jobs do not read them."""
        self.app = App(connector=PsycopgConnector(conninfo=conninfo(services.settings.database_url)))
        self._target_task = self.app.task(
            name="boltwatch.check_target", queue=QUEUE, retry=ReleaseOnShutdown(), pass_context=True
        )(self.check_target)
        tick_task = self.app.task(name="boltwatch.check_tick", queue=QUEUE)(self.check_tick)
        for configured in checks:
            cron = cron_for(configured.every)
            assert cron is not None, "schedule_problems() refuses such checks before"
            self.app.periodic(
                cron=cron, periodic_id=f"check:{configured.name}", task_kwargs={"check": configured.name}
            )(tick_task)
        reaper = self.app.task(name="boltwatch.retry_stalled", queue=QUEUE)(self.retry_stalled)
        self.app.periodic(cron=f"* * * * * */{REAPER_SECONDS}", periodic_id="retry_stalled")(reaper)

    async def check_tick(self, timestamp: int, check: str) -> int:
        """Defer one job per target of `check` for the tick at `timestamp`; returns how many."""
        configured = self._checks.get(check)
        if configured is None:
            log.warning("a tick of check %s, which this worker's config does not have: skipped", check)
            return 0
        tick = datetime.fromtimestamp(timestamp, UTC)
        targets = sorted(self._services.aws.targets(), key=lambda t: (t.account, t.region))
        # This job may run twice too (its worker killed): targets that recorded the tick already are not run again.
        done = await self._services.db.run(lambda s: recorded_targets(s, check=check, tick=tick))
        deferred = 0
        for index, target in enumerate(targets):
            if (target.account, target.region) in done:
                continue
            key = target_key(check, target)
            job = self._target_task.configure(
                lock=key, queueing_lock=key, schedule_at=spread_at(tick, configured.every, index, len(targets))
            )
            try:
                await job.defer_async(check=check, account=target.account, region=target.region, tick=timestamp)
            except AlreadyEnqueued:
                log.warning("check %s: %s still waits from an earlier tick; not queued again", check, key)
                continue
            deferred += 1
        return deferred

    async def check_target(
        self, context: JobContext, check: str, account: str, region: str, tick: int, source: str = Source.POLL.value
    ) -> None:
        """One target's run for one tick, recorded once however many times this job runs. `source`: push for a run a
        pushed event asked for (jobs queued before it existed have none: poll)."""
        metrics = self._services.metrics.check_jobs
        configured = self._checks.get(check)
        target = AwsTarget(account, region)
        if configured is None or target not in self._services.aws.targets():
            log.warning(
                "a job of %s for %s/%s, which this worker's config does not have: skipped", check, account, region
            )
            return
        metrics.labels(check, "started").inc()
        try:
            async with asyncio.timeout(check_timeout(configured)):
                run = await run_check_target(
                    configured, target, datetime.fromtimestamp(tick, UTC), services=self._services, tags=self._tags,
                    live_groups=self.live_groups(check, target), source=Source(source),
                )  # fmt: skip
        except Exception:
            metrics.labels(check, "failed").inc()
            raise
        finally:
            self._release_memory()  # what the run's findings held, given back (at most every few seconds)
        metrics.labels(check, "repeat" if run.repeat else "failed" if run.error else "succeeded").inc()

    async def defer_recheck(self, check: str, account: str, region: str, *, source: Source = Source.POLL) -> bool:
        """Run `check` over (account, region) now, as a job a worker takes (an EventBridge event said a resource of
        that target changed: `source` push); False when that check or target is not configured.

        A target has one waiting job at most (its queueing lock). When one waits already, a tick's job spread up to
        30 s ahead or an earlier event's, that job is brought forward to now and runs as `source`: the event's
        change is seen at once, not when that job was due."""
        configured = self._checks.get(check)
        target = AwsTarget(account, region)
        if configured is None or target not in self._services.aws.targets():
            return False
        key = target_key(check, target)
        # A run is recorded once per (check, target, tick): a second event in the same second gets the next one,
        # so that its run is not taken for a repeat of the first.
        tick = max(int(self._services.clock().timestamp()), self._rechecked.get(key, 0) + 1)
        for _attempt in range(3):
            try:
                await self._target_task.configure(lock=key, queueing_lock=key).defer_async(
                    check=check, account=account, region=region, tick=tick, source=source.value
                )
            except AlreadyEnqueued:
                if await self._bring_forward(key, source):
                    return True
                continue  # the waiting job started between the two: the lock is free again
            self._rechecked[key] = tick
            return True
        log.warning("check %s: could not queue a %s run of %s, its waiting job kept changing", check, source, key)
        return False

    async def _bring_forward(self, key: str, source: Source) -> bool:
        """Make the job waiting under queueing lock `key` due now and its run `source`, and wake the workers as a new
        job does (the notification of Procrastinate's insert trigger: an update sends none, and an idle worker would
        look again only after its polling interval). False when no job waits under that lock any more."""
        moved = await self.app.connector.execute_query_all_async(BRING_FORWARD, lock=key, source=source.value)
        if moved:
            log.info("%s run of %s: its waiting job %s brought forward to now", source, key, moved[0]["id"])
        return bool(moved)

    async def retry_stalled(self, timestamp: int) -> int:
        """Put back the jobs of workers whose heartbeat stopped (killed, frozen); returns how many."""
        manager = self.app.job_manager
        stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_SECONDS))
        for job in stalled:
            try:
                await self._put_back(job)
            except ConnectorException as exc:  # the others still go back
                log.error("could not put back stalled job %s (%s): %s", job.id, job.task_name, exc)
                continue
            self._services.metrics.check_jobs.labels(str(job.task_kwargs.get("check", "?")), "retried").inc()
            log.warning("retried job %s (%s), stalled on a worker that stopped beating", job.id, job.task_name)
        return len(stalled)

    async def _put_back(self, job: Job) -> None:
        """Back to the queue; or, when the next tick's job of its target already waits (it holds the queueing
        lock), as a new job beside it, run one at a time with it (the lock): both ticks are still recorded."""
        manager = self.app.job_manager
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            await manager.finish_job(job, status=Status.FAILED, delete_job=True)
            await self._target_task.configure(lock=job.lock).defer_async(**job.task_kwargs)

    async def run_worker(self, *, concurrency: int, name: str) -> None:
        """Take and run jobs until cancelled; then let running jobs finish for SHUTDOWN_GRACE_SECONDS and put the
        rest back in the queue. The app must be open (`async with app.open_async()`)."""
        await self.app.run_worker_async(
            queues=[QUEUE], name=name, concurrency=concurrency, delete_jobs="successful",
            shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS, update_heartbeat_interval=HEARTBEAT_SECONDS,
            stalled_worker_timeout=STALLED_AFTER_SECONDS, install_signal_handlers=False,
        )  # fmt: skip
