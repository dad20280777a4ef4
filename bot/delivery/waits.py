"""`/wait` progress in Slack: the job's one message updated in place (`chat.update`, not `response_url`, whose
30-minute life is shorter than many waiters), and a reply in its thread when the job ends."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class WaitMessages:
    """The only code that writes `/wait` progress to Slack."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def show(
        self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]], outcome: str | None = None
    ) -> bool:
        """Update the wait's message; with `outcome` (the job ended), say so in the message's thread. False (and
        logged) when Slack could not be reached or refused: the caller shows it again later."""
        try:
            await self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            if outcome is not None:
                await self._client.chat_postMessage(channel=channel, thread_ts=ts, text=outcome)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not show the wait of message %s in %s in Slack: %s", ts, channel, exc)
            return False
        return True
