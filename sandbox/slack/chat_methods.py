"""`chat.*`: posting, updating and deleting messages, and ephemerals, with Slack's checks and errors."""

from __future__ import annotations

from typing import Any

from sandbox.slack.block_limits import MESSAGE_TEXT, block_errors, slack_file_errors
from sandbox.slack.messages import Ephemeral, bot_message
from sandbox.slack.state import SlackState
from sandbox.slack.web_api import Handler, Refused
from sandbox.slack.workspace import BOT_ID, BOT_USER_ID, SlackError


def flag(value: Any) -> bool:
    """A boolean argument as JSON (`true`) or a form field (`1`, `true`)."""
    return value in (True, 1, "1", "true", "True")


def message_content(
    params: dict[str, Any], *, required: bool = True, state: SlackState | None = None
) -> tuple[str | None, list | None]:
    """The text and blocks of a message, checked against Slack's limits (and, given the `state`, its image blocks'
    `slack_file` references against the files uploaded)."""
    text, blocks = params.get("text"), params.get("blocks")
    if blocks is not None:
        if not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        errors = block_errors(blocks) + (slack_file_errors(blocks, state.files) if state is not None else [])
        if errors:
            raise SlackError("invalid_blocks", messages=errors)
    if text is not None and len(str(text)) > MESSAGE_TEXT:
        raise SlackError("msg_too_long")
    if required and not text and not blocks and not params.get("attachments"):
        raise SlackError("no_text")
    return (None if text is None else str(text)), blocks


def message_metadata(params: dict[str, Any]) -> dict[str, Any] | None:
    """`metadata` as Slack takes it: an object with a string `event_type` and an object `event_payload`."""
    metadata = params.get("metadata")
    if metadata is None:
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def _posting_limit(state: SlackState, method: str, channel_id: str) -> None:
    fault = state.faults.posting_limit(method, channel_id)
    if fault is not None:
        raise Refused(fault)


def post_message(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    channel = state.workspace.channel(params.get("channel"))
    if channel.is_archived:
        raise SlackError("is_archived")
    if BOT_USER_ID not in channel.members:
        raise SlackError("not_in_channel")
    _posting_limit(state, "chat.postMessage", channel.id)
    text, blocks = message_content(params, state=state)
    metadata = message_metadata(params)
    thread_ts = params.get("thread_ts") or None
    message = bot_message(
        channel.id,
        state.history.next_ts(state.now()),
        text or "",
        blocks or [],
        thread_ts=thread_ts,
        reply_broadcast=bool(thread_ts) and flag(params.get("reply_broadcast")),
        metadata=metadata,
    )
    state.history.post(message)
    state.emit("reply" if thread_ts else "message", channel=channel.id, message=message)
    return {"ok": True, "channel": channel.id, "ts": message.ts, "message": message.to_slack(with_metadata=True)}


def update(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    channel = state.workspace.channel(params.get("channel"))
    message = state.history.find(channel.id, str(params.get("ts", "")))
    if message.bot_id != BOT_ID:
        raise SlackError("cant_update_message")
    if channel.is_archived:
        raise SlackError("is_archived")
    _posting_limit(state, "chat.update", channel.id)
    text, blocks = message_content(params, state=state)
    metadata = message_metadata(params)
    state.history.update(message, text=text, blocks=blocks, ts=state.history.next_ts(state.now()))
    if metadata is not None:
        message.metadata = metadata
    state.emit("update", channel=channel.id, message=message)
    answer = message.to_slack(with_metadata=True)
    return {"ok": True, "channel": channel.id, "ts": message.ts, "text": message.text, "message": answer}


def post_ephemeral(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    channel = state.workspace.channel(params.get("channel"))
    user = state.workspace.user(params.get("user"))
    if user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks = message_content(params, state=state)
    ephemeral = Ephemeral(
        channel=channel.id,
        user=user.id,
        ts=state.history.next_ts(state.now()),
        text=text or "",
        blocks=blocks or [],
        thread_ts=params.get("thread_ts") or None,
    )
    state.history.ephemerals.append(ephemeral)
    state.emit("ephemeral", channel=channel.id, user=user.id, message=ephemeral)
    return {"ok": True, "message_ts": ephemeral.ts}


def delete(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    channel = state.workspace.channel(params.get("channel"))
    message = state.history.find(channel.id, str(params.get("ts", "")))
    if message.bot_id != BOT_ID:
        raise SlackError("cant_delete_message")
    state.history.delete(message)
    state.emit("delete", channel=channel.id, message=message)
    return {"ok": True, "channel": channel.id, "ts": message.ts}


CHAT_METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.delete": delete,
}
