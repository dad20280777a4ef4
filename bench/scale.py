"""scale: check jobs a second with 1, 2 and 4 `boltwatch worker` processes on PostgreSQL (I/O-bound targets).

Each worker runs 10 jobs at once; each target sleeps 1 s (`sandbox/sleepy_check.py`, no AWS call), and more
targets are due than 4 workers can run, so the queue never empties. Throughput is the jobs that ended with
success in the measured window, read from the workers' logs. Target (issue 20): throughput(W) ≥ 0.85 × W ×
throughput(1) below the CPU ceiling. Needs BOLTWATCH_BENCH_DATABASE_URL or BOLTWATCH_TEST_DATABASE_URL (a schema
of its own per run, dropped after).

`--real` measures the real path instead (bench/scale_real.py): one `lambda_errors` cycle over 1,000 functions in
moto across 4 fake accounts, embedded and on 2 workers, its wall time and its AWS calls against the batch lower bound.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import yaml

from bench.common import free_port, positive_int, postgres_schema, stop_processes, wait_healthy
from bench.scale_real import run_real

SUCCESS = re.compile(
    r"^(\S+ \S+) INFO procrastinate\.worker: Job boltwatch\.check_target\[\d+\].* status: Success", re.M
)
TARGET = 0.85


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure (default 1,2,4)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per count (default 20)")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds after all are healthy before measuring")
    parser.add_argument(
        "--real",
        action="store_true",
        help="instead: one lambda_errors cycle over moto functions across fake accounts, embedded vs workers, with"
        " its AWS calls against the batch lower bound (bench/scale_real.py)",
    )
    parser.add_argument("--functions", type=positive_int, default=1000, help="--real: functions (default 1000)")
    parser.add_argument("--accounts", type=positive_int, default=4, help="--real: accounts (default 4)")
    parser.add_argument("--real-workers", type=positive_int, default=2, help="--real: workers (default 2)")


def run(args: argparse.Namespace) -> int:
    base = os.environ.get("BOLTWATCH_BENCH_DATABASE_URL") or os.environ.get("BOLTWATCH_TEST_DATABASE_URL")
    if not base:
        print("scale: set BOLTWATCH_BENCH_DATABASE_URL (or BOLTWATCH_TEST_DATABASE_URL) to a PostgreSQL URL")
        return 1
    if args.real:
        return run_real(base, functions=args.functions, accounts=args.accounts, workers=args.real_workers)
    counts = [int(n) for n in args.workers.split(",")]
    rates = {n: measure(base, n, args.seconds, args.warmup) for n in counts}
    one = rates[counts[0]] / counts[0]
    ok = True
    for n, rate in rates.items():
        ratio = rate / (n * one) if one else 0.0
        ok &= ratio >= TARGET
        print(f"scale: {n} worker(s): {rate:.1f} jobs/s, {ratio:.2f} of {n} × one worker's (target ≥ {TARGET})")
    return 0 if ok else 1


def measure(base: str, workers: int, seconds: float, warmup: float) -> float:
    with postgres_schema(base, "bw_scale") as url, tempfile.TemporaryDirectory() as tmp:
        return _measure(Path(tmp), url, workers, seconds, warmup)


def _measure(tmp: Path, url: str, workers: int, seconds: float, warmup: float) -> float:
    config = {
        "slack": {"channel": "#alerts"},
        "aws": {
            "regions": ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"],
            "accounts": [{"name": f"a{i:03}", "id": f"{i:012}"} for i in range(1, 121)],
        },  # 600 targets every 10 s: 60 due a second, more than 4 × 10 at 1 s each
        "checks": [{"type": "sleepy_targets", "every": "10s", "min_seconds": 1.0, "max_seconds": 1.0}],
        "scheduler": {"engine": "procrastinate"},
        "charts": {"enabled": False},
    }
    (tmp / "boltwatch.yml").write_text(yaml.safe_dump(config))
    env = os.environ | {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench", "BOLTWATCH_DATABASE_URL": url}
    processes, logs = [], []
    for i in range(workers):
        log = tmp / f"worker-{i}.log"
        port = free_port()
        with log.open("wb") as out:
            command = [sys.executable, "-m", "sandbox.sleepy_check", "worker", "--config", str(tmp / "boltwatch.yml")]
            command += ["--port", str(port), "--concurrency", "10", "--log-level", "INFO"]
            processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=out))
        logs.append((log, port))
    try:
        for _log, port in logs:
            wait_healthy(port)
        time.sleep(warmup)
        start = time.time()
        time.sleep(seconds)
        end = time.time()
    finally:
        stop_processes(processes)
    done = 0
    for log, _port in logs:
        for stamp in SUCCESS.findall(log.read_text()):
            at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
            done += start <= at < end
    return done / (end - start)
