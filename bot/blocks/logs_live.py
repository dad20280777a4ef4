"""The `/logs TARGET live` message: the newest lines of a Live Tail, updated in place every few seconds, with a Stop
button while it streams and a final "ended" state after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.blocks.limits import SECTION_TEXT, fit_blocks, fit_text, truncate
from bot.blocks.mrkdwn import code_block, inline_code, mention, plain
from bot.durations import format_duration
from bot.ids import ActionId
from bot.views.logs import LogEvent

SHOWN_LINES = 20
LINE_TEXT = 300
"""A long line is cut to this many characters: twenty of them still fit one section."""


@dataclass(frozen=True)
class LiveTailView:
    """What the message shows: which group, since when, until when, and the newest lines (oldest first)."""

    tail_id: str
    log_group: str
    requester: str
    started: datetime
    ends: datetime
    lines: Sequence[LogEvent]
    received: int
    """Events received so far (the message shows the newest few)."""
    filter_text: str | None = None
    ended: str | None = None
    """Why it ended ("5m are up", an error), as plain text, or None while it streams."""
    stopped_by: str | None = None
    """Who pressed Stop (a user id), shown as a mention."""
    reconnecting: str | None = None
    """While the stream is down and being started again: why and which attempt, as plain text."""


def live_lines(events: Sequence[LogEvent]) -> str:
    """The newest events, each on one line (time of day in UTC, the message cut to LINE_TEXT), that fit a section."""
    lines = [f"{e.timestamp:%H:%M:%S}  " + truncate(" ".join(e.message.split()), LINE_TEXT) for e in events]
    lines = lines[-SHOWN_LINES:]
    while lines and len(code_block("\n".join(lines))) > SECTION_TEXT - 100:
        lines = lines[1:]
    return "\n".join(lines)


def live_tail_message(view: LiveTailView, *, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    what = inline_code(truncate(view.log_group, 300))
    if view.filter_text:
        what += f", containing “{plain(truncate(view.filter_text, 300))}”"
    streaming = view.ended is None and view.stopped_by is None
    if streaming:
        headline = f":red_circle: *Live:* {what}"
        timing = f"streaming since {view.started:%H:%M:%S} UTC · ends in {format_duration(_left(view, now))}"
        if view.reconnecting:
            timing = f":warning: {plain(truncate(view.reconnecting, 300))} · {timing}"
    else:
        headline = f":white_circle: *Live tail ended:* {what}"
        why = f"stopped by {mention(view.stopped_by)}" if view.stopped_by else plain(truncate(view.ended or "", 300))
        timing = f"{view.started:%H:%M:%S}–{now:%H:%M:%S} UTC · {why}"
    counts = f"{view.received} events" + (
        f", the newest {min(view.received, SHOWN_LINES)} shown" if view.received else ""
    )
    body = live_lines(view.lines)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
        {"type": "section", "text": {"type": "mrkdwn", "text": code_block(body) if body else "_No events yet._"}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"{timing} · {counts} · by {mention(view.requester)}"}],
        },
    ]
    if streaming:
        stop = {"type": "button", "text": {"type": "plain_text", "text": "Stop"}, "style": "danger",
                "action_id": ActionId.LOGS_LIVE_STOP.value, "value": view.tail_id}  # fmt: skip
        blocks.append({"type": "actions", "elements": [stop]})
    state = "Live" if streaming else "Live tail ended"
    return fit_text(f"{state}: {plain(view.log_group)} ({view.received} events)"), fit_blocks(blocks)


def _left(view: LiveTailView, now: datetime) -> timedelta:
    return max(view.ends - now, timedelta(0))
