"""The App Home view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.limits import VIEW_BLOCKS, fit_blocks, fit_text
from bot.blocks.mrkdwn import channel_ref, slack_date
from bot.blocks.oncall import oncall_line
from bot.blocks.status import blocked_blocks, checks_blocks, flapping_count, incidents_blocks, silences_blocks
from bot.views.oncall import OnCallAnswer
from bot.views.status import BlockedLine, CheckLine, IncidentLine, LastDigest, SilenceLine


def home_view(
    incidents: list[IncidentLine],
    checks: list[CheckLine],
    *,
    now: datetime,
    silences: list[SilenceLine] | None = None,
    last_digest: LastDigest | None = None,
    blocked: list[BlockedLine] | None = None,
    on_call: list[OnCallAnswer] | None = None,
) -> dict[str, Any]:
    digest = (
        f"Last digest: {slack_date(last_digest.until)} in {channel_ref(last_digest.channel)}"
        if last_digest
        else "No digest yet."
    )
    flapping = f", :repeat: {count} flapping" if (count := flapping_count(incidents)) else ""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Boltwatch"}},
        *blocked_blocks(blocked or [], now=now),
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Open incidents* ({len(incidents)}{flapping})"}},
        *incidents_blocks(incidents),
        {"type": "divider"},
        *checks_blocks(checks, now=now),
        *silences_blocks(silences or []),
        *oncall_home_blocks(on_call or []),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": digest}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Updated {now:%Y-%m-%d %H:%M} UTC"}]},
    ]
    return {"type": "home", "blocks": fit_blocks(blocks, limit=VIEW_BLOCKS)}


def oncall_home_blocks(answers: list[OnCallAnswer]) -> list[dict[str, Any]]:
    """Who is on call in each schedule and the next handoffs; nothing when no schedule is configured."""
    if not answers:
        return []
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*On call*"}},
        *({"type": "section", "text": {"type": "mrkdwn", "text": fit_text(oncall_line(a))}} for a in answers),
    ]
