"""The preview `/boltwatch mute` answers with (what the silence would mute now, then Confirm / Cancel), and the mute
notices."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.blocks.incident import SEVERITY_MARK
from bot.blocks.limits import truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import inline_code, mention, plain, slack_date
from bot.durations import format_duration
from bot.ids import ActionId, MuteButton
from bot.views.silence_preview import SilencePreview

SUGGESTIONS_SHOWN = 3


def unknown_target_text(target: str, suggestions: list[str]) -> str:
    shown = [inline_code(truncate(s, 200)) for s in suggestions[:SUGGESTIONS_SHOWN]]
    hint = f"; did you mean {', '.join(shown)}?" if shown else "."
    return f"{inline_code(target)} matches nothing Boltwatch knows{hint}"


def preview_text(what: str, preview: SilencePreview) -> str:
    """`Muting `x` for 2h would mute 3 alerts firing now:` and the first ten of them, most severe first."""
    if not preview.count:
        return f"{what} would mute no alert firing now."
    noun = "alert" if preview.count == 1 else "alerts"
    lines = [f"{what} would mute {preview.count:,} {noun} firing now:"]
    lines.extend(
        f"• {SEVERITY_MARK[a.severity]} {plain(truncate(a.title, 150))} — {inline_code(truncate(a.resource, 100))}"
        for a in preview.top
    )
    if preview.count > len(preview.top):
        lines.append(f"…and {preview.count - len(preview.top):,} more")
    return "\n".join(lines)


def confirm_blocks(text: str, question: str, confirm: ActionId, value: str, cancel: ActionId) -> list[dict[str, Any]]:
    """A preview, its question, then Confirm (with the request as its value) and Cancel."""
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Confirm"},
            "style": "primary",
            "action_id": confirm.value,
            "value": value,
        },
        {"type": "button", "text": {"type": "plain_text", "text": "Cancel"}, "action_id": cancel.value},
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(f"{text}\n{question}", 3000)}},
        {"type": "actions", "elements": buttons},
    ]


def mute_preview(
    request: MuteButton, preview: SilencePreview, *, known: bool, suggestions: list[str]
) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks of `/boltwatch mute`'s private answer: nothing is muted until Confirm."""
    length = format_duration(timedelta(seconds=request.seconds))
    summary = preview_text(f"Muting {inline_code(request.target)} for {length}", preview)
    if known:
        text, question = summary, f"Mute it for {length}? Nothing is muted until you confirm."
    else:
        text = unknown_target_text(request.target, suggestions)
        summary, question = f"{text}\n{summary}", f"Mute it anyway for {length}?"
    blocks = confirm_blocks(summary, question, ActionId.MUTE_CONFIRM, request.encode(), ActionId.MUTE_CANCEL)
    return text, blocks


def muted_text(user: str, target: str, until: datetime, reason: str) -> str:
    why = f" Reason: {plain(reason)}" if reason else ""
    return f"{mention(user)} muted alerts about {inline_code(target)} until {slack_date(until)}.{why}"
