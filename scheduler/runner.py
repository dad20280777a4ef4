"""Runs checks: `run_check_target(check, target, tick)` is the one way a check's run over one target is recorded
(both engines and the Re-check button call it); `CheckRunner` is the embedded engine: APScheduler 3 in-process
fires each check on its schedule and runs its targets at once, each recorded in its own transaction. When replicas
share a database, only the one holding the scheduler lock (scheduler/leader.py) has the checks on its schedule."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot.aws.errors import classify
from bot.aws.sessions import AwsTarget
from bot.aws.tags import TagCache
from bot.core.check_health import health_result, record_cycle_seconds
from bot.core.check_targets import record_target, sum_health, take_tick
from bot.core.error_groups import remember
from bot.core.findings import CheckResult
from bot.core.incidents import Observation, observe, remind
from bot.core.log_cursors import load_cursors, save_cursors
from bot.enums import Source
from bot.runtime.acks_first import AcksFirst, RunAllowance
from bot.runtime.heap import freeze_heap, release_free_memory
from bot.services import Services
from bot.views.status_queries import all_health
from scheduler.probe import probe_target
from scheduler.registry import CheckFunction, ConfiguredCheck

log = logging.getLogger(__name__)
MAX_JITTER_SECONDS = 5.0


@dataclass(frozen=True)
class TargetRun:
    """What one target's run did: `repeat` when its tick was recorded already (nothing was written)."""

    target: AwsTarget
    observation: Observation | None
    error: BaseException | None = None

    @property
    def repeat(self) -> bool:
        return self.observation is None


async def run_check_target(
    configured: ConfiguredCheck,
    target: AwsTarget,
    tick: datetime | None,
    *,
    services: Services,
    tags: TagCache,
    allowance: RunAllowance | None = None,
    targets: list[AwsTarget] | None = None,
    live_groups: frozenset[str] = frozenset(),
    source: Source = Source.POLL,
) -> TargetRun:
    """Run `configured` over one target and record it: the findings, the log cursors, the error groups, the
    check's health and the outbox rows in one transaction keyed by (check, target, tick), so that a job run twice
    for one tick (at-least-once delivery) changes nothing the second time. A failing target records its failure
    and raises nothing: the other targets go on. `tick` None: a run that is never delivered twice (in-process, or a
    Re-check), not keyed. `live_groups`: log groups a Live Tail session streams for this target now, which the
    check ages rather than reads. `source`: what the incident timeline credits with what this run sees first (a run
    a pushed event asked for: push)."""
    allowance = allowance or AcksFirst().run()
    regressed_after = services.settings.file.errors.regressed_after
    error: BaseException | None = None
    result = CheckResult.of([])
    try:
        await allowance.turn()
        cursors = await services.db.run(lambda s: load_cursors(s, account=target.account, region=target.region))
        result = await probe_target(
            configured, target, aws=services.aws, executor=services.executor, tags=tags, clock=services.clock,
            cursors=cursors, allowance=allowance, regressed_after=regressed_after, live_groups=live_groups,
        )  # fmt: skip
    except Exception as exc:
        log.warning("check %s failed for %s/%s: %s", configured.name, target.account, target.region, exc)
        error = exc
    problem = classify(error) if error is not None else None
    observed_at = services.clock()
    everywhere = [(t.account, t.region) for t in (targets or services.aws.targets())]
    known_id = services.aws.known_account_id(target.account)
    account_ids = {target.account: known_id} if known_id else {}

    def record(session: Session) -> Observation | None:
        row = take_tick(
            session, check=configured.name, account=target.account, region=target.region, tick=tick, now=observed_at
        )
        if row is None:
            return None
        firing = sum(1 for f in result.findings if f.firing)
        record_target(row, now=observed_at, error=problem.message if problem else None, firing=firing)
        save_cursors(session, result.cursors, now=observed_at)
        for log_source, summaries in result.error_groups.items():
            remember(session, source=log_source, summaries=summaries, now=observed_at, regressed_after=regressed_after)
        about_the_target = health_result(
            check=configured.name, targets=[(target.account, target.region)],
            problems={(target.account, target.region): problem} if problem else {},
            consecutive_failures=row.consecutive_failures, account_ids=account_ids,
        )  # fmt: skip
        observe(
            session, check=f"health:{configured.name}", result=about_the_target, routes=services.routes,
            now=observed_at, inhibit_rules=services.inhibit_rules,
        )  # fmt: skip
        observation = observe(
            session, check=configured.name, result=result, routes=services.routes, now=observed_at, source=source,
            charts=services.settings.file.charts.enabled, inhibit_rules=services.inhibit_rules,
        )  # fmt: skip
        sum_health(session, check=configured.name, check_type=configured.type.name, targets=everywhere, now=observed_at)
        return observation

    await allowance.turn()
    observation = await services.db.run(record)
    if observation is not None and observation.incidents_touched:
        services.wake_notifier()
    return TargetRun(target, observation, error)


class CheckRunner:
    def __init__(self, services: Services, checks: list[ConfiguredCheck], *, freeze: bool = True) -> None:
        self._services = services
        self._checks = checks
        self._running: dict[str, asyncio.Lock] = {c.name: asyncio.Lock() for c in checks}
        self._in_flight: set[asyncio.Task[object]] = set()
        self._tags = TagCache()
        self._not_yet_run = {c.name for c in checks} if freeze else set()
        self._schedules = services.schedules
        self.live_groups: Callable[[str, AwsTarget], frozenset[str]] = lambda _check, _target: frozenset()
        """The log groups a Live Tail session streams for a check and target right now (scheduler/live_tails.py)."""

    @property
    def checks(self) -> list[ConfiguredCheck]:
        return list(self._checks)

    @property
    def tags(self) -> TagCache:
        """The resource tags this runner read, by account and region (pushed findings share them)."""
        return self._tags

    async def run_all_now(self) -> None:
        """Run every configured check once, now (the sandbox and the tests use this)."""
        await asyncio.gather(*(self.run_check(c) for c in self._checks))

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        """The reminder sweep, on every replica. The checks join the schedule on the replica that holds the
        scheduler lock (`schedule_checks`)."""
        scheduler.add_job(self.send_reminders, IntervalTrigger(seconds=30), id="reminders", max_instances=1)

    async def schedule_checks(self, scheduler: AsyncIOScheduler) -> None:
        """One job per check (at most one run at a time, missed runs coalesced), each first run when the check is
        due by its last recorded run — on any replica — or now if it is overdue or never ran: a replica taking over
        from another that stopped keeps its cadence rather than running every check again at once."""
        now = self._services.clock()
        try:
            health = await self._services.db.run(all_health)
            last_runs = {name: h.last_run_at for name, h in health.items()}
        except Exception as exc:
            log.warning("could not read when the checks last ran (%s): running them now", exc)
            last_runs = {}
        for configured in self._checks:
            seconds = configured.every.total_seconds()
            last = last_runs.get(configured.name)
            scheduler.add_job(
                self.run_check,
                IntervalTrigger(seconds=seconds, jitter=min(seconds * 0.1, MAX_JITTER_SECONDS)),
                args=[configured],
                id=f"check:{configured.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(seconds),
                next_run_time=max(now, last + configured.every) if last is not None else now,
                replace_existing=True,
            )

    def unschedule_checks(self, scheduler: AsyncIOScheduler) -> None:
        """Take the checks off the schedule (this replica lost the scheduler lock); runs in flight finish."""
        for configured in self._checks:
            if scheduler.get_job(f"check:{configured.name}") is not None:
                scheduler.remove_job(f"check:{configured.name}")

    async def run_check(self, configured: ConfiguredCheck) -> list[TargetRun] | None:
        """Run one check over every target; returns each target's run (None when shutdown cut it off)."""
        return await self._one_at_a_time(configured, self._services.aws.targets())

    async def recheck(self, check_name: str, account: str, region: str, *, source: Source = Source.POLL) -> bool:
        """Run the check `check_name` now over one account and region, recorded as a scheduled run records it
        (log cursors, check health, incidents); False when that check or target is not configured. `source`: push
        when an event AWS pushed asked for the run, so that the incident timeline credits push with what it sees.

        It waits for a run of the same check in this process to end; any replica runs it, not only the one holding
        the scheduler lock: a click is answered by whichever replica Slack reached."""
        configured = next((c for c in self._checks if c.name == check_name), None)
        target = AwsTarget(account, region)
        if configured is None or target not in self._services.aws.targets():
            return False
        await self._one_at_a_time(configured, [target], source)
        return True

    async def _one_at_a_time(
        self, configured: ConfiguredCheck, targets: list[AwsTarget], source: Source = Source.POLL
    ) -> list[TargetRun] | None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            async with self._running.setdefault(configured.name, asyncio.Lock()):
                return await self._run_check(configured, targets, source)
        except asyncio.CancelledError:
            # Only shutdown cancels a run; its findings are dropped whole (observe is one transaction).
            log.info("check %s interrupted by shutdown", configured.name)
            return None
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def finish_running(self, seconds: float) -> None:
        """Let check runs in flight finish within `seconds`, then cancel what is left."""
        if not self._in_flight:
            return
        _done, pending = await asyncio.wait(set(self._in_flight), timeout=seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _run_check(
        self, configured: ConfiguredCheck, targets: list[AwsTarget], source: Source
    ) -> list[TargetRun]:
        services = self._services
        allowance = services.acks_first.run()  # acks first: the run waits out bursts of Slack requests
        try:
            return await self._run_steps(configured, targets, allowance, source)
        finally:
            release_free_memory()  # the run's findings went with its frame: give back what they held
            if allowance.waited:
                services.metrics.check_yield_seconds.labels(configured.name).inc(allowance.waited)

    async def _run_steps(
        self, configured: ConfiguredCheck, targets: list[AwsTarget], allowance: RunAllowance, source: Source
    ) -> list[TargetRun]:
        services = self._services
        await allowance.turn()
        started = time.perf_counter()
        # In-process, APScheduler fires each run once (no redelivery to guard against): its runs need no tick key.
        runs = await asyncio.gather(*(self._run_target(configured, target, allowance, source) for target in targets))
        cycle_seconds = time.perf_counter() - started
        if set(targets) >= set(services.aws.targets()):  # a Re-check's time says nothing of a whole cycle's
            await services.db.run(lambda s: record_cycle_seconds(s, name=configured.name, seconds=cycle_seconds))
        if self._not_yet_run:
            self._not_yet_run.discard(configured.name)
            if not self._not_yet_run:
                # The first run of every check built its boto3 clients: the heap is now what it will stay.
                freeze_heap("every check has run once")
        failed = any(run.error is not None for run in runs)
        services.metrics.check_runs.labels(configured.name, "error" if failed else "ok").inc()
        services.metrics.check_seconds.labels(configured.name).observe(time.perf_counter() - started)
        return runs

    async def _run_target(
        self, configured: ConfiguredCheck, target: AwsTarget, allowance: RunAllowance, source: Source
    ) -> TargetRun:
        return await run_check_target(
            configured, target, None, services=self._services, tags=self._tags, allowance=allowance,
            live_groups=self.live_groups(configured.name, target), source=source,
        )  # fmt: skip

    async def run_streamed(
        self, configured: ConfiguredCheck, target: AwsTarget, run: CheckFunction, *, source: Source = Source.LIVE
    ) -> Observation:
        """Decide what a live source delivered for one target (`run` is the check's code for it) and record it as a
        run records its findings: cursors, error groups and incidents in one transaction. Runs of the same check
        wait for each other, so that a live tail and the schedule never move one cursor at once. `source`: what the
        incident timeline credits with what it sees first (the stream: live tail; a read of the logs: poll)."""
        services = self._services
        allowance = services.acks_first.run()
        regressed_after = services.settings.file.errors.regressed_after
        async with self._running.setdefault(configured.name, asyncio.Lock()):
            await allowance.turn()
            cursors = await services.db.run(lambda s: load_cursors(s, account=target.account, region=target.region))
            result = await probe_target(
                configured, target, aws=services.aws, executor=services.executor, tags=self._tags,
                clock=services.clock, cursors=cursors, allowance=allowance, regressed_after=regressed_after, run=run,
            )  # fmt: skip
            observed_at = services.clock()

            def record(session: Session) -> Observation:
                save_cursors(session, result.cursors, now=observed_at)
                for log_source, summaries in result.error_groups.items():
                    remember(
                        session, source=log_source, summaries=summaries, now=observed_at,
                        regressed_after=regressed_after,
                    )  # fmt: skip
                return observe(
                    session, check=configured.name, result=result, routes=services.routes, now=observed_at,
                    source=source, charts=services.settings.file.charts.enabled, inhibit_rules=services.inhibit_rules,
                )  # fmt: skip

            await allowance.turn()
            observation = await services.db.run(record)
        if observation.incidents_touched:
            services.wake_notifier()
        return observation

    async def send_reminders(self) -> int:
        services = self._services
        now = services.clock()
        schedules = self._schedules
        sent = await services.db.run(lambda s: remind(s, routes=services.routes, now=now, schedules=schedules))
        if sent:
            services.wake_notifier()
        return sent
