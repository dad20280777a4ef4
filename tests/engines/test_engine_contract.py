"""The contract both engines keep (embedded APScheduler, distributed Procrastinate): in one interval every check
type Boltwatch ships runs once over every target, a failing target does not stop the others, and what they find is
the same.

The Procrastinate runs need PostgreSQL (BOLTWATCH_TEST_DATABASE_URL); they run a real worker in the test's loop, its
periodic ticks firing on the wall clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.store.models import Alert, CheckHealth, CheckTarget
from sandbox.aws.server import MotoHandle, sandbox_client
from scheduler.engines.distributed import DistributedChecks, ensure_queue_schema  # imported here, not in a test's loop
from scheduler.registry import REGISTRY
from tests.conftest import PG_URL, postgres_schema
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import RunningBot, base_config, running_bot

PARAMS: dict[str, dict[str, Any]] = {
    "best_practices": {},
    "cloudwatch_alarms": {},
    "ec2_status": {},
    "ecs_services": {},
    "lambda_errors": {},
    "log_errors": {"log_groups": ["/aws/lambda/*"]},
    "metric_threshold": {
        "metrics": [
            {
                "name": "orders-backlog",
                "namespace": "AWS/SQS",
                "metric": "ApproximateNumberOfMessagesVisible",
                "dimensions": {"QueueName": "orders"},
                "statistic": "Maximum",
                "comparison": ">",
                "threshold": 100,
            }
        ],
    },
    "s3_arrival": {"bucket": "exports-bucket", "key": "daily/%Y-%m-%d.csv", "deadline": "00:00"},
    "sqs_dead_letters": {},
}
"""Every check type there is, each with the params it needs."""
CHECKS = list(PARAMS)
ACCOUNTS = [{"name": "default"}, {"name": "broken", "profile": "no-such-profile"}]
REGIONS = ["us-east-1", "eu-west-1"]
TARGETS = {(a["name"], r) for a in ACCOUNTS for r in REGIONS}
ENGINES = ["apscheduler", "procrastinate"]
INTERVAL = timedelta(seconds=10)


def contract_config(engine: str) -> dict[str, Any]:
    return base_config(
        aws={"regions": REGIONS, "max_attempts": 1, "accounts": ACCOUNTS},
        checks=[{"type": name, "every": "10s", **params} for name, params in PARAMS.items()],
        scheduler={"engine": engine},
    )


@dataclass(frozen=True)
class Interval:
    """What one interval of checks left in the database."""

    targets: dict[str, list[tuple[str, str, Any, str | None]]]
    """By check: (account, region, when it ran, its error)."""
    alerts: list[tuple[str, str, str]]
    health: dict[str, tuple[int, str | None]]


@pytest.fixture
def engine_database(request: pytest.FixtureRequest, database_url: str) -> Iterator[tuple[str, str]]:
    engine: str = request.param
    if engine == "procrastinate" and not database_url.startswith("postgresql"):
        pytest.skip("Procrastinate keeps its queue in PostgreSQL")
    yield engine, database_url


async def one_interval(engine: str, moto: MotoHandle, database_url: str) -> Interval:
    """Start the bot with `engine`, let every check run over every target once, and read what it recorded."""
    async with running_bot(moto=moto, database_url=database_url, config=contract_config(engine)) as bot:
        if engine == "apscheduler":
            await bot.run_checks()
        else:
            await run_worker_until_every_target_ran(bot)
        return await recorded(bot)


async def run_worker_until_every_target_ran(bot: RunningBot, seconds: float = 30) -> None:
    """A Procrastinate worker in this loop: its periodic tasks defer each check's tick, then one job per target."""
    services = bot.app.services
    distributed = DistributedChecks(services, bot.app.runner.checks)
    await asyncio.to_thread(ensure_queue_schema, services.db.engine)
    async with distributed.app.open_async():
        worker = asyncio.create_task(distributed.run_worker(concurrency=4, name="contract"))
        try:
            deadline = asyncio.get_running_loop().time() + seconds
            while await services.db.run(lambda s: len(s.scalars(select(CheckTarget)).all())) < len(CHECKS) * len(
                TARGETS
            ):
                assert asyncio.get_running_loop().time() < deadline, "not every target ran within the interval"
                await asyncio.sleep(0.2)
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)


def _failing(health: dict[str, tuple[int, str | None]]) -> dict[str, tuple[bool, str | None]]:
    return {name: (failures > 0, error) for name, (failures, error) in health.items()}


async def recorded(bot: RunningBot) -> Interval:
    def read(session: Any) -> Interval:
        targets: dict[str, list[tuple[str, str, Any, str | None]]] = {}
        for row in session.scalars(select(CheckTarget).order_by(CheckTarget.account, CheckTarget.region)):
            targets.setdefault(row.check_name, []).append((row.account, row.region, row.ran_at, row.last_error))
        alerts = sorted(
            (a.check_name, a.fingerprint, a.status) for a in session.scalars(select(Alert)) if a.check_name in CHECKS
        )
        health = {h.name: (h.consecutive_failures, h.last_error) for h in session.scalars(select(CheckHealth))}
        return Interval(targets, alerts, health)

    return await bot.app.services.db.run(read)


async def seed_alarm(moto: MotoHandle) -> None:
    def seed() -> None:
        put_alarm(moto, "orders-api-errors")
        set_state(moto, "orders-api-errors", "ALARM")
        sandbox_client(moto.endpoint, "s3").create_bucket(Bucket=PARAMS["s3_arrival"]["bucket"])

    await asyncio.to_thread(seed)


def test_the_contract_covers_every_check_type_boltwatch_ships() -> None:
    shipped = {name for name, kind in REGISTRY.items() if kind.run.__module__.startswith("scheduler.checks.")}
    assert shipped == set(PARAMS)


@pytest.mark.parametrize("engine_database", ENGINES, indirect=True)
async def test_every_check_runs_once_per_target_and_a_failing_target_does_not_stop_the_others(
    moto: MotoHandle, engine_database: tuple[str, str]
) -> None:
    engine, database_url = engine_database
    await seed_alarm(moto)
    interval = await one_interval(engine, moto, database_url)

    for check in CHECKS:
        rows = interval.targets[check]
        assert {(account, region) for account, region, _tick, _error in rows} == TARGETS, check
        ticks = [tick for _a, _r, tick, _e in rows]
        assert max(ticks) - min(ticks) <= INTERVAL, f"{check}: its targets did not all run in one interval: {rows}"
        failing = {(account, region) for account, region, _tick, error in rows if error}
        assert failing == {("broken", r) for r in REGIONS}, check
        failures, error = interval.health[check]
        # One failure a tick: a worker on a loaded machine may start a second 10 s tick before every target of the
        # first has a row, so the count is not always 1; what holds is that the broken account is what failed.
        assert failures >= 1 and error is not None and "broken/us-east-1" in error and "default/" not in error
    # The working account's targets still found the alarm.
    assert ("cloudwatch_alarms", "firing") in {(check, status) for check, _f, status in interval.alerts}


@pytest.mark.skipif(not PG_URL, reason="Procrastinate keeps its queue in PostgreSQL (BOLTWATCH_TEST_DATABASE_URL)")
async def test_both_engines_record_the_same_findings(moto: MotoHandle) -> None:
    assert PG_URL is not None
    await seed_alarm(moto)
    intervals = {}
    for engine in ENGINES:
        schema = postgres_schema(PG_URL)
        database_url = await asyncio.to_thread(next, schema)
        try:
            intervals[engine] = await one_interval(engine, moto, database_url)
        finally:
            await asyncio.to_thread(next, schema, None)  # drops the schema
    embedded, distributed = intervals["apscheduler"], intervals["procrastinate"]
    assert embedded.alerts == distributed.alerts and embedded.alerts
    # How many ticks a check had is the wall clock's: Procrastinate's periodic tasks fire every 10 s, and a slow run
    # fits a second tick in (a broken target then has 2 failures in a row, not 1). The same checks failing with the
    # same error is the contract.
    assert _failing(embedded.health) == _failing(distributed.health)
    errors = {
        e: {c: [(a, r, err) for a, r, _t, err in rows] for c, rows in i.targets.items()} for e, i in intervals.items()
    }
    assert errors["apscheduler"] == errors["procrastinate"]
