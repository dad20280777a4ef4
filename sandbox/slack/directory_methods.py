"""`auth.test`, `conversations.info`, `conversations.join` and `users.info`."""

from __future__ import annotations

from typing import Any

from sandbox.slack.state import SlackState
from sandbox.slack.web_api import Handler
from sandbox.slack.workspace import (
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    SlackError,
)


def auth_test(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": BOT_NAME,
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def conversations_info(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    channel = state.workspace.channel(params.get("channel"))
    if channel.is_private and BOT_USER_ID not in channel.members:
        raise SlackError("channel_not_found")
    return {"ok": True, "channel": channel.to_slack()}


def conversations_join(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    channel = state.workspace.channel(params.get("channel"))
    if channel.is_im or (channel.is_private and BOT_USER_ID not in channel.members):
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    body: dict[str, Any] = {"ok": True}
    if BOT_USER_ID in channel.members:
        body |= {"warning": "already_in_channel", "response_metadata": {"warnings": ["already_in_channel"]}}
    channel.members.add(BOT_USER_ID)
    body["channel"] = channel.to_slack()
    state.recorder.changed()
    return body


def users_info(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "user": state.workspace.user(params.get("user")).to_slack()}


DIRECTORY_METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "conversations.info": conversations_info,
    "conversations.join": conversations_join,
    "users.info": users_info,
}
