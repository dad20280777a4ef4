"""scale --real: one `lambda_errors` cycle over 1,000 functions in moto across 4 fake accounts, embedded and on
`boltwatch worker` processes, with its wall time and its AWS calls by operation against the batch lower bound.

- moto runs in a process of its own that counts every request by account and operation (bench/moto_counting.py),
  so the embedded runner and the workers are counted alike, on the far side of the wire.
- The accounts are reached as the bot reaches them, by assuming a role in each (`aws.accounts[].role_arn`); moto
  keeps each account's functions apart. A few functions per account get failing metrics, so findings fire.
- Embedded: the check runner in this process, as `boltwatch run` runs it (`CheckRunner.run_check`: every target at
  once on the AWS pool), on SQLite in a temporary directory; two cycles, the first with cold caches.
- Distributed: W `boltwatch worker` processes on PostgreSQL (a schema of its own). The check's interval is a day,
  so no periodic tick comes during the bench; the bench defers the tick job itself, as the periodic deferrer does,
  and the tick fans out one job per target, spread over the interval's first half, 30 s at most (by design:
  scheduler/engines/distributed.py). A second cycle defers the target jobs all at once (a tick with no spread),
  which is the workers' own time for the cycle.
- Lower bound, per account and region: the ListFunctions pages (moto answers every function in one page) plus
  ceil(4 queries × functions / 500) GetMetricData calls. What a process reads once and keeps is shown apart (CACHED:
  STS AssumeRole for each account's credentials, the tag scan of each account and region), since W workers make
  it up to W times per account where one embedded process makes it once.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench import lambda_fleet
from bench.common import environment, free_port, postgres_schema, stop_processes, wait_healthy
from bot.aws.metrics import MAX_QUERIES_PER_CALL
from sandbox.aws.server import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, use_lambda_without_docker
from scheduler.checks.lambda_errors import METRICS

REGION = "us-east-1"
CHECK = "lambda_errors"
BROKEN_PER_ACCOUNT = 3
ROOT = Path(__file__).resolve().parent.parent
JOB_ENDED = re.compile(r"Job boltwatch\.check_target\[\d+\]\(([^)]*)\) ended with status: (\w+), lasted ([\d.]+) s")
ACCOUNT, TICK = re.compile(r"account='([^']+)'"), re.compile(r"tick=(\d+)")
CACHED = {
    "sts": "credentials: once per process and account, for their lifetime",
    "tagging": "tags: one scan per process, account and region, kept 5 min (bot/aws/tags.py)",
}
"""Services whose calls a process makes once and keeps: not a cycle's calls (shown apart)."""
Calls = Counter[tuple[str, str, str]]
"""Requests moto answered, by (account id, service, operation)."""


@dataclass
class Cycle:
    label: str
    seconds: float
    calls: Calls
    notes: list[str] = field(default_factory=list)

    def by_operation(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for (_account, service, operation), n in self.calls.items():
            counts[f"{service}:{operation}"] += n
        return counts

    def cycle_calls(self) -> int:
        """Calls of the cycle itself: everything but what a process reads once and keeps (CACHED)."""
        return sum(n for (_a, service, _op), n in self.calls.items() if service not in CACHED)


@dataclass(frozen=True)
class Estate:
    accounts: list[str]
    functions_per_account: int

    @property
    def bound_by_operation(self) -> dict[str, int]:
        metric_calls = math.ceil(len(METRICS) * self.functions_per_account / MAX_QUERIES_PER_CALL)
        return {
            "lambda:ListFunctions": len(self.accounts),
            "monitoring:GetMetricData": metric_calls * len(self.accounts),
        }

    @property
    def bound(self) -> int:
        return sum(self.bound_by_operation.values())

    def config(self, engine: str) -> dict[str, Any]:
        accounts = [
            {"name": f"acct{i}", "id": account, "role_arn": lambda_fleet.read_role(account)}
            for i, account in enumerate(self.accounts, 1)
        ]
        return {
            "slack": {"channel": "#alerts"},
            "aws": {"regions": [REGION], "accounts": accounts},
            # A day: no periodic tick comes while the bench runs; the bench defers its ticks itself.
            "checks": [{"type": CHECK, "every": "1d"}],
            "scheduler": {"engine": engine},
        }


class CountingMoto:
    """bench/moto_counting.py in a child process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.moto_counting"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
        )
        assert self.process.stdout is not None
        self.endpoint: str = json.loads(self.process.stdout.readline())["endpoint"]

    def calls(self, *, reset: bool = False) -> Calls:
        request = urllib.request.Request(f"{self.endpoint}/bench/calls", method="POST" if reset else "GET")
        with urllib.request.urlopen(request, timeout=30) as response:
            rows = json.loads(response.read())
        return Counter({(account, service, operation): n for account, service, operation, n in rows})

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_real(base_url: str, *, functions: int, accounts: int, workers: int) -> int:
    estate = Estate([f"{111111111111 * i:012}" for i in range(1, accounts + 1)], functions // accounts)
    load = os.getloadavg()
    print(
        f"scale --real: one {CHECK} cycle over {estate.functions_per_account * accounts} functions in moto across"
        f" {accounts} accounts ({estate.functions_per_account} each, {BROKEN_PER_ACCOUNT} failing), region {REGION};"
        f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    moto = CountingMoto()
    try:
        aws_env = {
            "AWS_ENDPOINT_URL": moto.endpoint,
            "AWS_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SANDBOX_SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
        }
        with environment(aws_env):
            created = create_estate(moto.endpoint, estate)
            print(f"  estate created in {created:.1f} s")
            cycles = embedded_cycles(moto, estate)
            with postgres_schema(base_url, "bw_scale_real") as url, tempfile.TemporaryDirectory() as tmp:
                cycles += distributed_cycles(moto, estate, url, Path(tmp), workers, aws_env)
    finally:
        moto.stop()
    return report(estate, cycles)


def create_estate(endpoint: str, estate: Estate) -> float:
    started = time.perf_counter()
    use_lambda_without_docker(endpoint)
    with ThreadPoolExecutor(len(estate.accounts)) as pool:
        list(
            pool.map(
                lambda account: lambda_fleet.create_functions(
                    lambda_fleet.account_client(endpoint, account, REGION),
                    estate.functions_per_account,
                    BROKEN_PER_ACCOUNT,
                    threads=4,
                ),
                estate.accounts,
            )
        )
    return time.perf_counter() - started


def embedded_cycles(moto: CountingMoto, estate: Estate) -> list[Cycle]:
    """Two `run_check`s of the embedded engine in this process, on SQLite: with cold caches, then warm."""
    from bot.assembly import build_services
    from bot.config import settings_from_mapping
    from bot.store import upgrade
    from scheduler.runner import CheckRunner

    with tempfile.TemporaryDirectory() as tmp:
        env = slack_env() | {"BOLTWATCH_DATABASE_URL": f"sqlite:///{tmp}/boltwatch.db"}
        settings = settings_from_mapping(estate.config("apscheduler"), env)
        services, checks = build_services(settings)
        upgrade(services.db.engine)
        runner = CheckRunner(services, checks, freeze=False)
        cycles = []
        for label in ("first", "second"):
            moto.calls(reset=True)
            started = time.perf_counter()
            runs = asyncio.run(runner.run_check(checks[0])) or []
            seconds = time.perf_counter() - started
            failed = [f"{run.target.account}: {run.error}" for run in runs if run.error is not None]
            notes = [f"{len(runs)} targets run at once on the AWS pool; failed: {', '.join(failed) or 'none'}"]
            title = f"embedded (CheckRunner in-process, SQLite), its {label} cycle"
            cycles.append(Cycle(title, seconds, moto.calls(), notes))
        services.executor.shutdown()
        services.db.close()
    return cycles


def slack_env() -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench"}


def distributed_cycles(
    moto: CountingMoto, estate: Estate, url: str, tmp: Path, workers: int, aws_env: dict[str, str]
) -> list[Cycle]:
    config = tmp / "boltwatch.yml"
    config.write_text(yaml.safe_dump(estate.config("procrastinate")))
    env = os.environ | aws_env | slack_env() | {"BOLTWATCH_DATABASE_URL": url}
    with running_workers(config, env, workers, tmp) as logs:
        spread = distributed_cycle(moto, estate, url, logs, spread=True)
        spread.label = f"distributed ({workers} workers, PostgreSQL), the tick's jobs spread as the engine does"
        together = distributed_cycle(moto, estate, url, logs, spread=False)
        together.label = f"distributed ({workers} workers, PostgreSQL), the target jobs deferred at once"
    return [spread, together]


@contextmanager
def running_workers(config: Path, env: dict[str, str], count: int, tmp: Path) -> Iterator[list[Path]]:
    processes, logs, ports = [], [], []
    for i in range(count):
        log, port = tmp / f"worker-{i}.log", free_port()
        with log.open("wb") as out:
            command = [sys.executable, "-m", "bot.cli", "worker", "--config", str(config), "--port", str(port)]
            command += ["--concurrency", "10", "--log-level", "INFO"]
            processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=out, cwd=ROOT))
        logs.append(log)
        ports.append(port)
    try:
        for port in ports:
            wait_healthy(port)
        yield logs
    finally:
        stop_processes(processes)


def distributed_cycle(moto: CountingMoto, estate: Estate, url: str, logs: list[Path], *, spread: bool) -> Cycle:
    """Defer one tick (or its target jobs at once) and wait until every target recorded it."""
    time.sleep(1.1)  # a tick of its own: ticks are whole seconds, and a target records each tick once
    tick = int(time.time())
    moto.calls(reset=True)
    started = time.perf_counter()
    asyncio.run(defer(url, estate, tick, spread=spread))
    wait_recorded(url, len(estate.accounts), tick)
    seconds = time.perf_counter() - started
    calls = moto.calls()
    time.sleep(0.5)  # the workers log a job's end just after its transaction
    ended = []
    for log in logs:
        for kwargs, status, took in JOB_ENDED.findall(log.read_text()):
            account, job_tick = ACCOUNT.search(kwargs), TICK.search(kwargs)
            if account and job_tick and int(job_tick.group(1)) == tick:
                ended.append(f"{account.group(1)} {float(took):.1f} s ({status})")
    lasted = ", ".join(sorted(ended))
    return Cycle("", seconds, calls, [f"target jobs: {lasted or 'none logged'}"])


async def defer(url: str, estate: Estate, tick: int, *, spread: bool) -> None:
    from procrastinate import App, PsycopgConnector

    from bot.aws.sessions import AwsTarget
    from scheduler.engines.distributed import QUEUE, conninfo, target_key

    app = App(connector=PsycopgConnector(conninfo=conninfo(url)))
    async with app.open_async():
        if spread:
            await app.configure_task("boltwatch.check_tick", queue=QUEUE).defer_async(timestamp=tick, check=CHECK)
            return
        for i in range(1, len(estate.accounts) + 1):
            key = target_key(CHECK, AwsTarget(f"acct{i}", REGION))
            job = app.configure_task("boltwatch.check_target", queue=QUEUE, lock=key, queueing_lock=key)
            await job.defer_async(check=CHECK, account=f"acct{i}", region=REGION, tick=tick)


def wait_recorded(url: str, targets: int, tick: int, seconds: float = 300) -> None:
    from sqlalchemy.orm import Session

    from bot.core.check_targets import recorded_targets
    from bot.store import make_engine

    engine = make_engine(url)
    at = datetime.fromtimestamp(tick, UTC)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                if len(recorded_targets(session, check=CHECK, tick=at)) >= targets:
                    return
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise RuntimeError(f"the tick {tick} was not recorded by every target within {seconds:.0f} s")


def report(estate: Estate, cycles: list[Cycle]) -> int:
    bound = estate.bound_by_operation
    operations = sorted(set(bound) | {op for c in cycles for op in c.by_operation()})
    ok = True
    for number, cycle in enumerate(cycles, 1):
        met = cycle.cycle_calls() == estate.bound
        ok &= met
        print(f"\n({number}) {cycle.label}: a full cycle in {cycle.seconds:.1f} s")
        for note in cycle.notes:
            print(f"    {note}")
        counts = cycle.by_operation()
        for operation in operations:
            setup = "   (cached per process)" if operation.split(":", 1)[0] in CACHED else ""
            limit = f"   bound {bound[operation]}" if operation in bound else ""
            print(f"    {operation:<28} {counts.get(operation, 0):>4}{limit}{setup}")
        verdict = "PASS" if met else "FAIL"
        print(f"    {'calls of the cycle':<28} {cycle.cycle_calls():>4}   lower bound {estate.bound}   {verdict}")
    print("\ncached per process, not a cycle's calls: " + "; ".join(CACHED.values()))
    print("wall time of a full cycle: " + ", ".join(f"({n}) {c.seconds:.1f} s" for n, c in enumerate(cycles, 1)))
    load = os.getloadavg()
    print(f"load average after the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"target (every cycle's calls == the lower bound) {'met' if ok else 'MISSED'}")
    return 0 if ok else 1
