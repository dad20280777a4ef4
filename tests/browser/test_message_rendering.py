"""Block Kit and mrkdwn in the browser view: formatted as Slack would, and no text ever becomes markup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import LocalSlack

if TYPE_CHECKING:
    from playwright.async_api import Page

expect = pytest.importorskip("playwright.async_api", reason="needs playwright (the dev extra)").expect

HOSTILE = '<script>window.pwned = 1</script> <img src=x onerror="window.pwned = 2"> <b onclick=alert(1)>bold?</b>'


@pytest.fixture
async def slack() -> AsyncIterator[LocalSlack]:
    async with LocalSlack() as local:
        yield local


def bot_client(slack: LocalSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def test_message_text_can_never_inject_html(slack: LocalSlack, page: Page) -> None:
    slack.post_user_message("#alerts", HOSTILE)
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": HOSTILE[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"log line: {escaped}\n```{HOSTILE}```"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "<javascript:alert(1)|click me> <https://example.com/a?b=1&amp;c=2|docs>",
            },
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"raw {HOSTILE}"}]},
    ]
    await bot_client(slack).chat_postMessage(channel="#alerts", text="hostile", blocks=blocks)

    await page.goto(slack.url + "/")
    messages = page.locator("article.message")
    await expect(messages).to_have_count(2)
    await expect(messages.first).to_contain_text("<script>window.pwned = 1</script>")
    await expect(messages.nth(1).locator(".block.header")).to_contain_text('<img src=x onerror="window.pwned = 2">')
    await expect(messages.nth(1).locator("pre.code-block")).to_contain_text("<b onclick=alert(1)>bold?</b>")
    assert await page.locator("#messages script, #messages img, #messages [onerror], #messages [onclick]").count() == 0
    assert await page.evaluate("window.pwned") is None
    links = messages.nth(1).locator("a")
    await expect(links).to_have_count(1)
    await expect(links).to_have_attribute("href", "https://example.com/a?b=1&c=2")
    await expect(messages.nth(1)).to_contain_text("<javascript:alert(1)|click me>")


async def test_mrkdwn_and_blocks_render_like_slack(slack: LocalSlack, page: Page) -> None:
    slack.add_channel("db-alerts")
    text = (
        "*bold* _italic_ ~gone~ `code` <@U0BOB> <!date^1700000000^{date_short}|2023-11-14 22:13 UTC>"
        " snake_case_name key=&lt;*&gt; id=&lt;*&gt;"
    )
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": ":red_circle: CRITICAL · disk full :new:"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": text},
            "fields": [{"type": "mrkdwn", "text": "*Region:*\nus-east-1"}, {"type": "plain_text", "text": "two"}],
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Details"}, "action_id": "d"},
        },
        {"type": "divider"},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "static_select",
                    "action_id": "pick",
                    "placeholder": {"type": "plain_text", "text": "Snooze"},
                    "options": [{"text": {"type": "plain_text", "text": "1 hour"}, "value": "1h"}],
                }
            ],
        },
        {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "rich", "style": {"bold": True}}]},
                {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "Traceback (most recent)"}]},
            ],
        },
        {"type": "image", "image_url": "https://example.com/graph.png", "alt_text": "error graph"},
    ]
    client = bot_client(slack)
    posted = await client.chat_postMessage(channel="#db-alerts", text="disk", blocks=blocks)
    await client.chat_postMessage(channel="#db-alerts", thread_ts=posted["ts"], text="a reply in the thread")
    await client.chat_postEphemeral(channel="#db-alerts", user="U0ALICE", text="just for *you*")

    await page.goto(slack.url + "/")
    await page.get_by_role("button", name="# db-alerts").click()
    message = page.locator("article.message").first
    await expect(message.locator(".block.header .dot-red")).to_have_count(1)
    await expect(message.locator(".block.header")).to_contain_text("disk full 🆕")
    await expect(message.locator("b").first).to_have_text("bold")
    await expect(message.locator("i")).to_have_text("italic")
    await expect(message.locator("s")).to_have_text("gone")
    await expect(message.locator(".section-main code")).to_have_text("code")
    await expect(message.locator(".mention")).to_have_text("@Bob Brown")
    await expect(message.locator(".date")).to_have_text("2023-11-14 22:13 UTC")
    await expect(message).to_contain_text("snake_case_name key=<*> id=<*>")
    await expect(message.locator(".section-main b")).to_have_text(["bold", "Region:"])
    await expect(message.locator(".field")).to_have_count(2)
    await expect(message.get_by_role("button", name="Details")).to_be_visible()
    await expect(message.locator("hr.divider")).to_have_count(1)
    await expect(message.locator("select option")).to_have_text(["Snooze", "1 hour"])
    await expect(message.locator(".rich-text pre")).to_have_text("Traceback (most recent)")
    await expect(message.locator(".image-placeholder")).to_contain_text("error graph")
    assert await page.locator("img").count() == 0  # nothing is fetched from outside 127.0.0.1

    await message.get_by_role("button", name="1 reply").click()
    await expect(message.locator(".replies")).to_contain_text("a reply in the thread")
    ephemeral = page.locator("article.message.ephemeral")
    await expect(ephemeral).to_contain_text("Only visible to you")
    await expect(ephemeral.locator("b")).to_have_text("you")

    await client.chat_update(channel="#db-alerts", ts=posted["ts"], text="disk", blocks=blocks[:1])
    await expect(message.locator(".edited")).to_have_text("(edited)")
    await expect(message.locator(".block")).to_have_count(1)


async def test_an_uploaded_file_shows_a_preview_and_downloads_as_plain_text(slack: LocalSlack, page: Page) -> None:
    client = bot_client(slack)
    posted = await client.chat_postMessage(channel="#alerts", text="Logs of orders-api")
    content = "".join(f"2026-01-01 00:00:{i:02d} <b>line {i}</b>\n" for i in range(60))
    await client.files_upload_v2(
        channel=slack.channel_id("#alerts"), thread_ts=posted["ts"], content=content, filename="orders-api.log"
    )

    await page.goto(slack.url + "/")
    message = page.locator("article.message").first
    await message.get_by_role("button", name="1 reply").click()
    file = message.locator(".replies .file")
    await expect(file.locator(".file-preview")).to_contain_text("<b>line 0</b>")
    download = file.get_by_role("link", name="orders-api.log")
    response = await page.request.get(slack.url + str(await download.get_attribute("href")))
    assert response.ok and await response.text() == content
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"] == 'attachment; filename="orders-api.log"'
