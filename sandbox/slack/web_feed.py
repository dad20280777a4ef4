"""What the browser view shows, as JSON: channels, messages with threads and files, ephemerals, Home, modal."""

from __future__ import annotations

from typing import Any

from sandbox.slack.messages import Ephemeral, Message
from sandbox.slack.state import SlackState, UploadedFile
from sandbox.slack.workspace import BOT_USER_ID

PREVIEW_CHARS = 1500
"""How much of an uploaded text file the view shows inline, before its download link."""


def file_url(upload_id: str, name: str) -> str:
    """Where the browser downloads an upload (the Web API's `url_private` wants the bot token)."""
    return f"/sandbox/files/{upload_id}/{name}"


def _file(state: SlackState, shared: dict[str, Any]) -> dict[str, Any]:
    upload: UploadedFile | None = state.files.get(str(shared.get("id")))
    content = upload.content if upload is not None and upload.content is not None else b""
    name = str(shared.get("name", "file"))
    return {
        "name": name,
        "title": shared.get("title") or name,
        "size": len(content),
        "url": file_url(str(shared.get("id")), name),
        "preview": content[:PREVIEW_CHARS].decode("utf-8", errors="replace"),
        "truncated": len(content) > PREVIEW_CHARS,
    }


def _message(state: SlackState, message: Message, *, with_replies: bool = True) -> dict[str, Any]:
    user = state.workspace.users.get(message.user)
    entry: dict[str, Any] = {
        "ts": message.ts,
        "user": message.user,
        "user_name": user.real_name if user else message.user,
        "is_bot": message.user == BOT_USER_ID,
        "text": message.text,
        "blocks": message.blocks,
        "files": [_file(state, shared) for shared in message.files],
        "edited": bool(message.edits),
        "broadcast": message.reply_broadcast,
    }
    if with_replies:
        entry["replies"] = [_message(state, reply, with_replies=False) for reply in message.replies]
    return entry


def _ephemeral(ephemeral: Ephemeral) -> dict[str, Any]:
    return {
        "ts": ephemeral.ts,
        "user": BOT_USER_ID,
        "user_name": "Boltwatch",
        "is_bot": True,
        "text": ephemeral.text,
        "blocks": ephemeral.blocks,
        "files": [],
        "edited": False,
        "ephemeral": True,
        "replies": [],
    }


def visible_channels(state: SlackState, viewer: str) -> list[dict[str, str]]:
    """Channels the bot posted to or whispered in for `viewer`, and #alerts always, in the workspace's order."""
    used = _channels_with_messages(state)
    used |= {e.channel for e in state.history.ephemerals if e.user == viewer}
    listed = []
    for channel in state.workspace.channels.values():
        if channel.id in used or channel.name == "alerts":
            label = "Boltwatch (DM)" if channel.is_im else channel.name
            listed.append({"id": channel.id, "name": label})
    return listed


def _channels_with_messages(state: SlackState) -> set[str]:
    return {channel.id for channel in state.workspace.channels.values() if state.history.top_level(channel.id)}


def channel_feed(state: SlackState, channel_id: str, viewer: str) -> list[dict[str, Any]]:
    """Top-level messages and `viewer`'s ephemerals in the channel, oldest first."""
    entries = [_message(state, message) for message in state.history.top_level(channel_id)]
    entries += [_ephemeral(e) for e in state.history.ephemerals if e.channel == channel_id and e.user == viewer]
    return sorted(entries, key=lambda entry: float(entry["ts"]))


def snapshot(state: SlackState, *, channel: str | None, viewer: str, version: int) -> dict[str, Any]:
    """Everything the page renders for `viewer` looking at `channel` (the first listed one when None)."""
    channels = visible_channels(state, viewer)
    selected = channel if any(c["id"] == channel for c in channels) else (channels[0]["id"] if channels else None)
    stack = state.modal_stacks.get(viewer) or []
    return {
        "version": version,
        "viewer": {"id": viewer, "name": state.workspace.user(viewer).real_name},
        "users": {user.id: user.real_name for user in state.workspace.users.values()},
        "channels": channels,
        "channel": selected,
        "messages": channel_feed(state, selected, viewer) if selected else [],
        "home": state.home_views.get(viewer),
        "modal": stack[-1] if stack else None,
    }
