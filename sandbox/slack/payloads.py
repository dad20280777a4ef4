"""The payloads Slack sends to an app: slash commands, block actions, view submissions and Events API."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.slack.state import SlackState
from sandbox.slack.workspace import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

VERIFICATION_TOKEN = "local-verification-token"


def _user(state: SlackState, user_id: str) -> dict[str, Any]:
    user = state.workspace.user(user_id)
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID}


def _team() -> dict[str, Any]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def slash_command(
    state: SlackState, *, command: str, text: str, user: str, channel: str, response_url: str, trigger_id: str
) -> dict[str, str]:
    """The form fields of a slash command, in the order Slack sends them."""
    the_channel = state.workspace.channel(channel)
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": the_channel.id,
        "channel_name": "directmessage" if the_channel.is_im else the_channel.name,
        "user_id": user,
        "user_name": state.workspace.user(user).name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def find_element(blocks: list[dict[str, Any]], action_id: str, block_id: str | None) -> tuple[str, dict] | None:
    """The interactive element a user can see, with the block_id Slack reports for it."""
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        candidates = [*(block.get("elements") or []), block.get("accessory") or {}, block.get("element") or {}]
        for element in candidates:
            if element.get("action_id") == action_id:
                return block.get("block_id", ""), element
    return None


def action(
    element: dict[str, Any], *, block_id: str, action_ts: str, value: str | None, selected_option: str | None
) -> dict[str, Any]:
    """One entry of `actions`, as Slack builds it from the clicked element."""
    entry: dict[str, Any] = {"action_id": element.get("action_id"), "block_id": block_id, "type": element["type"]}
    if element["type"] == "button":
        entry["text"] = element.get("text")
        entry["value"] = value if value is not None else element.get("value")
        if element.get("style"):
            entry["style"] = element["style"]
    elif element["type"] in ("static_select", "external_select", "overflow", "radio_buttons"):
        options = element.get("options") or []
        if selected_option is None:
            selected_option = (element.get("initial_option") or (options or [{}])[0]).get("value")
        chosen = next((o for o in options if o.get("value") == selected_option), None)
        entry["selected_option"] = chosen or {
            "text": {"type": "plain_text", "text": selected_option},
            "value": selected_option,
        }
        if element.get("placeholder"):
            entry["placeholder"] = element["placeholder"]
    elif value is not None:
        entry["value"] = value
    entry["action_ts"] = action_ts
    return entry


def block_actions(
    state: SlackState,
    *,
    user: str,
    actions: list[dict[str, Any]],
    trigger_id: str,
    channel: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(state, user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": _team(),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = copy.deepcopy(view)
    elif channel is not None:
        the_channel = state.workspace.channel(channel)
        payload["container"] = {"type": "message", "channel_id": the_channel.id, "is_ephemeral": False}
        if message is not None:
            payload["container"]["message_ts"] = message["ts"]
            if message.get("thread_ts", message["ts"]) != message["ts"]:
                payload["container"]["thread_ts"] = message["thread_ts"]
            payload["message"] = copy.deepcopy(message)
        payload["channel"] = {"id": the_channel.id, "name": the_channel.name}
    payload["state"] = {
        "values": {
            entry["block_id"]: {
                entry["action_id"]: {"type": entry["type"], "selected_option": entry["selected_option"]}
            }
            for entry in actions
            if "selected_option" in entry
        }
    }
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = actions
    return payload


def state_values(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`{block: {action: "text"}}` shorthand widened to Slack's `{"type": ..., "value": ...}` entries."""
    return {
        block_id: {
            action_id: entry if isinstance(entry, dict) else {"type": "plain_text_input", "value": entry}
            for action_id, entry in actions.items()
        }
        for block_id, actions in values.items()
    }


def view_submission(
    state: SlackState, *, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]], trigger_id: str
) -> dict[str, Any]:
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": state_values(values)}
    return {
        "type": "view_submission",
        "team": _team(),
        "user": _user(state, user),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_callback(state: SlackState, event: dict[str, Any], *, event_id: str, now: float) -> dict[str, Any]:
    """An Events API envelope; `app_home_opened` gets its channel, tab and current Home view filled in."""
    event = dict(event)
    event.setdefault("event_ts", f"{now:.6f}")
    if event.get("type") == "app_home_opened":
        event.setdefault("channel", state.workspace.channel(event["user"]).id)
        event.setdefault("tab", "home")
        if event["user"] in state.home_views:
            event.setdefault("view", copy.deepcopy(state.home_views[event["user"]]))
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(now),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
