"""`boltwatch worker` processes on PostgreSQL sharing slow targets: exactly one completion per (target, tick); a
worker killed with SIGKILL has its running jobs run again elsewhere within one interval of the kill; SIGTERM
finishes or puts back a worker's jobs within 10 s.

The targets are `sleepy_targets` (sandbox/sleepy_check.py): each sleeps 0.2–9 s and calls no AWS. What ran is
read from the workers' own logs (Procrastinate logs every job's start and end, with its id and arguments)."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlalchemy import create_engine, select, text

from bot.store.models import CheckTarget
from sandbox.sleepy_check import SLEEPY
from tests.conftest import PG_URL, postgres_schema
from tests.e2e.test_process import free_port
from tests.harness import SIGNING_SECRET, migrate

pytestmark = pytest.mark.skipif(not PG_URL, reason="workers share a PostgreSQL queue (BOLTWATCH_TEST_DATABASE_URL)")

JOB = re.compile(
    r"(?P<what>Starting job|Job) boltwatch\.check_target\[(?P<id>\d+)\]\((?P<kwargs>[^)]*)\)"
    r"(?: ended with status: (?P<status>.+?), lasted)?"
)
KWARG = re.compile(r"(\w+)=(?:'([^']*)'|(\d+))")  # in jsonb's order, which is not the call's
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
STOP_SECONDS = 10


@pytest.fixture
def database_url() -> Iterator[str]:
    assert PG_URL is not None
    yield from postgres_schema(PG_URL)


def worker_config(*, accounts: int, every: str, min_seconds: float, max_seconds: float) -> dict[str, Any]:
    return {
        "slack": {"channel": "#alerts"},
        "aws": {
            "regions": REGIONS,
            # Ids given: no STS call, the targets touch no AWS at all.
            "accounts": [{"name": f"a{i:02}", "id": f"{i:012}"} for i in range(1, accounts + 1)],
        },
        "checks": [{"type": SLEEPY, "every": every, "min_seconds": min_seconds, "max_seconds": max_seconds}],
        "scheduler": {"engine": "procrastinate"},
        "charts": {"enabled": False},
    }


@dataclass(frozen=True)
class JobLine:
    job_id: int
    target: tuple[str, str]
    tick: int
    status: str | None  # None: it started


class Worker:
    """One `boltwatch worker` process, its log in a file (a pipe could fill and block it)."""

    def __init__(self, tmp_path: Path, index: int, config: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.log = tmp_path / f"worker-{index}.log"
        self.config, self.env = config, env
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "sandbox.sleepy_check", "worker", "--config", str(self.config),
                "--port", str(self.port), "--concurrency", "10", env=self.env, stdout=out, stderr=out,
            )  # fmt: skip

    async def healthy(self) -> None:
        started = time.monotonic()
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.process is not None and self.process.returncode is None, self.log.read_text()
                assert time.monotonic() - started < 60, "the worker never became healthy"  # a loaded machine: imports
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)

    def jobs(self) -> list[JobLine]:
        lines = []
        for match in JOB.finditer(self.log.read_text()):
            status = match["status"] if match["what"] == "Job" else None
            kwargs = {key: text or number for key, text, number in KWARG.findall(match["kwargs"])}
            lines.append(JobLine(int(match["id"]), (kwargs["account"], kwargs["region"]), int(kwargs["tick"]), status))
        return lines

    def in_flight(self) -> set[int]:
        """Jobs it started and never ended."""
        jobs = self.jobs()
        return {j.job_id for j in jobs if j.status is None} - {j.job_id for j in jobs if j.status is not None}

    async def stop(self, signum: signal.Signals) -> float:
        """Send `signum` and wait for the exit; the seconds it took."""
        assert self.process is not None
        self.process.send_signal(signum)
        began = time.monotonic()
        try:
            await asyncio.wait_for(self.process.wait(), STOP_SECONDS + 5)
        except TimeoutError:
            self.process.kill()
            raise AssertionError(f"still running {STOP_SECONDS + 5} s after {signum.name}") from None
        return time.monotonic() - began


@asynccontextmanager
async def workers(tmp_path: Path, database_url: str, count: int, config: dict[str, Any]) -> AsyncIterator[list[Worker]]:
    """`count` workers on one database (migrated first, as `boltwatch db upgrade` does), all healthy."""
    await asyncio.to_thread(migrate, database_url)
    config_file = tmp_path / "boltwatch.yml"
    config_file.write_text(yaml.safe_dump(config))
    env = os.environ | {
        "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING_SECRET, "BOLTWATCH_DATABASE_URL": database_url,
    }  # fmt: skip
    started = [Worker(tmp_path, i, config_file, env) for i in range(count)]
    try:
        for worker in started:
            await worker.start()
        await asyncio.gather(*(w.healthy() for w in started))
        yield started
    finally:
        for worker in started:
            if worker.process is not None and worker.process.returncode is None:
                worker.process.kill()
                await worker.process.wait()


def successes(all_workers: list[Worker]) -> Counter[tuple[tuple[str, str], int]]:
    return Counter((j.target, j.tick) for w in all_workers for j in w.jobs() if j.status == "Success")


def targets_of(config: dict[str, Any]) -> set[tuple[str, str]]:
    return {(a["name"], r) for a in config["aws"]["accounts"] for r in config["aws"]["regions"]}


async def wait_until(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.2)


def recorded_ticks(database_url: str) -> dict[tuple[str, str], int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(CheckTarget.account, CheckTarget.region, CheckTarget.tick)).all()
    finally:
        engine.dispose()
    return {(a, r): int(t.timestamp()) for a, r, t in rows if t is not None}


def jobs_by_status(database_url: str) -> Counter[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1")).all()
    finally:
        engine.dispose()
    return Counter({status: n for status, n in rows})


@pytest.mark.parametrize(
    ("accounts", "every", "seconds", "least_finished"),
    [
        (10, 10, 22, 2),  # 50 targets of 0.2–2 s each tick, over 3 workers × 10
        (100, 30, 62, 1),  # the scale: 500 targets (~550 s of work a tick for 30 slots), for a minute
    ],
    ids=["50-targets", "500-targets"],
)
async def test_three_workers_complete_every_target_once_per_tick(
    tmp_path: Path, database_url: str, accounts: int, every: int, seconds: float, least_finished: int
) -> None:
    """No (target, tick) completes twice, no tick is skipped, and every tick that had its whole interval before the
    stop completed every target."""
    config = worker_config(accounts=accounts, every=f"{every}s", min_seconds=0.2, max_seconds=2.0)
    targets = targets_of(config)
    async with workers(tmp_path, database_url, 3, config) as running:
        began = time.time()
        await asyncio.sleep(seconds)
        stopped_at = time.time()
        for stop_seconds in await asyncio.gather(*(w.stop(signal.SIGTERM) for w in running)):
            assert stop_seconds < STOP_SECONDS
    done = successes(running)
    assert done and max(done.values()) == 1, [k for k, n in done.items() if n > 1]
    ticks = sorted({tick for _target, tick in done})
    assert all(b - a == every for a, b in itertools.pairwise(ticks)), f"a tick was skipped: {ticks}"
    finished = [t for t in ticks if t + every <= stopped_at and t >= began - every]
    assert len(finished) >= least_finished, ticks
    for tick in finished:
        missing = targets - {target for target, t in done if t == tick}
        assert not missing, f"tick {tick}: {len(missing)} of {len(targets)} targets never completed"
    assert not [j for w in running for j in w.jobs() if j.status not in (None, "Success")]


async def test_a_killed_workers_jobs_run_again_elsewhere_within_one_interval(tmp_path: Path, database_url: str) -> None:
    config = worker_config(accounts=6, every="30s", min_seconds=1.0, max_seconds=3.0)
    targets = targets_of(config)  # 30 targets of 1–3 s
    async with workers(tmp_path, database_url, 3, config) as running:
        victim, survivors = running[0], running[1:]

        async def victim_busy() -> bool:
            return len(victim.in_flight()) >= 2

        await wait_until(victim_busy, 30, "the first worker never ran two jobs at once")
        [tick] = {j.tick for j in victim.jobs()}
        await victim.stop(signal.SIGKILL)
        killed_in_flight = victim.in_flight()
        killed_runs = {(j.target, j.tick) for j in victim.jobs() if j.job_id in killed_in_flight}

        async def killed_ran_again() -> bool:
            again = {(j.target, j.tick) for w in survivors for j in w.jobs() if j.status == "Success"}
            return all(any(t >= k_tick for t_, t in again if t_ == k_target) for k_target, k_tick in killed_runs)

        async def tick_done() -> bool:
            ticks = await asyncio.to_thread(recorded_ticks, database_url)
            return all(ticks.get(target, 0) >= tick for target in targets)

        await wait_until(killed_ran_again, 30, "the killed worker's jobs did not run again within one interval")
        # The rest of the tick's 30 jobs of 1–3 s share two workers; on a loaded machine that can take past 30 s.
        await wait_until(tick_done, 60, "the tick did not complete within two intervals of the kill")
        for worker in survivors:
            await worker.stop(signal.SIGTERM)

    # Every target ran this tick, or a later one that superseded it...
    done = successes(running)
    assert all(any(t >= tick for target_, t in done if target_ == target) for target in targets)
    # ...and each job the killed worker had running ran again on another worker.
    assert killed_runs and await killed_ran_again()


async def test_sigterm_finishes_or_puts_back_a_workers_jobs_within_ten_seconds(
    tmp_path: Path, database_url: str
) -> None:
    config = worker_config(accounts=2, every="30s", min_seconds=7.0, max_seconds=9.0)
    async with workers(tmp_path, database_url, 1, config) as [worker]:

        async def busy() -> bool:
            return len(worker.in_flight()) >= 3

        await wait_until(busy, 30, "the worker never ran three jobs at once")
        in_flight = worker.in_flight()
        seconds = await worker.stop(signal.SIGTERM)
    assert seconds < STOP_SECONDS
    assert worker.process is not None and worker.process.returncode == 0, worker.log.read_text()[-3000:]
    ended = {j.job_id: j.status for j in worker.jobs() if j.status is not None}
    finished = {job for job in in_flight if ended.get(job) == "Success"}
    put_back = {job for job in in_flight if ended.get(job) == "Aborted, to retry"}
    assert finished | put_back == in_flight and put_back, ended  # the last started, 7–9 s long, outlasts the 6 s grace
    statuses = await asyncio.to_thread(jobs_by_status, database_url)
    assert statuses["doing"] == 0 and statuses["todo"] >= len(put_back)
