"""The browser view in headless Chromium: Debian's /usr/bin/chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sandbox.aws.alarms import set_alarm_state
from sandbox.aws.estate import Estate, seed_estate
from sandbox.aws.server import MotoHandle
from sandbox.scenario_commands import sandbox_scenarios
from sandbox.slack import LocalSlack
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, base_config, running_bot

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM = Path(os.environ.get("BOLTWATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""With --headless and --no-sandbox (Playwright adds those) what works on a machine with no outside network."""

HAVE_CHROMIUM = CHROMIUM.exists()
EXPECT_SECONDS = 10
"""How long an expectation waits: checks run every 2 s, and the machine may be busy."""
NO_CHROMIUM = f"needs Debian's chromium at {CHROMIUM} (.ci/run installs it: apt-get install chromium)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """`make test` shows skips as a bare count: say which ones and how to run them, in one line."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if NO_CHROMIUM in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} browser tests skipped: no Chromium at {CHROMIUM}; "
            "`apt-get install chromium` (what .ci/run does) enables them"
        )


class WallClock(FakeClock):
    """The bot's clock here is real time: in the browser tests the bot runs by itself, as in the sandbox."""

    def __init__(self) -> None:
        self._offset = timedelta()

    @property  # type: ignore[override]
    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    @now.setter
    def now(self, value: datetime) -> None:
        self._offset = value - datetime.now(UTC)


@dataclass
class Sandbox:
    bot: RunningBot
    estate: Estate
    page: Page

    @property
    def slack(self) -> LocalSlack:
        return self.bot.slack


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    """A page in a fresh Chromium profile; Playwright never downloads a browser, it drives Debian's."""
    if not HAVE_CHROMIUM:
        pytest.skip(NO_CHROMIUM)
    playwright_api = pytest.importorskip("playwright.async_api", reason="needs playwright (the dev extra)")
    playwright_api.expect.set_options(timeout=EXPECT_SECONDS * 1000)
    async with playwright_api.async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            chromium_sandbox=False,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 860},
        )
        try:
            the_page = context.pages[0] if context.pages else await context.new_page()
            the_page.set_default_timeout(15_000)
            yield the_page
        finally:
            await context.close()


@pytest.fixture
async def sandbox(moto: MotoHandle, tmp_path: Path, page: Page) -> AsyncIterator[Sandbox]:
    """The sandbox's pieces: the seeded estate (its firing alarm quiet), the local Slack with the scenario
    panel, and the real bot running by itself (checks every 2 s, the outbox drained as it fills)."""
    config = base_config(checks=[{"type": "cloudwatch_alarms", "every": "2s"}])
    async with running_sandbox(moto, tmp_path, page, config) as running:
        yield running


@asynccontextmanager
async def running_sandbox(
    moto: MotoHandle, tmp_path: Path, page: Page, config: dict[str, Any]
) -> AsyncIterator[Sandbox]:
    """The sandbox of the `sandbox` fixture, the bot on `config`."""
    # boto3 off the loop: making a client reads its service model from disk (the loop-stall guard holds tests to it).
    estate = await asyncio.to_thread(seed_estate, moto.endpoint)
    await asyncio.to_thread(set_alarm_state, moto.endpoint, estate.alarm_firing, "OK", "quiet until the test fires it")
    slack = await LocalSlack(signing_secret=SIGNING_SECRET, scenarios=sandbox_scenarios(estate)).start()
    try:
        async with running_bot(
            moto=moto,
            database_url=f"sqlite:///{tmp_path / 'boltwatch.db'}",
            config=config,
            clock=WallClock(),
            slack=slack,
            background=True,
        ) as bot:
            slack.app_url = bot.events_url
            yield Sandbox(bot=bot, estate=estate, page=page)
    finally:
        await slack.stop()
