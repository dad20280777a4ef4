"""A chart shown in a thread: one image block whose picture Slack hosts (`slack_file`)."""

from __future__ import annotations

from typing import Any

from bot.blocks.mrkdwn import escape

TITLE_LIMIT = 2000


def chart_message(*, file_id: str, alt_text: str, title: str, key: str) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks): the image block's id starts `chart-`, so scripts and tests can find it."""
    block = {
        "type": "image",
        "block_id": f"chart-{key}",
        "slack_file": {"id": file_id},
        "alt_text": alt_text,
        "title": {"type": "plain_text", "text": title[:TITLE_LIMIT]},
    }
    return escape(title), [block]
