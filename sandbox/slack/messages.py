"""Channel history: messages, thread replies, edits and ephemerals, in Slack's JSON shapes."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack.workspace import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, SlackError


@dataclass
class Edit:
    """One earlier version of a message, kept when `chat.update` or `replace_original` changed it."""

    text: str
    blocks: list[dict[str, Any]]
    edited_ts: str


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    bot_id: str | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    reply_broadcast: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Message] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    """Message metadata (`event_type`, `event_payload`) the app attached when it posted or updated the message."""

    def to_slack(self, *, with_metadata: bool = False) -> dict[str, Any]:
        """The message as Slack returns it in API responses and interaction payloads; metadata only when asked
        (`include_all_metadata` in history, and the poster's own answer)."""
        message: dict[str, Any] = {"type": "message", "user": self.user, "text": self.text, "ts": self.ts}
        if self.bot_id:
            message |= {
                "bot_id": self.bot_id,
                "app_id": APP_ID,
                "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "Boltwatch", "team_id": TEAM_ID},
            }
        message["team"] = TEAM_ID
        if self.blocks:
            message["blocks"] = copy.deepcopy(self.blocks)
        if self.files:
            message |= {"files": copy.deepcopy(self.files), "upload": True, "display_as_bot": False}
        if self.thread_ts and self.thread_ts != self.ts:
            message["thread_ts"] = self.thread_ts
            message["parent_user_id"] = self.parent_user_id
            if self.reply_broadcast:
                message["subtype"] = "thread_broadcast"
        if self.replies:
            message |= {
                "thread_ts": self.ts,
                "reply_count": len(self.replies),
                "reply_users": sorted({r.user for r in self.replies}),
                "reply_users_count": len({r.user for r in self.replies}),
                "latest_reply": self.replies[-1].ts,
            }
        if self.edits:
            message["edited"] = {"user": self.user, "ts": self.edits[-1].edited_ts}
        if with_metadata and self.metadata is not None:
            message["metadata"] = copy.deepcopy(self.metadata)
        return message


@dataclass
class Ephemeral:
    """A message only `user` sees; from `chat.postEphemeral`, a response_url or a command's ack."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    source: str = "chat.postEphemeral"


class History:
    """Every channel's top-level messages and their threads, keyed by ts."""

    def __init__(self) -> None:
        self._top: dict[str, list[Message]] = {}
        self._by_ts: dict[tuple[str, str], Message] = {}
        self._last_micros = 0
        self.ephemerals: list[Ephemeral] = []

    def next_ts(self, now: float) -> str:
        """A unique, increasing ts, as Slack's are within a workspace."""
        micros = max(round(now * 1_000_000), self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def top_level(self, channel: str) -> list[Message]:
        return list(self._top.get(channel, []))

    def find(self, channel: str, ts: str) -> Message:
        try:
            return self._by_ts[(channel, ts)]
        except KeyError:
            raise SlackError("message_not_found") from None

    def post(self, message: Message) -> Message:
        if message.thread_ts:
            parent = self._by_ts.get((message.channel, message.thread_ts))
            if parent is None:
                raise SlackError("thread_not_found")
            if parent.thread_ts:
                parent = self._by_ts[(message.channel, parent.thread_ts)]
            message.thread_ts, message.parent_user_id = parent.ts, parent.user
            parent.replies.append(message)
            if message.reply_broadcast:
                self._top.setdefault(message.channel, []).append(message)
        else:
            self._top.setdefault(message.channel, []).append(message)
        self._by_ts[(message.channel, message.ts)] = message
        return message

    def update(self, message: Message, *, text: str | None, blocks: list[dict[str, Any]] | None, ts: str) -> None:
        message.edits.append(Edit(text=message.text, blocks=message.blocks, edited_ts=ts))
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = blocks

    def delete(self, message: Message) -> None:
        del self._by_ts[(message.channel, message.ts)]
        top = self._top.get(message.channel, [])
        if message in top:
            top.remove(message)
        if message.thread_ts and message.thread_ts != message.ts:
            parent = self._by_ts.get((message.channel, message.thread_ts))
            if parent is not None and message in parent.replies:
                parent.replies.remove(message)
        for reply in message.replies:
            self._by_ts.pop((reply.channel, reply.ts), None)


def bot_message(channel: str, ts: str, text: str, blocks: list[dict[str, Any]], **extra: Any) -> Message:
    return Message(channel=channel, ts=ts, user=BOT_USER_ID, bot_id=BOT_ID, text=text, blocks=blocks, **extra)
