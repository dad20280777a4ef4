"""render_text: Block Kit as terminal text for the sandbox."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sandbox.slack import LocalSlack, Message, render_text
from sandbox.slack.emoji import EMOJI, SHORTCODE


def test_incident_message_renders_header_fields_context_divider_and_buttons() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "CPU high"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*web-1* is hot"},
            "fields": [{"type": "mrkdwn", "text": "*Region* us-east-1"}, {"type": "mrkdwn", "text": "*Since* 5m"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "fingerprint abc"}]},
        {"type": "divider"},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "action_id": "incident_ack", "text": {"type": "plain_text", "text": "Acknowledge"}},
                {"type": "button", "action_id": "incident_resolve", "text": {"type": "plain_text", "text": "Resolve"}},
            ],
        },
        {"type": "image", "image_url": "https://example.com/g.png", "alt_text": "cpu graph"},
    ]
    assert render_text({"blocks": blocks}).splitlines() == [
        "# CPU high",
        "*web-1* is hot",
        "*Region* us-east-1 | *Since* 5m",
        "  fingerprint abc",
        "-" * 40,
        "[Acknowledge] [Resolve]",
        "[image: cpu graph]",
    ]


def test_rich_text_lists_code_and_quotes_are_flattened() -> None:
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [{"type": "text", "text": "see "}, {"type": "user", "user_id": "U0BOB"}],
            },
            {
                "type": "rich_text_list",
                "style": "ordered",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "first"}]},
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "second"}]},
                ],
            },
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "Traceback\n  boom"}]},
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quoted"}]},
        ],
    }
    assert render_text({"blocks": [block]}, names={"U0BOB": "bob"}.get).splitlines() == [
        "see @bob",
        "1. first",
        "2. second",
        "```",
        "Traceback",
        "  boom",
        "```",
        "> quoted",
    ]


def test_plain_text_messages_files_and_edits_are_shown() -> None:
    message = Message(channel="C0OPS", ts="1.000001", user="U0BOLTWATCH", text="last hour of logs")
    message.files = [{"name": "logs.txt", "size": 42}]
    assert render_text(message).splitlines() == ["last hour of logs", "[file: logs.txt, 42 bytes]"]


def test_unknown_blocks_are_named_rather_than_crashing() -> None:
    assert render_text({"blocks": [{"type": "video"}]}) == "[video]"


def test_mrkdwn_reads_as_slack_shows_it_entities_links_mentions_and_emoji() -> None:
    text = (
        "Task timed out after &lt;*&gt; seconds -&gt; retry &amp; see <https://example.com/a?b=1&amp;c=2|docs>, "
        "<https://example.com/raw>, <@U0BOB> in <#C0ALERTS> and <#C0OPS|ops>, <!here> :alarm_clock: :no_such_emoji:"
    )
    names = {"U0BOB": "bob", "C0ALERTS": "alerts"}.get
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    header = {
        "type": "header",
        "text": {"type": "plain_text", "text": ":red_circle: CRITICAL · <*> stays", "emoji": True},
    }

    assert render_text({"blocks": [header, section]}, names=names).splitlines() == [
        "# 🔴 CRITICAL · <*> stays",
        "Task timed out after <*> seconds -> retry & see docs (https://example.com/a?b=1&c=2), "
        "https://example.com/raw, @bob in #alerts and #ops, @here ⏰ :no_such_emoji:",
    ]


def test_dates_are_shown_in_the_readers_time_zone_with_slacks_tokens() -> None:
    moment = datetime(2026, 12, 4, 20, 49).astimezone()
    stamp = int(moment.timestamp())
    text = f"*Started:* <!date^{stamp}^{{date_short_pretty}} {{time}}|2026-12-04 20:49 UTC> · <!date^{stamp}^{{ago}}|x>"

    today = render_text({"text": text}, now=stamp + 600)
    later = render_text({"text": text}, now=stamp + 3 * 86400)

    assert today == "*Started:* today 20:49 · 10 minutes ago"
    assert later == "*Started:* Dec 4, 2026 20:49 · 3 days ago"


async def test_the_local_slack_names_its_people_and_channels() -> None:
    async with LocalSlack() as slack:
        assert (slack.name_of("U0ALICE"), slack.name_of("C0ALERTS"), slack.name_of("U0NOBODY")) == (
            "alice",
            "alerts",
            None,
        )


def test_every_emoji_the_bots_messages_use_is_drawn() -> None:
    blocks = Path(__file__).resolve().parents[2] / "bot" / "blocks"
    used = {name for module in blocks.glob("*.py") for name in SHORTCODE.findall(module.read_text(encoding="utf-8"))}

    assert used and used <= EMOJI.keys()
