"""`boltwatch run` as a real process: healthy on /healthz, and SIGTERM stops it cleanly within 10 seconds."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp

from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from tests.harness import SIGNING_SECRET

CONFIG = """\
slack:
  channel: "#alerts"
aws:
  regions: [us-east-1]
checks:
  - type: cloudwatch_alarms
    every: 30s
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_sigterm_stops_the_bot_cleanly_within_ten_seconds(moto: MotoHandle, tmp_path: Path) -> None:
    config = tmp_path / "boltwatch.yml"
    config.write_text(CONFIG)
    port = free_port()
    async with LocalSlack(signing_secret=SIGNING_SECRET) as slack:
        env = (
            os.environ
            | moto.environment()
            | {
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "BOLTWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'boltwatch.db'}",
            }
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--config",
            str(config),
            "--port",
            str(port),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            started = time.monotonic()
            async with aiohttp.ClientSession() as http:
                while True:
                    assert time.monotonic() - started < 30, "never became healthy"
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            if response.status == 200:
                                health = await response.json()
                                break
                    except aiohttp.ClientConnectionError:
                        pass
                    await asyncio.sleep(0.05)
            delivery = await slack.send_command(
                f"http://127.0.0.1:{port}/slack/events", command="/boltwatch", text="help"
            )
            assert delivery.status == 200
            # uvloop is a dependency on this platform, and `server.event_loop` defaults to using it
            assert health["event_loop"] == "uvloop"

            process.send_signal(signal.SIGTERM)
            stopping = time.monotonic()
            code = await asyncio.wait_for(process.wait(), 10)
            assert code == 0
            assert time.monotonic() - stopping < 10
            output = (await process.stdout.read()).decode()  # type: ignore[union-attr]
            assert "Traceback" not in output, output
            assert slack.bot_token not in output and SIGNING_SECRET not in output
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
