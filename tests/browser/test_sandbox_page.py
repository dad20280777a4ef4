"""A visitor's first minute in the sandbox, in a real browser: an alert arrives, Acknowledge, `/logs`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import Sandbox

expect = pytest.importorskip("playwright.async_api", reason="needs playwright (the dev extra)").expect

# The README's picture. Set BOLTWATCH_UPDATE_SCREENSHOT=1 to refresh it; otherwise the test's copy goes to a
# temporary folder, so that `make test` leaves the work tree as it found it.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "examples" / "sandbox.png"


async def fire_alarm(sandbox: Sandbox, alarm: str) -> None:
    page = sandbox.page
    panel = page.locator(".scenario", has=page.locator("[data-scenario=fire_alarm]"))
    await panel.locator("select").select_option(alarm)
    await panel.locator("button").click()
    await expect(page.locator("#scenario-log li").first).to_contain_text(f"alarm {alarm} is now ALARM")


async def test_an_alert_arrives_is_acknowledged_and_logs_answer_from_the_message_box(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    page = sandbox.page
    await page.goto(sandbox.slack.url + "/")
    await expect(page.locator("#title")).to_have_text("#alerts")
    await expect(page.locator("#messages")).to_contain_text("No messages yet")

    await fire_alarm(sandbox, sandbox.estate.alarm_firing)
    alert = page.locator("article.message", has=page.locator(".block.header"))
    await expect(alert.locator(".block.header")).to_contain_text(f"Alarm {sandbox.estate.alarm_firing}")
    acknowledge = alert.get_by_role("button", name="Acknowledge")
    await expect(acknowledge).to_be_visible()
    screenshot = README_SCREENSHOT if os.environ.get("BOLTWATCH_UPDATE_SCREENSHOT") else tmp_path / "sandbox.png"
    await page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000

    await acknowledge.click()
    await expect(alert.locator(".block.header")).to_contain_text("ACKNOWLEDGED")
    await expect(alert).to_contain_text("acknowledged by @Alice Adams")
    await expect(alert.get_by_role("button", name="Acknowledge")).to_have_count(0)
    await expect(alert.locator(".edited")).to_have_text("(edited)")

    await page.locator("#composer-input").fill("/logs orders-api 1h limit 5")
    await page.locator("#composer-input").press("Enter")
    logs = page.locator("article.message", has_text="Logs of /aws/lambda/orders-api")
    await expect(logs).to_contain_text("5 events")
    await expect(logs.get_by_role("button", name="◀ Older")).to_be_visible()
    await expect(page.locator("#composer-input")).to_have_value("")


async def test_a_custom_snooze_opens_a_modal_that_checks_and_submits(sandbox: Sandbox) -> None:
    page = sandbox.page
    await page.goto(sandbox.slack.url + "/")
    await fire_alarm(sandbox, sandbox.estate.alarm_firing)
    alert = page.locator("article.message", has=page.locator(".block.header"))
    await alert.locator("select").select_option(label="Custom…")

    modal = page.locator(".modal")
    await expect(modal.locator("h2")).to_have_text("Snooze incident #1")
    await modal.get_by_label("For how long").fill("forever")
    await modal.get_by_role("button", name="Snooze").click()
    await expect(modal.locator("[data-error-for=duration]")).not_to_be_empty()

    await modal.get_by_label("For how long").fill("2h")
    await modal.get_by_label("Why").fill("deploying the fix")
    await modal.get_by_role("button", name="Snooze").click()
    await expect(modal).to_be_hidden()
    await expect(alert.locator(".block.context")).to_contain_text("snoozed until")


async def test_the_home_tab_and_the_scenario_panel_until_the_alert_resolves(sandbox: Sandbox) -> None:
    page = sandbox.page
    await page.goto(sandbox.slack.url + "/")
    await fire_alarm(sandbox, sandbox.estate.alarm_firing)
    await expect(page.locator("article.message .block.header")).to_be_visible()

    await page.get_by_role("tab", name="Home").click()
    home = page.locator("#home")
    await expect(home.locator(".block.header").first).to_have_text("Boltwatch")
    await expect(home).to_contain_text("Open incidents (1)")
    await expect(page.locator("#composer")).to_be_hidden()

    log = page.locator("#scenario-log li")
    await page.locator("[data-scenario=dead_letter]").click()
    await expect(log.first).to_contain_text("landed in orders-dlq")
    await page.locator("[data-scenario=stop_instance]").click()
    await expect(log.first).to_have_text(f"{sandbox.estate.instance_id} is stopped.")
    await page.locator("[data-scenario=break_function]").click()
    await expect(log.first).to_contain_text("orders-api failed 3 times")

    await page.get_by_role("tab", name="Messages").click()
    await page.locator("[data-scenario=clear_alarm]").click()
    await expect(log.first).to_have_text(f"alarm {sandbox.estate.alarm_firing} is now OK.")
    await expect(page.locator("article.message .block.header")).to_contain_text("RESOLVED")
