"""What operators see of Slack's refusals: `/healthz` says why delivery is stuck, `/metrics` counts every Slack
error by API method and error code, and the incident goes out once the cause is fixed."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError

from sandbox.aws.server import MotoHandle
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import RunningBot, base_config, running_bot


async def health(bot: RunningBot) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.base_url}/healthz") as response:
        return response.status, await response.json()


async def metrics(bot: RunningBot) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.base_url}/metrics") as response:
        return await response.text()


async def alarm_fires(bot: RunningBot) -> None:
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()


async def test_healthz_is_503_while_a_revoked_token_pauses_delivery_and_200_once_it_is_restored(
    moto: MotoHandle, database_url: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        bot.slack.revoke_token()
        await alarm_fires(bot)

        status, body = await health(bot)
        assert status == 503
        assert body["delivery"] == "delivery paused: Slack refuses the bot token (token_revoked)"
        assert 'boltwatch_slack_api_errors_total{error="token_revoked",method="chat.postMessage"} 1.0' in (
            await metrics(bot)
        )

        bot.slack.restore_token()
        bot.clock.advance(minutes=1)
        await bot.drain()
        assert await health(bot) == (200, {**body, "delivery": "ok"})
        assert len(bot.slack.channel_messages("#alerts")) == 1


async def test_an_item_blocked_for_over_a_minute_makes_healthz_503_and_shows_in_status_and_home(
    moto: MotoHandle, database_url: str
) -> None:
    config = base_config(slack={"channel": "#db-alerts"})
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        await alarm_fires(bot)
        assert (await health(bot))[0] == 200  # refused a moment ago: not yet a health problem

        bot.clock.advance(seconds=61)
        status, body = await health(bot)
        assert status == 503
        assert body["delivery"] == "1 outbox item(s) blocked for over a minute; #db-alerts: channel_not_found"

        await bot.command("/boltwatch", "status")
        status = await bot.wait_for(lambda: bot.slack.ephemerals())
        assert "incident #1 message for #db-alerts: Slack answers `channel_not_found`" in str(status[-1].blocks)
        await bot.slack.send_event(bot.events_url, event={"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        home = await bot.wait_for(lambda: bot.slack.home_view("U0ALICE"))
        assert "*Not delivered* (1)" in str(home["blocks"])

        bot.slack.add_channel("#db-alerts")
        bot.clock.advance(minutes=6)
        await bot.drain()
        assert (await health(bot))[0] == 200
        assert len(bot.slack.channel_messages("#db-alerts")) == 1


async def test_metrics_label_slack_errors_by_api_method_and_file_uploads_as_one_series(
    moto: MotoHandle, database_url: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        client = bot.app.bolt.client
        for _ in range(2):
            await client.files_upload_v2(channel="C0ALERTS", content="log line", filename="logs.txt")
        with pytest.raises(SlackApiError):
            await client.conversations_join(channel="C0NOWHERE")

        text = await metrics(bot)
        assert 'boltwatch_slack_api_errors_total{error="channel_not_found",method="conversations.join"} 1.0' in text
        assert 'boltwatch_slack_api_calls_total{method="file_upload"} 2.0' in text
        assert 'boltwatch_slack_api_calls_total{method="F0' not in text
