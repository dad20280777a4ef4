"""Digests into Slack: each one message, its links and media not unfurled (a digest links to many things)."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient


class DigestMessages:
    """The only code that posts digests to Slack."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def post(self, *, channel: str, text: str, blocks: list[dict[str, Any]]) -> str:
        """Post one digest message; returns its ts."""
        response = await self._client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
        return str(response["ts"])
