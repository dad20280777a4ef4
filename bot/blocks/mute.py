"""The question `/boltwatch mute` asks of a target that matches nothing Boltwatch knows, and the mute notices."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.blocks.limits import truncate
from bot.blocks.mrkdwn import inline_code, mention, plain, slack_date
from bot.durations import format_duration
from bot.ids import ActionId, MuteButton

SUGGESTIONS_SHOWN = 3


def unknown_target_text(target: str, suggestions: list[str]) -> str:
    shown = [inline_code(truncate(s, 200)) for s in suggestions[:SUGGESTIONS_SHOWN]]
    hint = f"; did you mean {', '.join(shown)}?" if shown else "."
    return f"{inline_code(target)} matches nothing Boltwatch knows{hint}"


def confirm_mute_blocks(request: MuteButton, suggestions: list[str]) -> list[dict[str, Any]]:
    """The problem, then Confirm (mute it anyway, for the length asked) and Cancel."""
    length = format_duration(timedelta(seconds=request.seconds))
    question = f"{unknown_target_text(request.target, suggestions)}\nMute it anyway for {length}?"
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Confirm"},
            "style": "primary",
            "action_id": ActionId.MUTE_CONFIRM.value,
            "value": request.encode(),
        },
        {"type": "button", "text": {"type": "plain_text", "text": "Cancel"}, "action_id": ActionId.MUTE_CANCEL.value},
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": question}},
        {"type": "actions", "elements": buttons},
    ]


def muted_text(user: str, target: str, until: datetime, reason: str) -> str:
    why = f" Reason: {plain(reason)}" if reason else ""
    return f"{mention(user)} muted alerts about {inline_code(target)} until {slack_date(until)}.{why}"
