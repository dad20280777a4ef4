"""`views.*`: App Home per user and modal stacks opened with trigger ids, plus a submission's ack applied."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.slack.block_limits import VIEW_BLOCKS, block_errors
from sandbox.slack.state import SlackState
from sandbox.slack.web_api import Handler
from sandbox.slack.workspace import APP_ID, BOT_ID, TEAM_ID, SlackError

MODAL_STACK = 3
MODAL_TITLE = 24


def _checked(params: dict[str, Any], kind: str) -> dict[str, Any]:
    view = params.get("view")
    if not isinstance(view, dict) or view.get("type") != kind:
        raise SlackError("invalid_arguments", messages=["[ERROR] must be a valid enum value [json-pointer:/view/type]"])
    errors = block_errors(view.get("blocks", []), limit=VIEW_BLOCKS, root="/view/blocks")
    if kind == "modal":
        title = view.get("title")
        if not isinstance(title, dict) or not title.get("text"):
            errors.append("[ERROR] missing required field: title [json-pointer:/view]")
        elif len(title["text"]) > MODAL_TITLE:
            errors.append(f"[ERROR] must be less than {MODAL_TITLE + 1} characters [json-pointer:/view/title/text]")
    if errors:
        raise SlackError("invalid_arguments", messages=errors)
    return view


def _view(state: SlackState, view: dict[str, Any], *, view_id: str, root_id: str, previous: str | None) -> dict:
    return {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": view["type"],
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"{int(state.now())}.{secrets.token_hex(4)}",
        "title": view.get("title"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": previous,
        "root_view_id": root_id,
        "app_id": APP_ID,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }


def publish(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    user = state.workspace.user(params.get("user_id"))
    view = _checked(params, "home")
    current = state.home_views.get(user.id)
    if current is not None and params.get("hash") and params["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    view_id = current["id"] if current else state.new_id("V")
    state.home_views[user.id] = _view(state, view, view_id=view_id, root_id=view_id, previous=None)
    state.emit("home", user=user.id, message=state.home_views[user.id])
    return {"ok": True, "view": state.home_views[user.id]}


def open_modal(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    view = _checked(params, "modal")
    trigger = state.use_trigger(params.get("trigger_id"))
    view_id = state.new_id("V")
    opened = _view(state, view, view_id=view_id, root_id=view_id, previous=None)
    state.modal_stacks[trigger.user] = [opened]
    state.emit("view", user=trigger.user, message=opened)
    return {"ok": True, "view": opened}


def push(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    view = _checked(params, "modal")
    trigger = state.use_trigger(params.get("trigger_id"))
    stack = state.modal_stacks.get(trigger.user) or []
    if not stack:
        raise SlackError("not_found")
    if len(stack) >= MODAL_STACK:
        raise SlackError("push_limit_reached")
    pushed = _view(state, view, view_id=state.new_id("V"), root_id=stack[0]["id"], previous=stack[-1]["id"])
    stack.append(pushed)
    state.emit("view", user=trigger.user, message=pushed)
    return {"ok": True, "view": pushed}


def find_view(state: SlackState, view_id: str | None = None, external_id: str | None = None) -> tuple[str, int]:
    """The owner of a view and its place in their modal stack (-1 for their Home)."""
    for user, stack in state.modal_stacks.items():
        for index, view in enumerate(stack):
            if view["id"] == view_id or (external_id and view["external_id"] == external_id):
                return user, index
    for user, view in state.home_views.items():
        if view["id"] == view_id or (external_id and view["external_id"] == external_id):
            return user, -1
    raise SlackError("not_found")


def update(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    user, index = find_view(state, params.get("view_id"), params.get("external_id"))
    current = state.home_views[user] if index < 0 else state.modal_stacks[user][index]
    view = _checked(params, current["type"])
    if params.get("hash") and params["hash"] != current["hash"]:
        raise SlackError("hash_conflict")
    updated = _view(
        state, view, view_id=current["id"], root_id=current["root_view_id"], previous=current["previous_view_id"]
    )
    if index < 0:
        state.home_views[user] = updated
    else:
        state.modal_stacks[user][index] = updated
    state.emit("home" if index < 0 else "view", user=user, message=updated)
    return {"ok": True, "view": updated}


def apply_submission_ack(state: SlackState, user: str, view_id: str, ack: dict[str, Any]) -> None:
    """What Slack does with a view_submission's ack: close, clear, update, push, or show errors."""
    stack = state.modal_stacks.get(user, [])
    action = ack.get("response_action")
    if action == "errors" or not stack or stack[-1]["id"] != view_id:
        return
    if action == "clear":
        stack.clear()
    elif action == "update":
        top = stack[-1]
        stack[-1] = _view(state, ack["view"], view_id=top["id"], root_id=top["root_view_id"], previous=None)
    elif action == "push":
        stack.append(_view(state, ack["view"], view_id=state.new_id("V"), root_id=stack[0]["id"], previous=None))
    else:
        stack.pop()
    state.emit("view", user=user, message=stack[-1] if stack else None)


VIEW_METHODS: dict[str, Handler] = {
    "views.publish": publish,
    "views.open": open_modal,
    "views.push": push,
    "views.update": update,
}
