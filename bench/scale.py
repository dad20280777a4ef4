"""scale: check jobs a second with 1, 2 and 4 `boltwatch worker` processes on PostgreSQL (I/O-bound targets).

Each worker runs 10 jobs at once; each target sleeps 1 s (`sandbox/sleepy_check.py`, no AWS call), and more
targets are due than 4 workers can run, so the queue never empties. Throughput is the jobs that ended with
success in the measured window, read from the workers' logs. Target (issue 20): throughput(W) ≥ 0.85 × W ×
throughput(1) below the CPU ceiling. Needs BOLTWATCH_BENCH_DATABASE_URL or BOLTWATCH_TEST_DATABASE_URL (a schema
of its own per run, dropped after).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

from bot.store import make_engine, upgrade

SUCCESS = re.compile(
    r"^(\S+ \S+) INFO procrastinate\.worker: Job boltwatch\.check_target\[\d+\].* status: Success", re.M
)
TARGET = 0.85


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure (default 1,2,4)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per count (default 20)")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds after all are healthy before measuring")


def run(args: argparse.Namespace) -> int:
    base = os.environ.get("BOLTWATCH_BENCH_DATABASE_URL") or os.environ.get("BOLTWATCH_TEST_DATABASE_URL")
    if not base:
        print("scale: set BOLTWATCH_BENCH_DATABASE_URL (or BOLTWATCH_TEST_DATABASE_URL) to a PostgreSQL URL")
        return 1
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
    schema = f"bw_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return _measure(Path(tmp), url, workers, seconds, warmup)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
        port = _free_port()
        with log.open("wb") as out:
            command = [sys.executable, "-m", "sandbox.sleepy_check", "worker", "--config", str(tmp / "boltwatch.yml")]
            command += ["--port", str(port), "--concurrency", "10", "--log-level", "INFO"]
            processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=out))
        logs.append((log, port))
    try:
        for _log, port in logs:
            _wait_healthy(port)
        time.sleep(warmup)
        start = time.time()
        time.sleep(seconds)
        end = time.time()
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
    done = 0
    for log, _port in logs:
        for stamp in SUCCESS.findall(log.read_text()):
            at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
            done += start <= at < end
    return done / (end - start)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(port: int, seconds: float = 240) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the worker on port {port} never became healthy")
