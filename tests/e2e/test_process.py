"""`boltwatch run` as a real process: healthy on /healthz, and SIGTERM or SIGINT stops it cleanly within 10 seconds
(HTTP or Socket Mode, Slack reachable or not, an AWS call hanging or not), giving up the scheduler lock on the way
out."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot.delivery.outbox import Operation
from bot.services import utcnow
from bot.store import Database, make_engine
from bot.store.models import OutboxItem
from bot.store.scheduler_lock import scheduler_lock
from sandbox.aws.alarms import put_sandbox_alarms
from sandbox.aws.server import MotoHandle, sandbox_client
from sandbox.slack import LocalSlack
from tests.hanging_server import HangingServer
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
STOP_SECONDS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_url() -> str:
    """A URL on a port nothing listens on: every connection is refused."""
    return f"http://127.0.0.1:{free_port()}/api/"


class SilentSocketModeSlack:
    """A Slack whose Socket Mode WebSocket opens and then falls silent: it never answers the close handshake."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()

    async def _open(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "url": f"ws://{request.host}/link"})

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        self.connected.set()
        await asyncio.Event().wait()  # never reads, so never answers a ping or a close
        return ws

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        """Yields the Web API base URL."""
        app = web.Application()
        app.router.add_post("/api/apps.connections.open", self._open)
        app.router.add_get("/link", self._link)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield f"http://127.0.0.1:{port}/api/"
        finally:
            await runner.cleanup()


class BotProcess:
    """One `boltwatch run` process, on a fresh SQLite database unless given another (replicas share one)."""

    def __init__(
        self, tmp_path: Path, env: dict[str, str], *, database_url: str | None = None, config: str = CONFIG
    ) -> None:
        self.port = free_port()
        self.database_url = database_url or f"sqlite:///{tmp_path / 'boltwatch.db'}"
        self.config = tmp_path / f"boltwatch-{self.port}.yml"
        self.config.write_text(config)
        self.env = os.environ | {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "BOLTWATCH_DATABASE_URL": self.database_url}
        self.env |= env
        self.process: asyncio.subprocess.Process | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[BotProcess]:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--config", str(self.config), "--port", str(self.port),
            env=self.env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield self
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()

    async def healthy(self) -> dict:
        started = time.monotonic()
        async with aiohttp.ClientSession() as http:
            while True:
                assert time.monotonic() - started < 30, "never became healthy"
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return await response.json()
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)

    async def metrics(self) -> dict[str, float]:
        """Its /metrics samples by name and labels, like `boltwatch_scheduler_leader` or
        `boltwatch_check_runs_total{check=cloudwatch_alarms,result=ok}`."""
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.port}/metrics") as response:
            body = await response.text()
        samples = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
                samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
        return samples

    async def check_runs(self) -> float:
        samples = await self.metrics()
        return sum(v for k, v in samples.items() if k.startswith("boltwatch_check_runs_total{"))

    async def leads(self) -> bool:
        return (await self.metrics()).get("boltwatch_scheduler_leader") == 1

    async def took_the_scheduler_lock(self) -> None:
        """Wait until the process holds the scheduler lock (its first check runs start at once)."""
        for _ in range(300):
            if await self.leads():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the process never took the scheduler lock")

    async def stop(self, signum: signal.Signals = signal.SIGTERM) -> tuple[int, float, str]:
        """Send `signum`; the exit code, the seconds it took and the output. Fails if it took 10 s or more."""
        assert self.process is not None
        self.process.send_signal(signum)
        stopping = time.monotonic()
        try:
            code = await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
        except TimeoutError:
            raise AssertionError(f"still running {STOP_SECONDS} s after {signum.name}") from None
        seconds = time.monotonic() - stopping
        output = (await self.process.stdout.read()).decode()  # type: ignore[union-attr]
        print(f"{signum.name}: exit {code} after {seconds:.2f} s")
        return code, seconds, output

    async def another_replica_takes_the_scheduler_lock(self) -> bool:
        def take() -> bool:
            engine = make_engine(self.database_url)
            lock = scheduler_lock(engine, holder="another-replica")
            try:
                return lock.take()
            finally:
                lock.release()
                engine.dispose()

        return await asyncio.to_thread(take)


def assert_clean_exit(code: int, seconds: float, output: str, signum: signal.Signals = signal.SIGTERM) -> None:
    """Exit 0 within 10 s, and no traceback from the signal on (before it, Slack's client logs one each time it
    fails to connect while Slack is unreachable)."""
    _before, received, after_the_signal = output.partition(f"{signum.name} received: stopping")
    after_the_signal = after_the_signal if received else output
    assert code == 0, after_the_signal
    assert seconds < STOP_SECONDS
    assert "Traceback" not in after_the_signal, after_the_signal


async def test_sigterm_stops_the_bot_cleanly_within_ten_seconds(moto: MotoHandle, tmp_path: Path) -> None:
    async with LocalSlack(signing_secret=SIGNING_SECRET) as slack:
        bot = BotProcess(
            tmp_path, moto.environment() | {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_API_URL": slack.api_url}
        )
        async with bot.running():
            health = await bot.healthy()
            delivery = await slack.send_command(
                f"http://127.0.0.1:{bot.port}/slack/events", command="/boltwatch", text="help"
            )
            assert delivery.status == 200
            # uvloop is a dependency on this platform, and `server.event_loop` defaults to using it
            assert health["event_loop"] == "uvloop"
            await bot.took_the_scheduler_lock()

            code, seconds, output = await bot.stop()
            assert_clean_exit(code, seconds, output)
            assert "Traceback" not in output, output
            assert slack.bot_token not in output and SIGNING_SECRET not in output
        assert await bot.another_replica_takes_the_scheduler_lock(), "the lock goes with the process"


async def test_sigterm_with_slack_unreachable_exits_cleanly_and_frees_the_scheduler_lock(
    moto: MotoHandle, tmp_path: Path
) -> None:
    bot = BotProcess(
        tmp_path, moto.environment() | {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": unreachable_url()}
    )
    async with bot.running():
        await bot.healthy()
        await bot.took_the_scheduler_lock()
        assert_clean_exit(*await bot.stop())
    assert await bot.another_replica_takes_the_scheduler_lock()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("slack_down", ["refusing", "hanging"])
async def test_socket_mode_stops_on_a_signal_while_slack_is_unreachable(
    moto: MotoHandle, tmp_path: Path, signum: signal.Signals, slack_down: str
) -> None:
    slack = HangingServer()
    async with slack.serving() as hanging_url:
        api_url = unreachable_url() if slack_down == "refusing" else f"{hanging_url}/api/"
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "SLACK_API_URL": api_url}
        bot = BotProcess(tmp_path, moto.environment() | env)
        async with bot.running():
            await bot.healthy()
            await bot.took_the_scheduler_lock()
            await asyncio.sleep(1)  # the Socket Mode client has failed to connect at least once, or is waiting
            assert_clean_exit(*await bot.stop(signum), signum)
    assert await bot.another_replica_takes_the_scheduler_lock()


async def test_socket_mode_stops_on_sigterm_when_slack_falls_silent_on_an_open_connection(
    moto: MotoHandle, tmp_path: Path
) -> None:
    slack = SilentSocketModeSlack()
    async with slack.serving() as api_url:
        env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "SLACK_API_URL": api_url}
        bot = BotProcess(tmp_path, moto.environment() | env)
        async with bot.running():
            await bot.healthy()
            await asyncio.wait_for(slack.connected.wait(), 10)
            assert_clean_exit(*await bot.stop())


async def test_sigterm_while_slack_holds_a_post_leaves_its_claim_for_reconciliation(
    moto: MotoHandle, tmp_path: Path
) -> None:
    put_sandbox_alarms(sandbox_client(moto.endpoint, "cloudwatch"), now=utcnow())
    slack = HangingServer()
    async with slack.serving() as url:
        bot = BotProcess(
            tmp_path, moto.environment() | {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": f"{url}/api/"}
        )
        async with bot.running():
            await bot.healthy()
            await asyncio.wait_for(slack.connected.wait(), 20)  # the incident's chat.postMessage, never answered
            assert_clean_exit(*await bot.stop())
    db = Database.from_url(bot.database_url)
    try:
        items = await db.run(
            lambda s: [
                (i.operation, i.status, i.claimed_by is not None, i.attempts) for i in s.scalars(select(OutboxItem))
            ]
        )
    finally:
        db.close()
    posts = [item[1:] for item in items if item[0] == Operation.POST]
    assert posts == [("pending", True, 0)], "the post may have reached Slack: it is neither released nor failed"
    # The alarm's chart goes in the post's thread: it waits, untried, for the post's outcome.
    assert [item for item in items if item[0] != Operation.POST] == [(Operation.CHART, "pending", False, 0)]
    assert await bot.another_replica_takes_the_scheduler_lock()


async def test_sigterm_with_an_aws_call_hanging_exits_cleanly_and_frees_the_scheduler_lock(tmp_path: Path) -> None:
    aws = HangingServer()
    async with aws.serving() as endpoint:
        env = {"AWS_ENDPOINT_URL": endpoint, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": unreachable_url()}
        bot = BotProcess(tmp_path, env)
        async with bot.running():
            await bot.healthy()
            await bot.took_the_scheduler_lock()
            await asyncio.wait_for(aws.connected.wait(), 10)  # the check's first boto3 call now hangs
            assert_clean_exit(*await bot.stop())
    assert await bot.another_replica_takes_the_scheduler_lock()
