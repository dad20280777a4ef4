"""The App Home view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.limits import VIEW_BLOCKS, fit_blocks
from bot.blocks.status import CheckLine, IncidentLine, checks_blocks, incidents_blocks


def home_view(incidents: list[IncidentLine], checks: list[CheckLine], *, now: datetime) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Boltwatch"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Open incidents* ({len(incidents)})"}},
        *incidents_blocks(incidents),
        {"type": "divider"},
        *checks_blocks(checks, now=now),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Updated {now:%Y-%m-%d %H:%M} UTC"}]},
    ]
    return {"type": "home", "blocks": fit_blocks(blocks, limit=VIEW_BLOCKS)}
