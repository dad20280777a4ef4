"""Runbook actions from the browser view, on the sandbox's own action config: Redrive on the dead-letters incident
(a dry run first, then for real) and Reboot on an impaired instance's, each confirmed in its modal and verified in
the incident's thread; the verification's Stop verifying asks first, as in Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.aws.queues import DEAD_LETTER_QUEUE, QUEUE
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from sandbox.story import SANDBOX_CONFIG
from tests.browser.conftest import Sandbox, running_sandbox
from tests.harness import base_config

if TYPE_CHECKING:
    from playwright.async_api import Dialog, Locator, Page

expect = pytest.importorskip("playwright.async_api", reason="needs playwright (the dev extra)").expect


@pytest.fixture
async def sandbox(moto: MotoHandle, tmp_path: Path, page: Page) -> AsyncIterator[Sandbox]:
    """The browser sandbox with the checks that find what the actions fix (every 2 s), and the sandbox's actions
    and access rule: the viewer may run them."""
    checks = [{"type": "sqs_dead_letters", "every": "2s", "max_age": None}, {"type": "ec2_status", "every": "2s"}]
    config = base_config(checks=checks, actions=SANDBOX_CONFIG["actions"], access=SANDBOX_CONFIG["access"])
    async with running_sandbox(moto, tmp_path, page, config) as running:
        yield running


async def open_thread(alert: Locator) -> Locator:
    """The incident's thread, opened; its replies."""
    await alert.locator(".thread-toggle").click()
    return alert.locator(".replies")


async def test_redrive_from_the_dead_letters_incident_moves_them_back_and_the_thread_says_so(sandbox: Sandbox) -> None:
    page = sandbox.page
    await page.goto(sandbox.slack.url + "/")
    alert = page.locator("article.message", has_text=f"{DEAD_LETTER_QUEUE}: 2 dead letters")
    redrive = alert.get_by_role("button", name="Redrive…")
    await expect(redrive).to_be_visible()

    await redrive.click()
    modal = page.locator(".modal")
    await expect(modal.locator("h2")).to_have_text("Redrive")
    await expect(modal).to_contain_text(f"Redrive 2 messages from {DEAD_LETTER_QUEUE} back to {QUEUE}")
    await expect(modal).to_contain_text("sqs.StartMessageMoveTask(SourceArn=")
    await modal.get_by_label("Only show what would be called").check()
    await modal.get_by_role("button", name="Run").click()
    await expect(modal).to_contain_text("Dry run: nothing was called")
    await modal.get_by_role("button", name="Close").click()
    await expect(modal).to_be_hidden()
    await expect(alert.locator(".thread-toggle")).to_have_count(0)  # nothing ran, so nothing to say

    await redrive.click()
    await expect(modal.get_by_label("Only show what would be called")).not_to_be_checked()
    await modal.get_by_role("button", name="Run").click()
    await expect(modal).to_be_hidden()
    replies = await open_thread(alert)
    await expect(replies).to_contain_text("sqs_redrive on orders-dlq worked")
    await expect(replies).to_contain_text("moved 2, failed 0")
    await expect(replies.locator("article.message").first).to_contain_text("verified with")


async def test_reboot_from_an_impaired_instance_incident_is_verified_in_its_thread(sandbox: Sandbox) -> None:
    page = sandbox.page
    await page.goto(sandbox.slack.url + "/")
    await page.locator("[data-scenario=impair_instance]").click()
    await expect(page.locator("#scenario-log li").first).to_contain_text("fails (reachability)")
    alert = page.locator("article.message", has_text="Instance status check impaired")
    reboot = alert.get_by_role("button", name="Reboot instance…")
    await expect(reboot).to_be_visible()

    await reboot.click()
    modal = page.locator(".modal")
    await expect(modal).to_contain_text(f"ec2.RebootInstances(InstanceIds=['{sandbox.estate.instance_id}'])")
    await modal.get_by_role("button", name="Run").click()
    await expect(modal).to_be_hidden()

    replies = await open_thread(alert)
    await expect(replies).to_contain_text("ec2_reboot on")
    await expect(replies).to_contain_text("worked")
    await expect(replies).to_contain_text("ec2 instance_status_ok")


async def test_a_button_with_a_confirm_dialog_asks_before_it_clicks(page: Page) -> None:
    """Stop verifying (an action's verification message) asks first, as Slack's `confirm` does."""
    dialog = {
        "title": {"type": "plain_text", "text": "Stop verifying?"},
        "text": {"type": "plain_text", "text": "It does not undo the action."},
        "confirm": {"type": "plain_text", "text": "Stop verifying"},
        "deny": {"type": "plain_text", "text": "Keep verifying"},
    }
    button = {"type": "button", "action_id": "wait_cancel", "value": "wait:1", "confirm": dialog,
              "text": {"type": "plain_text", "text": "Stop verifying"}}  # fmt: skip
    async with LocalSlack() as slack:  # no bot behind it: a click that goes through is refused, and says so
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        blocks = [{"type": "actions", "elements": [button]}]
        await client.chat_postMessage(channel="#alerts", text="verifying", blocks=blocks)
        await page.goto(slack.url + "/")
        asked: list[str] = []

        async def dismiss(shown: Dialog) -> None:
            asked.append(shown.message)
            await shown.dismiss()

        page.once("dialog", dismiss)
        await page.get_by_role("button", name="Stop verifying").click()
        await page.wait_for_timeout(300)
        assert asked == ["Stop verifying?\n\nIt does not undo the action."]
        await expect(page.locator("#status")).to_have_text("")

        page.once("dialog", lambda shown: shown.accept())
        await page.get_by_role("button", name="Stop verifying").click()
        await expect(page.locator("#status")).to_contain_text("does not know the bot's URL")
