"""Asking Slack before posting again: every post carries its outbox item in message metadata, so after an attempt
of unknown outcome (a crash, a client timeout, a claim that expired) the drainer looks for the message and adopts
its ts rather than posting a second one."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)
EVENT_TYPE = "boltwatch_item"
LOOKBACK = timedelta(minutes=2)
"""Slack stamps a message with its own clock, which may run a little behind ours."""
WINDOW = timedelta(minutes=10)
"""How long after the attempt Slack may still have created the message (a held request, a slow Slack)."""
PAGE_SIZE = 200
MAX_PAGES = 5


def item_metadata(ordering_key: str, item_id: int) -> dict[str, Any]:
    """The metadata every message the drainer sends carries: which outbox item it is."""
    return {"event_type": EVENT_TYPE, "event_payload": {"key": ordering_key, "item_id": item_id}}


def _is_item(message: dict[str, Any], item_id: int) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == EVENT_TYPE and payload.get("item_id") == item_id


def _slack_ts(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


async def find_posted(
    client: AsyncWebClient, *, channel_id: str, item_id: int, attempted_at: datetime, thread_ts: str | None
) -> dict[str, Any] | None:
    """The message an earlier attempt at `item_id` posted (in the thread of `thread_ts`, if given), if Slack has it.

    Reads the channel (or thread) around the attempt, a bounded number of pages: a message outside that window
    is not one this attempt could have created.
    """
    window: dict[str, Any] = {
        "channel": channel_id,
        "oldest": _slack_ts(attempted_at - LOOKBACK),
        "latest": _slack_ts(attempted_at + WINDOW),
        "inclusive": True,
        "include_all_metadata": True,
        "limit": PAGE_SIZE,
    }
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        if thread_ts is None:
            response = await client.conversations_history(cursor=cursor, **window)
        else:
            response = await client.conversations_replies(ts=thread_ts, cursor=cursor, **window)
        for message in response.get("messages") or []:
            if _is_item(message, item_id):
                return dict(message)
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            return None
    log.warning("outbox item %s: not found in %d pages of %s; posting it", item_id, MAX_PAGES, channel_id)
    return None


async def channel_id_by_name(client: AsyncWebClient, name: str) -> str | None:
    """The id of the channel called `name` (with or without `#`); reading history needs an id, never a name."""
    wanted = name.removeprefix("#")
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        response = await client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor
        )
        for channel in response.get("channels") or []:
            if channel.get("name") == wanted:
                return str(channel["id"])
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            return None
    return None
