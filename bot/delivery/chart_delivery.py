"""Charts in incident threads are best-effort: what Slack's unavailability delays is waited out like any item, but a
chart that fails for its own reasons (its metric cannot be read, it cannot be drawn, Slack refuses the file or the
image block) is given up after a few tries. Its own ordering key means the incident's updates never wait for it."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.charts.model import ChartImage
from bot.delivery.refusals import TRANSIENT_ERRORS, Refusal, refusal

CHART_ATTEMPTS = 4
"""Tries of a chart that fails for its own reasons before it is given up (2, 4, 8 s apart)."""
ALT_TXT_LIMIT = 1000
"""`files.getUploadURLExternal`'s `alt_txt` limit."""


def failed_by_itself(exc: Exception) -> bool:
    """True when the chart is what failed; False when Slack is busy, down, unreachable or refuses the token, which
    every outbox item waits out (so an outage or a 429 loses no chart)."""
    if isinstance(exc, SlackApiError):
        status, error = exc.response.status_code, str(exc.response.get("error", ""))
        waits = status == 429 or status >= 500 or error in TRANSIENT_ERRORS or refusal(error) is Refusal.AUTH
        return not waits
    if isinstance(exc, aiohttp.ClientResponseError):
        return exc.status < 500 and exc.status != 429
    return not isinstance(exc, (aiohttp.ClientError, TimeoutError, OSError))


async def upload_image(client: AsyncWebClient, image: ChartImage) -> str:
    """Slack's external upload: an upload URL, the bytes, then completion without a channel (a private file that the
    image block shows). Returns the file's id."""
    answer = await client.files_getUploadURLExternal(
        filename=image.filename, length=len(image.png), alt_txt=image.alt_text[:ALT_TXT_LIMIT]
    )
    session = client.session or aiohttp.ClientSession()
    try:
        async with session.post(answer["upload_url"], data=image.png) as response:
            response.raise_for_status()
    finally:
        if session is not client.session:
            await session.close()
    file_id = str(answer["file_id"])
    await client.files_completeUploadExternal(files=[{"id": file_id, "title": image.title}])
    return file_id
