"""Runs checks on their schedule: lease → every account × region on the worker pool → incidents → outbox."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session

from bot.aws.errors import classify
from bot.aws.sessions import AwsTarget
from bot.aws.tags import TagCache
from bot.core import leases
from bot.core.check_health import health_result, record_run
from bot.core.findings import CheckResult, Finding
from bot.core.incidents import Observation, observe, remind
from bot.core.log_cursors import load_cursors, save_cursors
from bot.runtime.acks_first import RunAllowance
from bot.runtime.heap import freeze_heap
from bot.services import Services
from scheduler.registry import CheckContext, ConfiguredCheck

log = logging.getLogger(__name__)
MAX_JITTER_SECONDS = 5.0


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

    @property
    def checks(self) -> list[ConfiguredCheck]:
        return list(self._checks)

    async def run_all_now(self) -> None:
        """Run every configured check once, now (the sandbox and `check --once` use this)."""
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
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            async with self._running.setdefault(configured.name, asyncio.Lock()):
                return await self._run_check(configured)
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

    async def _run_check(self, configured: ConfiguredCheck) -> Observation | None:
        services = self._services
        allowance = services.acks_first.run()  # acks first: the run waits out bursts of Slack requests
        try:
            return await self._run_steps(configured, allowance)
        finally:
            if allowance.waited:
                services.metrics.check_yield_seconds.labels(configured.name).inc(allowance.waited)

    async def _run_steps(self, configured: ConfiguredCheck, allowance: RunAllowance) -> Observation | None:
        services = self._services
        await allowance.turn()
        now = services.clock()
        lease_ttl = max(configured.every, timedelta(seconds=30))
        name = f"check:{configured.name}"
        acquired = await services.db.run(
            lambda s: leases.try_acquire(s, name=name, holder=self._holder, now=now, ttl=lease_ttl)
        )
        if not acquired:
            return None
        started = time.perf_counter()
        outcomes = await asyncio.gather(
            *(self._run_target(configured, target, allowance) for target in services.aws.targets()),
            return_exceptions=False,
        )
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
        targets = [(t.account, t.region) for t in services.aws.targets()]
        observed_at = services.clock()
        firing = sum(1 for f in result.findings if f.firing)

        def observe_and_record(session: Session) -> Observation:
            health = record_run(
                session, name=configured.name, check_type=configured.type.name, now=observed_at, error=error,
                firing=firing,
            )  # fmt: skip
            save_cursors(session, result.cursors, now=observed_at)
            about_the_check = health_result(
                check=configured.name, targets=targets, problems=problems,
                consecutive_failures=health.consecutive_failures,
            )  # fmt: skip
            observe(
                session,
                check=f"health:{configured.name}",
                result=about_the_check,
                routes=services.routes,
                now=observed_at,
            )
            return observe(session, check=configured.name, result=result, routes=services.routes, now=observed_at)

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
            account_id = await services.executor.run(allowance.in_thread(services.aws.account_id), target.account)
            await allowance.turn()
            cursors = await services.db.run(lambda s: load_cursors(s, account=target.account, region=target.region))
            ctx = CheckContext(
                cursors=cursors,
                account=target.account,
                account_id=account_id,
                region=target.region,
                now=services.clock(),
                client_for=lambda service: services.aws.client(service, account=target.account, region=target.region),
            )
            timeout = max(configured.every.total_seconds() * 2, 30)
            check = allowance.in_thread(configured.type.run)
            result = await asyncio.wait_for(services.executor.run(check, ctx, configured.params), timeout)
            result = with_account_name(result, target.account)
            if any(f.tag_arns for f in result.findings):
                result = await self._with_tags(result, target, allowance)
            return result
        except Exception as exc:
            return TargetFailure(target, exc)

    async def _with_tags(self, result: CheckResult, target: AwsTarget, allowance: RunAllowance) -> CheckResult:
        """Add each finding's resource tags as labels (never replacing a label the check set); a tagging failure
        only costs the tags."""
        services = self._services
        client = services.aws.client("resourcegroupstaggingapi", account=target.account, region=target.region)
        try:
            tags = await services.executor.run(
                allowance.in_thread(self._tags.tags), target.account, target.region, client
            )
        except Exception as exc:
            log.warning("could not read tags in %s/%s: %s", target.account, target.region, classify(exc).message)
            return result
        return replace(result, findings=[with_tags(f, tags) for f in result.findings])

    async def send_reminders(self) -> int:
        services = self._services
        now = services.clock()
        sent = await services.db.run(lambda s: remind(s, routes=services.routes, now=now))
        if sent:
            services.wake_notifier()
        return sent


def with_account_name(result: CheckResult, account: str) -> CheckResult:
    """Label every finding with the configured name of its account, which commands and buttons take."""
    findings = [replace(f, labels={**f.labels, "account_name": account}) for f in result.findings]
    return replace(result, findings=findings)


def with_tags(finding: Finding, tags: dict[str, dict[str, str]]) -> Finding:
    found = next((tags[arn] for arn in finding.tag_arns if tags.get(arn)), {})
    if not found:
        return finding
    return replace(finding, labels={**found, **finding.labels})
