"""The `/logs` answer: the newest events of a window, as a message or, beyond a screenful, a file with a preview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.blocks.limits import SECTION_TEXT, fit_blocks, fit_text, truncate
from bot.blocks.mrkdwn import code_block, inline_code, plain
from bot.durations import format_duration
from bot.ids import ActionId, LogsPage
from bot.views.logs import LogEvent

SCREENFUL_LINES = 40
PREVIEW_EVENTS = 15


@dataclass(frozen=True)
class LogsAnswer:
    text: str
    blocks: list[dict[str, Any]]
    file_content: str | None
    file_name: str | None


def event_lines(events: Sequence[LogEvent]) -> str:
    """One entry per event, timestamps in UTC, multi-line events kept whole."""
    return "\n".join(f"{e.timestamp:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f"Z  {e.message}" for e in events)


def paging_buttons(page: LogsPage, events: Sequence[LogEvent]) -> dict[str, Any]:
    """Older (the same span before the oldest event shown), Newer (after the newest), Group errors (this window)."""
    span = page.end_ms - page.start_ms
    oldest = int(events[0].timestamp.timestamp() * 1000) if events else page.start_ms
    newest = int(events[-1].timestamp.timestamp() * 1000) + 1 if events else page.end_ms
    older = replace(page, start_ms=max(oldest - span, 0), end_ms=max(oldest, 1))
    newer = replace(page, start_ms=newest, end_ms=newest + span)
    return {
        "type": "actions",
        "elements": [
            _button("◀ Older", ActionId.LOGS_OLDER, older.encode()),
            _button("Newer ▶", ActionId.LOGS_NEWER, newer.encode()),
            _button("Group errors", ActionId.LOGS_GROUP_ERRORS, page.encode()),
        ],
    }


def _button(text: str, action: ActionId, value: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action.value, "value": value}


def logs_answer(
    *,
    log_group: str,
    events: Sequence[LogEvent],
    since: timedelta,
    end: datetime,
    filter_text: str | None,
    scanned: int,
    truncated: bool,
    page: LogsPage | None = None,
    file_output: bool = True,
) -> LogsAnswer:
    """The answer; beyond a screenful, a preview and the lines as a file, or (`file_output` off) the newest lines that
    fit, a note of how many were left out, and Older paging from the oldest line shown."""
    what = f"{inline_code(truncate(log_group, 300))}, last {format_duration(since)}"
    if filter_text:
        what += f", containing “{plain(truncate(filter_text, 300))}”"
    counts = f"{len(events)} events" + (f" (the newest of {scanned})" if scanned > len(events) else "")
    context = f"{counts} · until {end:%H:%M:%S} UTC" + (" · window cut short; try a shorter SINCE" if truncated else "")
    text = fit_text(f"Logs of {plain(log_group)}: {len(events)} events")
    buttons = [paging_buttons(page, events)] if page is not None else []
    if not events:
        blocks = [_section(f"*Logs of {what}*\nNo events in this window."), _context(context), *buttons]
        return LogsAnswer(text, fit_blocks(blocks), None, None)
    body = event_lines(events)
    if body.count("\n") < SCREENFUL_LINES and len(code_block(body)) < SECTION_TEXT - 200:
        blocks = [_section(f"*Logs of {what}*"), _section(code_block(body)), _context(context), *buttons]
        return LogsAnswer(text, fit_blocks(blocks), None, None)
    if not file_output:
        shown = _newest_fitting(events)
        total, more = max(scanned, len(events)), "+" if truncated else ""
        note = (
            f"the newest {len(shown)} of {total}{more} events; {total - len(shown)}{more} older ones are left out"
            " (file output is off: `logs.file_output`)" + ("; ◀ Older shows them" if page is not None else "")
        )
        buttons = [paging_buttons(page, shown)] if page is not None else []
        blocks = [_section(f"*Logs of {what}* — {note}"), _section(code_block(event_lines(shown))),
                  _context(context), *buttons]  # fmt: skip
        return LogsAnswer(text, fit_blocks(blocks), None, None)
    preview = _fitting_preview(events)
    blocks = [
        _section(f"*Logs of {what}* — {_in_the_file(len(events), scanned, truncated)}; the newest:"),
        _section(code_block(preview)),
        _context(context),
        *buttons,
    ]
    name = log_group.strip("/").replace("/", "-") + f"-{end:%Y%m%dT%H%M%SZ}.log"
    return LogsAnswer(text, fit_blocks(blocks), body + "\n", name)


def _in_the_file(shown: int, scanned: int, truncated: bool) -> str:
    """How many of the window's events the file holds: all of them, or the newest `limit` of how many matched."""
    if scanned <= shown:
        return f"all {shown} events are in the file below"
    return f"the newest {shown} of {scanned}{'+' if truncated else ''} events are in the file below"


def _newest_fitting(events: Sequence[LogEvent]) -> Sequence[LogEvent]:
    """The newest events that fit a screenful in one section; at least the newest one (which fit_blocks cuts)."""
    shown = events[-SCREENFUL_LINES:]
    while len(shown) > 1 and (
        event_lines(shown).count("\n") >= SCREENFUL_LINES or len(code_block(event_lines(shown))) >= SECTION_TEXT - 200
    ):
        shown = shown[1:]
    return shown


def _fitting_preview(events: Sequence[LogEvent]) -> str:
    """The newest events whose code block fits a section; else the newest event alone, which fit_blocks cuts."""
    shown = events[-PREVIEW_EVENTS:]
    while shown and len(code_block(event_lines(shown))) > SECTION_TEXT - 100:
        shown = shown[1:]
    if shown:
        return event_lines(shown)
    return event_lines(events[-1:])


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
