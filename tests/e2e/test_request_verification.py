"""Verify, then parse: whatever an unsigned request carries is never read, let alone called back."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, running_bot

JUNK = ["payload={bad", "{", "payload=[]", "payload=null", "payload=" + "[" * 5000 + "]" * 5000, ""]


@pytest.fixture
async def bot(moto: MotoHandle, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(moto=moto, database_url=f"sqlite:///{tmp_path / 'boltwatch.db'}") as running:
        yield running


@pytest.fixture
async def trap() -> AsyncIterator[tuple[str, list[str]]]:
    """A URL that records every request made to it."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(await request.text())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/hook", seen
    await runner.cleanup()


def signed(secret: str, body: str, timestamp: str | None = None) -> dict[str, str]:
    stamp = timestamp or str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def secret_of(bot: RunningBot) -> str:
    return bot.slack.environment()["SLACK_SIGNING_SECRET"]


async def post(bot: RunningBot, body: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(bot.events_url, data=body, headers=headers) as response:
        return response.status


async def test_an_unsigned_request_with_a_timestamp_that_is_no_number_calls_nobody_back(
    bot: RunningBot, trap: tuple[str, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    url, seen = trap
    body = urlencode({"command": "/boltwatch", "text": "help", "user_id": "U0ALICE", "response_url": url})
    headers = {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=00", "Content-Type": "x"}

    with caplog.at_level(logging.INFO):
        status = await post(bot, body, headers)

    assert status == 401
    assert seen == []
    assert bot.slack.ephemerals() == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []
    assert any("refused a request to /slack/events" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("body", JUNK, ids=range(len(JUNK)))
async def test_unsigned_junk_is_refused_before_it_is_parsed(bot: RunningBot, body: str) -> None:
    assert await post(bot, body, {"Content-Type": "application/x-www-form-urlencoded"}) == 401
    stale = str(int(time.time()) - 400)
    assert await post(bot, body, signed(secret_of(bot), body, stale)) == 401
    assert await post(bot, body, signed("not-the-secret", body)) == 401


@pytest.mark.parametrize("body", JUNK[:5], ids=range(5))
async def test_signed_junk_gets_400_not_a_traceback(
    bot: RunningBot, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    status = await post(bot, body, signed(secret_of(bot), body))
    assert status in {400, 404}
    assert [r for r in caplog.records if r.exc_info] == []


async def test_a_signed_command_is_still_answered(bot: RunningBot) -> None:
    body = urlencode({"command": "/boltwatch", "text": "help", "user_id": "U0ALICE", "channel_id": "C0ALERTS"})
    assert await post(bot, body, signed(secret_of(bot), body)) == 200


async def test_a_replayed_signed_command_is_answered_without_running_twice(bot: RunningBot) -> None:
    body = urlencode(
        {"command": "/boltwatch", "text": "status", "user_id": "U0ALICE", "channel_id": "C0ALERTS",
         "response_url": bot.slack.url + "/response_url/replayed", "trigger_id": "replayed.1"}
    )  # fmt: skip
    headers = signed(secret_of(bot), body)

    assert await post(bot, body, headers) == 200
    assert await post(bot, body, headers) == 200
    await bot.wait_for(lambda: bot.slack.responses)
    await asyncio.sleep(0.5)  # time for a second run, had there been one
    assert len(bot.slack.responses) == 1


async def test_an_event_slack_retries_is_handled_once(bot: RunningBot) -> None:
    event = {
        "type": "event_callback", "event_id": "Ev0RETRIED", "team_id": "T0TEAM", "api_app_id": "A0BOLTWATCH",
        "event": {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0ALICE", "tab": "home"},
    }  # fmt: skip
    body = json.dumps(event)
    headers = signed(secret_of(bot), body) | {"Content-Type": "application/json"}
    assert await post(bot, body, headers) == 200
    retry = signed(secret_of(bot), body, str(int(time.time()) + 1)) | {
        "Content-Type": "application/json", "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout",
    }  # fmt: skip
    assert await post(bot, body, retry) == 200
    await bot.wait_for(lambda: bot.slack.calls_to("views.publish"))
    await asyncio.sleep(0.5)
    assert len(bot.slack.calls_to("views.publish")) == 1
