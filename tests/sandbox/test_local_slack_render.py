"""render_text: Block Kit as terminal text for the sandbox."""

from __future__ import annotations

from sandbox.slack import Message, render_text


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
    assert render_text({"blocks": [block]}).splitlines() == [
        "see <@U0BOB>",
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
