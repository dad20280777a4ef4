"""The whole bot for tests: moto over HTTP, the local Slack, a real database, the app on an ephemeral port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.app import BoltwatchApp, Role, create_app
from bot.config import settings_from_mapping
from bot.store import make_engine, upgrade
from sandbox.slack import LocalSlack

T = TypeVar("T")

SIGNING_SECRET = "e2e-signing-secret"
ACK_TIMEOUT_SECONDS = 10.0


class AwsEndpoint(Protocol):
    """Where the bot's AWS is: a `MotoHandle`, or the session's read-only `SeededEstate`."""

    @property
    def endpoint(self) -> str: ...


class FakeClock:
    """The bot's clock in tests: starts at the real time, moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()


@dataclass
class RunningBot:
    app: BoltwatchApp
    slack: LocalSlack
    moto: AwsEndpoint
    clock: FakeClock

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}/slack/events"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}"

    async def command(self, command: str, text: str = "", **kwargs: Any) -> Any:
        return await self.slack.send_command(self.events_url, command=command, text=text, **kwargs)

    async def click(self, **kwargs: Any) -> Any:
        return await self.slack.send_block_action(self.events_url, **kwargs)

    async def run_checks(self) -> None:
        await self.app.runner.run_all_now()

    async def drain(self) -> int:
        """Send everything in the outbox that is due at the clock's time."""
        total = 0
        while (sent := await self.app.notifier.drain_once()) > 0:
            total += sent
            self.clock.advance(seconds=1)
        return total

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 15.0) -> T:  # noqa: ASYNC109 tests' API
        """What `LocalSlack.wait_for` is, with the outbox drained meanwhile: every write to Slack goes through it,
        and in tests nothing drains it unless asked."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            if asyncio.get_running_loop().time() > deadline:
                recent = ", ".join(f"{c.method}={c.status}" for c in self.slack.calls[-10:])
                raise TimeoutError(f"condition not met within {timeout}s; last calls: {recent or 'none'}")
            await self.drain()
            await asyncio.sleep(0.02)
        return value

    async def drain_until(self, predicate: Callable[[], object], seconds: float = 5.0) -> None:
        """Drain the outbox until `predicate()` holds: listeners finish their work after the ack."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the expected Slack state never arrived")
            await self.drain()
            await asyncio.sleep(0.02)


def migrate(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()


def base_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "slack": {"channel": "#alerts"},
        "aws": {"regions": ["us-east-1"], "max_attempts": 1},
        "checks": [{"type": "cloudwatch_alarms", "every": "1h"}],
        # Off unless a test is about charts (tests/e2e/test_incident_charts.py turns them on): a chart is another
        # reply in the thread and a matplotlib render per incident, which tests of buttons and delivery don't need.
        "charts": {"enabled": False},
    }
    config.update(overrides)
    return config


@asynccontextmanager
async def running_bot(
    *,
    moto: AwsEndpoint,
    database_url: str,
    config: dict[str, Any] | None = None,
    clock: FakeClock | None = None,
    slack: LocalSlack | None = None,
    socket_mode: bool = False,
    background: bool = False,
    holder: str | None = None,
    role: Role = "all",
) -> AsyncIterator[RunningBot]:
    """Start the bot; with `background=False` neither the scheduler's checks nor the drainer run by themselves,
    so a test decides when checks run (`run_checks`) and when Slack is written to (`drain`)."""
    clock = clock or FakeClock()
    own_slack = slack is None
    slack = slack or await LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp).start()
    # Slack's deadline is 3 s; a loaded 2-core test machine can miss it for reasons that are not the bot's.
    # How fast the bot acks is measured by bench/ack_latency.py, not asserted here.
    slack.ack_timeout = ACK_TIMEOUT_SECONDS
    env = slack.environment() | {"BOLTWATCH_DATABASE_URL": database_url}
    if socket_mode:
        env["SLACK_APP_TOKEN"] = slack.app_token
    # `boltwatch run` reads its config before its loop starts (custom actions read botocore's models from disk).
    settings = await asyncio.to_thread(settings_from_mapping, config or base_config(), env)
    if not database_url.startswith("sqlite"):
        # What an operator does before starting replicas on PostgreSQL: `boltwatch db upgrade` (another process,
        # so not on this loop).
        await asyncio.to_thread(migrate, database_url)
    app = create_app(
        settings, aws_endpoint_url=moto.endpoint, clock=clock, background=background, holder=holder, freeze=False,
        role=role,
    )  # fmt: skip
    await app.start(host="127.0.0.1", port=0)
    try:
        yield RunningBot(app=app, slack=slack, moto=moto, clock=clock)
    finally:
        await app.stop()
        if own_slack:
            await slack.stop()
