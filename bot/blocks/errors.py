"""The `/errors` answer: error groups of a window, most frequent first, each with a sample."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.blocks.limits import fit_blocks, fit_text, truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import code_block, inline_code, plain, slack_date
from bot.durations import format_duration
from bot.enums import ErrorGroupStatus
from bot.ids import ActionId, ErrorGroupButton
from bot.views.error_groups import GroupView

SHOWN_GROUPS = 10
FIGURE_AFTER = "errors-head"
"""The block the answer's chart goes after: its headline."""
BADGE: dict[str, str] = {
    ErrorGroupStatus.NEW: ":new: new",
    ErrorGroupStatus.REGRESSED: ":rotating_light: regressed",
    ErrorGroupStatus.ONGOING: "seen before",
}


def errors_blocks(
    *, log_group: str, groups: list[GroupView], since: timedelta, end: datetime, scanned: int, truncated: bool
) -> tuple[str, list[dict[str, Any]]]:
    total = sum(g.summary.count for g in groups)
    where = inline_code(truncate(log_group, 300))
    head = f"*Errors in {where}, last {format_duration(since)}:* {total} errors in {len(groups)} groups"
    blocks: list[dict[str, Any]] = [{**_section(head), "block_id": FIGURE_AFTER}]
    if not groups:
        blocks.append(_section(f":white_check_mark: No errors among {scanned} events."))
    for group in groups[:SHOWN_GROUPS]:
        blocks.append(_group_block(group))
    if len(groups) > SHOWN_GROUPS:
        rest = sum(g.summary.count for g in groups[SHOWN_GROUPS:])
        blocks.append(_section(f"…and {len(groups) - SHOWN_GROUPS} more groups ({rest} errors)."))
    note = f"{scanned} events read · until {end:%H:%M:%S} UTC" + (" · window cut short" if truncated else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return fit_text(f"{total} errors in {len(groups)} groups in {plain(log_group)}"), fit_blocks(blocks)


def _group_block(group: GroupView) -> dict[str, Any]:
    summary = group.summary
    assert summary.first_seen is not None and summary.last_seen is not None
    culprit = f" in {inline_code(truncate(summary.culprit, 120))}" if summary.culprit else ""
    badge = BADGE.get(group.status) or plain(group.status)
    lines = [
        f"*{summary.count}×* {plain(truncate(summary.title, 300))}{culprit} · {badge}",
        f"first {slack_date(summary.first_seen)}, last {slack_date(summary.last_seen)} · {inline_code(summary.trend)}",
        code_block(truncate(summary.samples[0], 1200)) if summary.samples else "",
    ]
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate_mrkdwn("\n".join(line for line in lines if line), 3000)},
        "accessory": {
            "type": "button",
            "text": {"type": "plain_text", "text": "Show samples"},
            "action_id": ActionId.ERRORS_SAMPLES.value,
            "value": ErrorGroupButton(group.id).encode(),
        },
    }


def samples_text(title: str, samples: list[str]) -> str:
    shown = "\n".join(code_block(truncate(sample, 900)) for sample in samples)
    return truncate_mrkdwn(f"*Samples of* {plain(truncate(title, 200))}\n{shown}", 3900)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, 3000)}}
