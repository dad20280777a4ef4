"""`conversations.history`, `conversations.replies` and `conversations.list`: reading what is in the workspace, with
Slack's time windows (`oldest`, `latest`, `inclusive`), cursor pages and `include_all_metadata`."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from sandbox.slack.chat_methods import flag
from sandbox.slack.messages import Message
from sandbox.slack.state import SlackState
from sandbox.slack.web_api import Handler
from sandbox.slack.workspace import BOT_USER_ID, Channel, SlackError

HISTORY_LIMITS = (100, 999)
LIST_LIMITS = (100, 1000)


def micros(ts: str) -> int:
    """A Slack timestamp (`1700000000.000100`, or whole seconds) in microseconds, compared without float rounding."""
    seconds, _, fraction = str(ts).partition(".")
    try:
        return int(seconds or 0) * 1_000_000 + int((fraction + "000000")[:6])
    except ValueError:
        raise SlackError("invalid_ts_oldest") from None


def _readable(state: SlackState, params: dict[str, Any]) -> Channel:
    """History methods take a channel id only (never a `#name`), and the bot must be in the channel."""
    channel = state.workspace.channels.get(str(params.get("channel") or ""))
    if channel is None or (channel.is_private and BOT_USER_ID not in channel.members):
        raise SlackError("channel_not_found")
    if BOT_USER_ID not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def _in_window(messages: list[Message], params: dict[str, Any]) -> list[Message]:
    """After `oldest` and before `latest` (their own ts too when `inclusive`); without `latest`, up to now."""
    oldest = micros(params.get("oldest") or "0")
    latest = micros(params["latest"]) if params.get("latest") else None
    inclusive = flag(params.get("inclusive"))

    def within(ts: int) -> bool:
        after = oldest <= ts if inclusive else oldest < ts
        before = latest is None or (ts <= latest if inclusive else ts < latest)
        return after and before

    return [message for message in messages if within(micros(message.ts))]


def _page(items: Sequence[Any], params: dict[str, Any], limits: tuple[int, int]) -> tuple[list[Any], str]:
    """One page of `items` from the cursor's offset, and the cursor of the next page ("" at the end)."""
    default, most = limits
    try:
        limit = min(max(int(params.get("limit") or default), 1), most)
        start = int(base64.b64decode(params["cursor"]).decode().removeprefix("offset:")) if params.get("cursor") else 0
    except ValueError:
        raise SlackError("invalid_cursor") from None
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    return page, base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""


def _messages_answer(page: list[Message], cursor: str, params: dict[str, Any]) -> dict[str, Any]:
    with_metadata = flag(params.get("include_all_metadata"))
    return {
        "ok": True,
        "messages": [message.to_slack(with_metadata=with_metadata) for message in page],
        "has_more": bool(cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


def conversations_history(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    """Top-level messages (and broadcast replies), newest first."""
    channel = _readable(state, params)
    messages = _in_window(state.history.top_level(channel.id), params)
    page, cursor = _page(list(reversed(messages)), params, HISTORY_LIMITS)
    return _messages_answer(page, cursor, params)


def conversations_replies(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    """A thread, oldest first: the parent, then its replies."""
    channel = _readable(state, params)
    message = state.history.find(channel.id, str(params.get("ts") or ""))
    parent = state.history.find(channel.id, message.thread_ts) if message.thread_ts else message
    thread = _in_window([parent, *parent.replies], params)
    page, cursor = _page(thread, params, HISTORY_LIMITS)
    return _messages_answer(page, cursor, params)


def conversations_list(state: SlackState, params: dict[str, Any]) -> dict[str, Any]:
    """Channels of the asked `types` (public by default); private ones only when the bot is in them."""
    types = set(str(params.get("types") or "public_channel").split(","))
    channels = [
        channel
        for channel in state.workspace.channels.values()
        if not channel.is_im
        and (("private_channel" in types) if channel.is_private else ("public_channel" in types))
        and (not channel.is_private or BOT_USER_ID in channel.members)
        and not (channel.is_archived and flag(params.get("exclude_archived")))
    ]
    page, cursor = _page(channels, params, LIST_LIMITS)
    return {
        "ok": True,
        "channels": [channel.to_slack() for channel in page],
        "response_metadata": {"next_cursor": cursor},
    }


HISTORY_METHODS: dict[str, Handler] = {
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "conversations.list": conversations_list,
}
