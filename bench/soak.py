"""Soak: the real bot over 10,000 firing alerts in 1,000 open incidents, with churn, for `--minutes`; RSS sampled.

The bot is `boltwatch run` in a process of its own (`bench/soak_estate.py`: the real CLI plus a synthetic check type
standing in for a large estate), on SQLite in a temporary directory or PostgreSQL (`--postgres`), against the local
Slack (20 channels, routed by team, grouped by service) and moto. Its RSS is read from /proc every `--sample`
seconds. Targets: peak RSS ≤ 150 MB per role, and no growth in the last half (the peak of its second quarter at
most 5 MB above the peak of its first). By default the embedded role (`all`: web, checks and drainer in one
process); with `--distributed` (PostgreSQL), `scheduler.engine: procrastinate` and two processes, `boltwatch run
--role web` and one `boltwatch worker`, each sampled. The last line gives the peak RSS per role in MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import positive_int
from bench.startup import _free_port
from bot.store import make_engine, upgrade
from sandbox.aws.server import start_moto
from sandbox.slack import LocalSlack

TARGET_MB = 150.0
GROWTH_MB = 5.0
SECRET = "bench-signing-secret"
CONFIG = """\
slack:
  channel: "#alerts"
aws:
  regions: [us-east-1]
  accounts: [{{name: default, id: "123456789012"}}]
routes:
{routes}
checks:
  - type: soak_estate
    every: {every}s
    alerts: {alerts}
    per_incident: {per_incident}
    channels: {channels}
"""
ROUTE = """\
  - match: {{team: team-{n}}}
    channel: "#soak-{n}"
    group_by: [service]
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the bot runs (default 30)")
    parser.add_argument("--alerts", type=positive_int, default=10_000)
    parser.add_argument("--incidents", type=positive_int, default=1_000)
    parser.add_argument("--channels", type=positive_int, default=20)
    parser.add_argument("--every", type=positive_int, default=15, help="the check's interval in seconds")
    parser.add_argument("--sample", type=float, default=2.0, help="seconds between RSS samples")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (a schema of its own is made and dropped)")
    parser.add_argument(
        "--distributed", action="store_true",
        help="the web role and a worker (scheduler.engine procrastinate) instead of one process; needs --postgres",
    )  # fmt: skip
    parser.add_argument(
        "--migrated", action="store_true",
        help="migrate the database before the bot starts (`boltwatch db upgrade`, or any start but the first)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    if args.distributed and not args.postgres:
        print("--distributed keeps the check jobs in PostgreSQL: give --postgres URL")
        return 2
    return asyncio.run(_soak(args))


def rss_mb(pid: int) -> float | None:
    """The process's resident set size (VmRSS in /proc/PID/status), in MB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def verdict(samples: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(peak MB, peak of the last half's first quarter of the run, peak of its last quarter)."""
    values = [mb for _, mb in samples]
    n = len(values)
    third, fourth = values[n // 2 : 3 * n // 4], values[3 * n // 4 :]
    return max(values), max(third or values), max(fourth or values)


async def _soak(args: argparse.Namespace) -> int:
    routes = "".join(ROUTE.format(n=n) for n in range(args.channels))
    config_text = CONFIG.format(
        routes=routes, every=args.every, alerts=args.alerts, per_incident=args.alerts // args.incidents,
        channels=args.channels,
    )  # fmt: skip
    if args.distributed:
        config_text += "scheduler:\n  engine: procrastinate\n"
    moto = start_moto()
    try:
        with tempfile.TemporaryDirectory() as tmp, _database(args.postgres, Path(tmp)) as database_url:
            if args.migrated or args.distributed:  # the web role and workers do not migrate: `db upgrade` does
                engine = make_engine(database_url)
                upgrade(engine)
                engine.dispose()
            config = Path(tmp) / "soak.yml"
            config.write_text(config_text)
            async with LocalSlack(signing_secret=SECRET) as slack:
                for n in range(args.channels):
                    slack.add_channel(f"soak-{n}")
                env = os.environ | moto.environment() | slack.environment() | {"BOLTWATCH_DATABASE_URL": database_url}
                samples = await _run_roles(env, config, args)
                posted = sum(len(slack.channel_messages(f"#soak-{n}")) for n in range(args.channels))
    finally:
        moto.stop()
    if any(len(role_samples) < 4 for role_samples in samples.values()):
        print("the bot did not stay up long enough to sample")
        return 1
    missed = False
    peaks: dict[str, float] = {}
    for role, role_samples in samples.items():
        peak, third, fourth = verdict(role_samples)
        peaks[role] = peak
        print(f"{role}: {len(role_samples)} samples over {role_samples[-1][0]:.0f} s")
        for at, mb in role_samples[:: max(1, len(role_samples) // 12)]:
            print(f"  {at:7.0f} s  {mb:6.1f} MB")
        growth = fourth - third
        print(f"{role}, last half: peak {third:.1f} MB in its first half, {fourth:.1f} MB in its second"
              f" (growth {growth:+.1f} MB)")  # fmt: skip
        missed = missed or peak > TARGET_MB or growth > GROWTH_MB
    print(f"incident messages in Slack: {posted}")
    print(f"target ≤ {TARGET_MB:.0f} MB and growth ≤ {GROWTH_MB:.0f} MB per role: {'missed' if missed else 'met'}")
    print("peak RSS per role (MB): " + " ".join(f"{role}={peak:.1f}" for role, peak in peaks.items()))
    return 1 if missed else 0


Samples = list[tuple[float, float]]
"""(seconds since the start, RSS in MB)."""


async def _run_roles(env: dict[str, str], config: Path, args: argparse.Namespace) -> dict[str, Samples]:
    """Start the bot's processes and sample each one's RSS until `--minutes` have passed or one of them ends."""
    module = [sys.executable, "-m", "bench.soak_estate"]
    quiet = ["--config", str(config), "--log-level", "WARNING"]
    if args.distributed:
        commands = {
            "web": [*module, *quiet, "--port", str(_free_port()), "--role", "web"],
            "worker": [*module, "worker", *quiet, "--port", str(_free_port())],
        }
    else:
        commands = {"all": [*module, *quiet, "--port", str(_free_port())]}
    processes = {
        role: await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.DEVNULL)
        for role, command in commands.items()
    }
    samples: dict[str, Samples] = {role: [] for role in processes}
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < args.minutes * 60 and all(
            p.returncode is None for p in processes.values()
        ):
            for role, process in processes.items():
                mb = rss_mb(process.pid)
                if mb is not None:
                    samples[role].append((elapsed, mb))
            await asyncio.sleep(args.sample)
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.terminate()
        for process in processes.values():
            await process.wait()
    return samples


class _database:
    """A SQLite file in `directory`, or a schema of its own in the PostgreSQL database at `url`."""

    def __init__(self, url: str | None, directory: Path) -> None:
        self.url, self.directory = url, directory
        self.schema = f"bw_soak_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> str:
        if self.url is None:
            return f"sqlite:///{self.directory / 'soak.db'}"
        with create_engine(self.url, isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        separator = "&" if "?" in self.url else "?"
        return f"{self.url}{separator}options=-csearch_path%3D{self.schema}"

    def __exit__(self, *_: object) -> None:
        if self.url is not None:
            with create_engine(self.url, isolation_level="AUTOCOMMIT").connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
