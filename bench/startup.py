"""Start-up time: from `boltwatch run` to the first 200 from /healthz (SQLite, fresh database, moto, local Slack)."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from sandbox.aws.server import start_moto
from sandbox.slack import LocalSlack

CONFIG = """\
slack:
  channel: "#alerts"
aws:
  regions: [us-east-1]
checks:
  - type: cloudwatch_alarms
    every: 30s
"""
SECRET = "bench-signing-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _one(env: dict[str, str], config: Path, workdir: Path, trial: int) -> float:
    port = _free_port()
    env = env | {"BOLTWATCH_DATABASE_URL": f"sqlite:///{workdir / f'startup-{trial}.db'}"}
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--config",
        str(config),
        "--port",
        str(port),
        "--log-level",
        "WARNING",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            return time.perf_counter() - started
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.01)
    finally:
        process.terminate()
        await process.wait()


async def main(trials: int = 5) -> int:
    moto = start_moto()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        config = workdir / "boltwatch.yml"
        config.write_text(CONFIG)
        async with LocalSlack(signing_secret=SECRET) as slack:
            env = os.environ | moto.environment() | slack.environment()
            times = [await _one(env, config, workdir, i) for i in range(trials)]
    moto.stop()
    print(f"startup to healthy /healthz over {trials} runs (fresh SQLite each):")
    print(f"  median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trials", type=int, default=5, help="how many starts to time")


def run(args: argparse.Namespace) -> int:
    return asyncio.run(main(args.trials))
