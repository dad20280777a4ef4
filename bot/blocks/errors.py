"""The `/errors` answer: error groups of a window, most frequent first, each with a sample."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.blocks.limits import fit_blocks, truncate
from bot.blocks.mrkdwn import code_block, escape, slack_date
from bot.durations import format_duration
from bot.enums import ErrorGroupStatus
from bot.ids import ActionId, ErrorGroupButton
from bot.views.error_groups import GroupView

SHOWN_GROUPS = 10
BADGE = {
    ErrorGroupStatus.NEW: ":new: new",
    ErrorGroupStatus.REGRESSED: ":rotating_light: regressed",
    ErrorGroupStatus.ONGOING: "seen before",
}


def errors_blocks(
    *, log_group: str, groups: list[GroupView], since: timedelta, end: datetime, scanned: int, truncated: bool
) -> tuple[str, list[dict[str, Any]]]:
    total = sum(g.summary.count for g in groups)
    head = f"*Errors in `{escape(log_group)}`, last {format_duration(since)}:* {total} errors in {len(groups)} groups"
    blocks: list[dict[str, Any]] = [_section(head)]
    if not groups:
        blocks.append(_section(f":white_check_mark: No errors among {scanned} events."))
    for group in groups[:SHOWN_GROUPS]:
        blocks.append(_group_block(group))
    if len(groups) > SHOWN_GROUPS:
        rest = sum(g.summary.count for g in groups[SHOWN_GROUPS:])
        blocks.append(_section(f"…and {len(groups) - SHOWN_GROUPS} more groups ({rest} errors)."))
    note = f"{scanned} events read · until {end:%H:%M:%S} UTC" + (" · window cut short" if truncated else "")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return f"{total} errors in {len(groups)} groups in {log_group}", fit_blocks(blocks)


def _group_block(group: GroupView) -> dict[str, Any]:
    summary = group.summary
    assert summary.first_seen is not None and summary.last_seen is not None
    culprit = f" in `{escape(truncate(summary.culprit, 120))}`" if summary.culprit else ""
    lines = [
        f"*{summary.count}×* {escape(truncate(summary.title, 300))}{culprit} · {BADGE.get(group.status, group.status)}",
        f"first {slack_date(summary.first_seen)}, last {slack_date(summary.last_seen)} · `{summary.trend}`",
        code_block(truncate(summary.samples[0], 1200)) if summary.samples else "",
    ]
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate("\n".join(line for line in lines if line), 3000)},
        "accessory": {
            "type": "button",
            "text": {"type": "plain_text", "text": "Show samples"},
            "action_id": ActionId.ERRORS_SAMPLES.value,
            "value": ErrorGroupButton(group.id).encode(),
        },
    }


def samples_text(title: str, samples: list[str]) -> str:
    shown = "\n".join(code_block(truncate(sample, 900)) for sample in samples)
    return truncate(f"*Samples of* {escape(truncate(title, 200))}\n{shown}", 3900)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}}
