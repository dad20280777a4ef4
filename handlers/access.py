"""The access rules, asked the same way by every command and button: who, in which channel (id and name as Slack
signed them)."""

from __future__ import annotations

from typing import Any

from bot.core.access import Action, may
from bot.services import Services


def command_refusal(services: Services, action: Action, command: dict[str, Any]) -> str | None:
    """Why this slash command may not run here for this user, or None. By default a command runs anywhere."""
    channel = command.get("channel_id", "")
    verdict = may(
        services.settings.file.access, action=action, user=command.get("user_id", ""), channel=channel,
        home_channels={channel}, channel_name=command.get("channel_name"),
    )  # fmt: skip
    return None if verdict.allowed else f"You can't use {action.value} here: {verdict.why}"


def click_refusal(services: Services, action: Action, body: dict[str, Any]) -> str | None:
    """Why this click may not act here for this user, or None. By default a button works where it was posted."""
    where = body.get("channel") or {}
    verdict = may(
        services.settings.file.access, action=action, user=(body.get("user") or {}).get("id", ""),
        channel=where.get("id", ""), home_channels={where.get("id", "")}, channel_name=where.get("name"),
    )  # fmt: skip
    return None if verdict.allowed else f"You can't use {action.value} here: {verdict.why}"


async def refused_click(services: Services, action: Action, body: dict[str, Any], client: Any) -> bool:
    """True (and the user told why, privately) when the access rules refuse this click."""
    refusal = click_refusal(services, action, body)
    if refusal is not None:
        channel, user = (body.get("channel") or {}).get("id", ""), (body.get("user") or {}).get("id", "")
        if channel and user:
            await client.chat_postEphemeral(channel=channel, user=user, text=refusal)
    return refusal is not None
