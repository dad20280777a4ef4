"""The incident engine at scale: one check run of N findings through `incidents.observe`, new, unchanged, resolved.

Each run starts from an empty, migrated database (SQLite in a temporary directory; PostgreSQL in a schema of its own
at `--postgres`, default `$BOLTWATCH_TEST_DATABASE_URL`), then times four check runs in a transaction each: N new
firing findings (10 to an incident, or all in one incident with `single group`), the same N again a minute later
(unchanged), the same N once their stored `last_seen` is LAST_SEEN_STEP old (`refresh`: unchanged, but every
`last_seen` is rewritten, which a run does once per step, not every run), and a run that reports none of them (every
alert resolves). Targets: 10,000 unchanged ≤ 0.5 s and 10,000 new ≤ 3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from bot.core.alert_states import LAST_SEEN_STEP
from bot.core.findings import CheckResult, Finding
from bot.core.incidents import observe
from bot.core.routing import Route, RouteSettings, build_routes
from bot.store import Database, make_engine, upgrade

CHECK = "lambda_errors"
SCOPE = f"{CHECK}:"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PER_INCIDENT = 10
PHASES = ("new", "unchanged", "refresh", "resolve")
TARGETS = {("new", 10_000): 3.0, ("unchanged", 10_000): 0.5}
"""Seconds a run of that many findings may take at most (the median of the runs, on either database)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="1000,10000,50000", help="finding counts, comma-separated")
    parser.add_argument("--single-group-sizes", default=None, help="counts for the one-incident runs (default --sizes)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("BOLTWATCH_TEST_DATABASE_URL"))


def run(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",") if s]
    single = [int(s) for s in (args.single_group_sizes or args.sizes).split(",") if s]
    backends = [b for b in args.backends.split(",") if b and (b != "postgresql" or args.postgres)]
    print(f"{'backend':<11}{'shape':<14}{'findings':>9}  " + "  ".join(f"{p + ' s (runs)':>28}" for p in PHASES))
    missed = []
    for backend in backends:
        for shape, counts in (("10/incident", sizes), ("single group", single)):
            for count in counts:
                timings = {phase: [] for phase in PHASES}  # type: dict[str, list[float]]
                for _ in range(args.runs):
                    with _database(backend, args.postgres) as db:
                        for phase, seconds in _one_run(db, count, shape == "single group"):
                            timings[phase].append(seconds)
                cells = "  ".join(f"{_cell(timings[p]):>28}" for p in PHASES)
                print(f"{backend:<11}{shape:<14}{count:>9}  {cells}", flush=True)
                for phase in PHASES:
                    limit = TARGETS.get((phase, count))
                    if limit is not None and shape == "10/incident" and statistics.median(timings[phase]) > limit:
                        missed.append(
                            f"{backend} {count} {phase}: {statistics.median(timings[phase]):.2f} s > {limit} s"
                        )
    for line in missed:
        print(f"target missed: {line}")
    return 1 if missed else 0


def _cell(values: list[float]) -> str:
    runs = "/".join(f"{v:.2f}" for v in values)
    return f"{statistics.median(values):.3f} ({runs})"


def _one_run(db: Database, count: int, single_group: bool) -> Iterator[tuple[str, float]]:
    routes = _routes()
    firing = [_finding(i, single_group) for i in range(count)]
    runs = (
        ("new", CheckResult.of(firing, scope=SCOPE), timedelta(0)),
        ("unchanged", CheckResult.of(firing, scope=SCOPE), timedelta(minutes=1)),
        ("refresh", CheckResult.of(firing, scope=SCOPE), LAST_SEEN_STEP),
        ("resolve", CheckResult.of([], scope=SCOPE), LAST_SEEN_STEP + timedelta(minutes=1)),
    )
    for phase, result, later in runs:
        started = time.perf_counter()
        with db.transaction() as session:
            observe(session, check=CHECK, result=result, routes=routes, now=NOW + later)
        yield phase, time.perf_counter() - started


def _routes() -> list[Route]:
    return build_routes([RouteSettings(group_by=["check", "account", "service"])], "#alerts")


def _finding(i: int, single_group: bool) -> Finding:
    service = "all" if single_group else f"service-{i // PER_INCIDENT}"
    return Finding(
        fingerprint=f"{SCOPE}123456789012:us-east-1:function-{i}:errors",
        firing=True,
        title=f"function-{i} errors",
        summary="3 errors in 5m",
        resource=f"function-{i}",
        account="123456789012",
        region="us-east-1",
        labels={"service": service},
        links={"console": f"https://console.aws.amazon.com/lambda/home#/functions/function-{i}"},
        evidence={"errors": 3, "invocations": 120},
    )


@contextmanager
def _database(backend: str, postgres: str | None) -> Iterator[Database]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            db = Database(make_engine(f"sqlite:///{directory}/bench.db"))
            upgrade(db.engine)
            try:
                yield db
            finally:
                db.close()
        return
    assert postgres is not None
    schema = f"bw_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres else "?"
    db = Database(make_engine(f"{postgres}{separator}options=-csearch_path%3D{schema}"))
    try:
        upgrade(db.engine)
        yield db
    finally:
        db.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
