"""A chart's own failures, told apart from Slack's refusals of the channel or the token, and the upload itself.

A chart goes the way of its incident's other outbox items for everything that is not about the chart: a 429, an
outage, a refused token, a channel the bot is not in or that is gone or archived (blocked, joined, retried: never
dropped). What fails for the chart's own reasons (its metric cannot be read, it cannot be drawn, Slack rejects its
bytes or its image block) is tried `CHART_ATTEMPTS` times, then given up with one log line. Its own ordering key means
the incident's updates never wait for it."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.charts.model import ChartImage

CHART_ATTEMPTS = 4
"""Tries of a chart that fails for its own reasons before it is given up (2, 4, 8 s apart)."""
ALT_TXT_LIMIT = 1000
"""`files.getUploadURLExternal`'s `alt_txt` limit."""
CHART_REFUSALS = frozenset(
    {
        # files.getUploadURLExternal: this file's description, size or length.
        "alt_txt_too_large",
        "file_upload_size_restricted",
        "missing_argument",
        "invalid_arguments",
        # files.completeUploadExternal: the upload it finishes never arrived (a retry uploads afresh).
        "file_not_found",
        # chat.postMessage / chat.update: the image block, or the file it shows ("invalid slack file" while Slack
        # still processes an upload is why this is retried a few times before it is given up).
        "invalid_blocks",
        "invalid_blocks_format",
    }
)
"""Slack's documented errors of the upload flow and of an image block that are about this chart: sending it again
as it is cannot succeed (after a few tries). Workspace-wide refusals (`file_uploads_disabled`, `missing_scope`,
`storage_limit_reached` ...) are not here: they need an admin's fix, so the chart is blocked and shown as any item
would be, not dropped."""


def failed_by_itself(exc: Exception) -> bool:
    """True when the chart is what failed; False when Slack is busy, down or unreachable, or refuses the channel or
    the token, which the chart waits out like every outbox item (so neither a 429 nor a channel loses a chart)."""
    if isinstance(exc, SlackApiError):
        return exc.response.status_code != 429 and str(exc.response.get("error", "")) in CHART_REFUSALS
    if isinstance(exc, aiohttp.ClientResponseError):
        # The upload URL's answer: Slack says any status but 200 is a failure; only 429 and 5xx say "later".
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
