"""An alert's chart in the browser view: the image block in the incident's thread shows the PNG the bot uploaded
(`slack_file`), loaded by the browser at its real size."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.charts.render import HEIGHT_PX, WIDTH_PX
from sandbox.aws.server import MotoHandle
from tests.browser.conftest import Sandbox, running_sandbox
from tests.browser.test_sandbox_page import fire_alarm
from tests.harness import base_config

if TYPE_CHECKING:
    from playwright.async_api import Page

expect = pytest.importorskip("playwright.async_api", reason="needs playwright (the dev extra)").expect

# The README's picture of an alert with its chart. BOLTWATCH_UPDATE_SCREENSHOT=1 refreshes it; otherwise the test's
# copy goes to a temporary folder.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "examples" / "alert-chart.png"
LOADED_IMAGE = """() => {
  const img = document.querySelector("article.message figure.block.image img");
  return img && img.complete && img.naturalWidth > 0 ? [img.naturalWidth, img.naturalHeight] : null;
}"""


@pytest.fixture
async def sandbox(moto: MotoHandle, tmp_path: Path, page: Page) -> AsyncIterator[Sandbox]:
    config = base_config(checks=[{"type": "cloudwatch_alarms", "every": "2s"}], charts={"enabled": True})
    async with running_sandbox(moto, tmp_path, page, config) as running:
        yield running


async def test_an_alerts_chart_is_displayed_in_its_thread(sandbox: Sandbox, tmp_path: Path) -> None:
    page = sandbox.page
    await page.goto(sandbox.slack.url + "/")
    await fire_alarm(sandbox, sandbox.estate.alarm_firing)
    alert = page.locator("article.message", has=page.locator(".block.header"))
    await expect(alert.locator(".block.header")).to_contain_text(f"Alarm {sandbox.estate.alarm_firing}")

    await alert.locator(".thread-toggle").click()
    chart = alert.locator("figure.block.image")
    await expect(chart.locator("img")).to_be_visible()
    await expect(chart.locator("figcaption")).to_contain_text(sandbox.estate.alarm_firing)
    loaded = await page.wait_for_function(LOADED_IMAGE)
    assert await loaded.json_value() == [WIDTH_PX, HEIGHT_PX]
    alt = await chart.locator("img").get_attribute("alt")
    assert alt is not None and "Threshold ≥1" in alt

    screenshot = README_SCREENSHOT if os.environ.get("BOLTWATCH_UPDATE_SCREENSHOT") else tmp_path / "alert-chart.png"
    await alert.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
