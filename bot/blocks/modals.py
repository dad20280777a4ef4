"""Modals: the custom snooze."""

from __future__ import annotations

from typing import Any

from bot.ids import CallbackId


def snooze_modal(incident_id: int, private_metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.SNOOZE_MODAL.value,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": f"Snooze incident #{incident_id}"[:24]},
        "submit": {"type": "plain_text", "text": "Snooze"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "duration",
                "label": {"type": "plain_text", "text": "For how long"},
                "hint": {"type": "plain_text", "text": "Like 45m, 2h, 3d (at most 30 days)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "placeholder": {"type": "plain_text", "text": "2h"},
                },
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            },
        ],
    }
