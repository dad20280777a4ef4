"""The local Slack's external upload flow, and image blocks that show an uploaded file (`slack_file`)."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import LocalSlack

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def image_block(file_id: str) -> dict:
    return {"type": "image", "block_id": "chart-1", "slack_file": {"id": file_id}, "alt_text": "errors: max 7"}


async def upload(client: AsyncWebClient, data: bytes, *, filename: str = "chart.png", complete: bool = True) -> str:
    answer = await client.files_getUploadURLExternal(filename=filename, length=len(data))
    async with aiohttp.ClientSession() as session, session.post(answer["upload_url"], data=data) as response:
        assert response.status == 200
    if complete:
        await client.files_completeUploadExternal(files=[{"id": answer["file_id"], "title": "chart"}])
    return str(answer["file_id"])


async def error_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SlackApiError) as raised:
        await call
    return str(raised.value.response["error"])


async def test_an_uploaded_image_is_shown_by_an_image_block_and_served_as_png(
    slack: LocalSlack, client: AsyncWebClient
) -> None:
    file_id = await upload(client, PNG)

    await client.chat_postMessage(channel="#alerts", text="chart", blocks=[image_block(file_id)])

    assert slack.file_content(file_id) == PNG
    async with aiohttp.ClientSession() as session, session.get(f"{slack.url}/sandbox/images/{file_id}") as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        assert await response.read() == PNG


async def test_an_image_block_of_an_unknown_or_unfinished_upload_is_refused(client: AsyncWebClient) -> None:
    unfinished = await upload(client, PNG, complete=False)
    for file_id in ("F0000000999", unfinished):
        post = client.chat_postMessage(channel="#alerts", text="chart", blocks=[image_block(file_id)])
        assert await error_of(post) == "invalid_blocks"


async def test_a_text_file_cannot_be_shown_as_an_image(client: AsyncWebClient) -> None:
    file_id = await upload(client, b"hello", filename="notes.txt")
    post = client.chat_postMessage(channel="#alerts", text="chart", blocks=[image_block(file_id)])
    assert await error_of(post) == "invalid_blocks"


async def test_completing_an_upload_whose_bytes_never_came_is_refused(client: AsyncWebClient) -> None:
    answer = await client.files_getUploadURLExternal(filename="chart.png", length=len(PNG))
    complete = client.files_completeUploadExternal(files=[{"id": answer["file_id"]}])
    assert await error_of(complete) == "file_not_found"


async def test_an_upload_url_takes_no_bytes_once_the_upload_is_complete(client: AsyncWebClient) -> None:
    answer = await client.files_getUploadURLExternal(filename="chart.png", length=len(PNG))
    async with aiohttp.ClientSession() as session:
        await session.post(answer["upload_url"], data=PNG)
        await client.files_completeUploadExternal(files=[{"id": answer["file_id"]}])
        async with session.post(answer["upload_url"], data=b"other") as again:
            assert again.status == 404
