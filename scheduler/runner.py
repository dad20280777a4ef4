"""Runs checks: `run_check_target` is the one way a check runs over one target (the scheduled run, the Re-check
button and `boltwatch check --once` all call it); `CheckRunner` runs a check on its schedule, or now for one
target: lease → targets on the worker pool → check health, log cursors and incidents in one transaction → outbox."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot.aws.errors import classify
from bot.aws.executor import AwsExecutor
from bot.aws.sessions import AwsSessions, AwsTarget
from bot.aws.tags import TagCache
from bot.core import leases
from bot.core.check_health import health_result, record_run
from bot.core.error_groups import REGRESSED_AFTER, remember
from bot.core.findings import CheckResult, Finding, LogCursorState
from bot.core.incidents import Observation, observe, remind
from bot.core.log_cursors import load_cursors, save_cursors
from bot.runtime.acks_first import AcksFirst, RunAllowance
from bot.runtime.heap import freeze_heap, release_free_memory
from bot.services import Services
from scheduler.registry import CheckContext, CheckFunction, ConfiguredCheck

log = logging.getLogger(__name__)
MAX_JITTER_SECONDS = 5.0


def check_timeout(configured: ConfiguredCheck) -> float:
    """Seconds one target's run may take: two intervals, at least 30 s."""
    return max(configured.every.total_seconds() * 2, 30)


async def run_check_target(
    configured: ConfiguredCheck,
    target: AwsTarget,
    *,
    aws: AwsSessions,
    executor: AwsExecutor,
    tags: TagCache,
    clock: Callable[[], datetime],
    cursors: Mapping[str, LogCursorState] | None = None,
    allowance: RunAllowance | None = None,
    regressed_after: timedelta = REGRESSED_AFTER,
    live_groups: frozenset[str] = frozenset(),
    run: CheckFunction | None = None,
) -> CheckResult:
    """Run one check over one account and region: in a worker thread within its timeout, from the given log
    cursors, each finding labelled with the account's configured name and its resource's tags. Raises what the
    check raised; recording the result is the caller's. `run` replaces the check's own function (a live tail's
    events decided by the check's code)."""
    # Outside the bot (`check --once`) no Slack request waits for its ack: an allowance that never waits.
    allowance = allowance or AcksFirst().run()
    account_id = await executor.run(allowance.in_thread(aws.account_id), target.account)
    ctx = CheckContext(
        account=target.account,
        account_id=account_id,
        region=target.region,
        now=clock(),
        client_for=lambda service: aws.client(service, account=target.account, region=target.region),
        cursors=cursors or {},
        regressed_after=regressed_after,
        live_groups=live_groups,
    )
    check = allowance.in_thread(run or configured.type.run)
    result = await asyncio.wait_for(executor.run(check, ctx, configured.params), check_timeout(configured))
    result = with_account_name(result, target.account)
    if any(f.tag_arns for f in result.findings):
        result = await with_resource_tags(result, target, aws=aws, executor=executor, tags=tags, allowance=allowance)
    return result


async def with_resource_tags(
    result: CheckResult,
    target: AwsTarget,
    *,
    aws: AwsSessions,
    executor: AwsExecutor,
    tags: TagCache,
    allowance: RunAllowance,
) -> CheckResult:
    """Add each finding's resource tags as labels (never replacing a label the check set); a tagging failure
    only costs the tags. Pushed findings are tagged the same way, so that they route as the polled ones do."""

    def read_tags() -> dict[str, dict[str, str]]:
        client = aws.client("resourcegroupstaggingapi", account=target.account, region=target.region)
        return tags.tags(target.account, target.region, client)

    try:
        found = await executor.run(allowance.in_thread(read_tags))
    except Exception as exc:
        log.warning("could not read tags in %s/%s: %s", target.account, target.region, classify(exc).message)
        return result
    return replace(result, findings=[with_tags(f, found) for f in result.findings])


def with_account_name(result: CheckResult, account: str) -> CheckResult:
    """Label every finding with the configured name of its account, which commands and buttons take."""
    findings = [replace(f, labels={**f.labels, "account_name": account}) for f in result.findings]
    return replace(result, findings=findings)


def with_tags(finding: Finding, tags: dict[str, dict[str, str]]) -> Finding:
    found = next((tags[arn] for arn in finding.tag_arns if tags.get(arn)), {})
    if not found:
        return finding
    return replace(finding, labels={**found, **finding.labels})


@dataclass(frozen=True)
class TargetFailure:
    target: AwsTarget
    error: BaseException


class CheckRunner:
    def __init__(self, services: Services, checks: list[ConfiguredCheck], *, holder: str, freeze: bool = True) -> None:
        self._services = services
        self._checks = checks
        self._holder = holder
        self._running: dict[str, asyncio.Lock] = {c.name: asyncio.Lock() for c in checks}
        self._in_flight: set[asyncio.Task[object]] = set()
        self._tags = TagCache()
        self._not_yet_run = {c.name for c in checks} if freeze else set()
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
        """One job per check (at most one run at a time, missed runs coalesced), plus the reminder sweep."""
        for configured in self._checks:
            seconds = configured.every.total_seconds()
            scheduler.add_job(
                self.run_check,
                IntervalTrigger(seconds=seconds, jitter=min(seconds * 0.1, MAX_JITTER_SECONDS)),
                args=[configured],
                id=f"check:{configured.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=int(seconds),
                next_run_time=self._services.clock(),
            )
        scheduler.add_job(self.send_reminders, IntervalTrigger(seconds=30), id="reminders", max_instances=1)

    async def run_check(self, configured: ConfiguredCheck) -> Observation | None:
        """Run one check over every target, unless another replica holds its lease; returns what changed."""
        return await self._one_at_a_time(configured, self._services.aws.targets(), take_lease=True)

    async def recheck(self, check_name: str, account: str, region: str) -> bool:
        """Run the check `check_name` now over one account and region, recorded as a scheduled run records it
        (log cursors, check health, incidents); False when that check or target is not configured.

        It waits for a run of the same check in this process to end, but takes no lease: the lease says which
        replica runs the schedule, and a click is answered by whichever replica Slack reached."""
        configured = next((c for c in self._checks if c.name == check_name), None)
        target = AwsTarget(account, region)
        if configured is None or target not in self._services.aws.targets():
            return False
        await self._one_at_a_time(configured, [target], take_lease=False)
        return True

    async def _one_at_a_time(
        self, configured: ConfiguredCheck, targets: list[AwsTarget], *, take_lease: bool
    ) -> Observation | None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            async with self._running.setdefault(configured.name, asyncio.Lock()):
                return await self._run_check(configured, targets, take_lease=take_lease)
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
        self, configured: ConfiguredCheck, targets: list[AwsTarget], *, take_lease: bool
    ) -> Observation | None:
        services = self._services
        allowance = services.acks_first.run()  # acks first: the run waits out bursts of Slack requests
        try:
            return await self._run_steps(configured, targets, allowance, take_lease=take_lease)
        finally:
            release_free_memory()  # the run's findings went with its frame: give back what they held
            if allowance.waited:
                services.metrics.check_yield_seconds.labels(configured.name).inc(allowance.waited)

    async def _take_lease(self, configured: ConfiguredCheck) -> bool:
        now = self._services.clock()
        ttl = max(configured.every, timedelta(seconds=30))
        name = f"check:{configured.name}"
        return await self._services.db.run(
            lambda s: leases.try_acquire(s, name=name, holder=self._holder, now=now, ttl=ttl)
        )

    async def _run_steps(
        self, configured: ConfiguredCheck, targets: list[AwsTarget], allowance: RunAllowance, *, take_lease: bool
    ) -> Observation | None:
        services = self._services
        await allowance.turn()
        if take_lease and not await self._take_lease(configured):
            return None
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(self._run_target(configured, target, allowance) for target in targets))
        result = CheckResult.of([])
        failures: list[TargetFailure] = []
        for outcome in outcomes:
            if isinstance(outcome, TargetFailure):
                failures.append(outcome)
            else:
                result = result.merge(outcome)
        for failure in failures:
            log.warning("check %s failed for %s: %s", configured.name, failure.target, failure.error)
        problems = {(f.target.account, f.target.region): classify(f.error) for f in failures}
        error = "; ".join(f"{account}/{region}: {p.message}" for (account, region), p in problems.items()) or None
        every_target = set(targets) >= set(services.aws.targets())
        observed_at = services.clock()
        firing = sum(1 for f in result.findings if f.firing)
        regressed_after = services.settings.file.errors.regressed_after
        cycle_seconds = time.perf_counter() - started

        def observe_and_record(session: Session) -> Observation:
            health = record_run(
                session, name=configured.name, check_type=configured.type.name, now=observed_at, error=error,
                firing=firing, every_target=every_target, seconds=cycle_seconds,
            )  # fmt: skip
            save_cursors(session, result.cursors, now=observed_at)
            for source, summaries in result.error_groups.items():
                remember(session, source=source, summaries=summaries, now=observed_at, regressed_after=regressed_after)
            about_the_check = health_result(
                check=configured.name, targets=[(t.account, t.region) for t in targets], problems=problems,
                consecutive_failures=health.consecutive_failures,
            )  # fmt: skip
            observe(
                session,
                check=f"health:{configured.name}",
                result=about_the_check,
                routes=services.routes,
                now=observed_at,
                inhibit_rules=services.inhibit_rules,
            )
            return observe(
                session, check=configured.name, result=result, routes=services.routes, now=observed_at,
                charts=services.settings.file.charts.enabled, inhibit_rules=services.inhibit_rules,
            )  # fmt: skip

        await allowance.turn()
        observation = await services.db.run(observe_and_record)
        if self._not_yet_run:
            self._not_yet_run.discard(configured.name)
            if not self._not_yet_run:
                # The first run of every check built its boto3 clients: the heap is now what it will stay.
                freeze_heap("every check has run once")
        services.metrics.check_runs.labels(configured.name, "error" if failures else "ok").inc()
        services.metrics.check_seconds.labels(configured.name).observe(time.perf_counter() - started)
        if observation.incidents_touched:
            services.wake_notifier()
        return observation

    async def _run_target(
        self, configured: ConfiguredCheck, target: AwsTarget, allowance: RunAllowance
    ) -> CheckResult | TargetFailure:
        services = self._services
        try:
            await allowance.turn()
            cursors = await services.db.run(lambda s: load_cursors(s, account=target.account, region=target.region))
            return await run_check_target(
                configured, target, aws=services.aws, executor=services.executor, tags=self._tags,
                clock=services.clock, cursors=cursors, allowance=allowance,
                regressed_after=services.settings.file.errors.regressed_after,
                live_groups=self.live_groups(configured.name, target),
            )  # fmt: skip
        except Exception as exc:
            return TargetFailure(target, exc)

    async def run_streamed(self, configured: ConfiguredCheck, target: AwsTarget, run: CheckFunction) -> Observation:
        """Decide what a live source delivered for one target (`run` is the check's code for it) and record it as a
        run records its findings: cursors, error groups and incidents in one transaction. Runs of the same check
        wait for each other, so that a live tail and the schedule never move one cursor at once."""
        services = self._services
        allowance = services.acks_first.run()
        async with self._running.setdefault(configured.name, asyncio.Lock()):
            await allowance.turn()
            cursors = await services.db.run(lambda s: load_cursors(s, account=target.account, region=target.region))
            result = await run_check_target(
                configured, target, aws=services.aws, executor=services.executor, tags=self._tags,
                clock=services.clock, cursors=cursors, allowance=allowance,
                regressed_after=services.settings.file.errors.regressed_after, run=run,
            )  # fmt: skip
            observed_at = services.clock()
            regressed_after = services.settings.file.errors.regressed_after

            def record(session: Session) -> Observation:
                save_cursors(session, result.cursors, now=observed_at)
                for source, summaries in result.error_groups.items():
                    remember(
                        session, source=source, summaries=summaries, now=observed_at, regressed_after=regressed_after
                    )
                return observe(
                    session, check=configured.name, result=result, routes=services.routes, now=observed_at,
                    charts=services.settings.file.charts.enabled,
                )  # fmt: skip

            await allowance.turn()
            observation = await services.db.run(record)
        if observation.incidents_touched:
            services.wake_notifier()
        return observation

    async def send_reminders(self) -> int:
        services = self._services
        now = services.clock()
        sent = await services.db.run(lambda s: remind(s, routes=services.routes, now=now))
        if sent:
            services.wake_notifier()
        return sent
