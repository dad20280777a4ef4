"""Failures the local Slack produces on demand: per-channel rate limits, injected faults, outages."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import Fault, LocalSlack
from tests.sandbox.conftest import FakeClock


async def api_error(call) -> dict:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value.response.data


async def test_more_than_one_post_a_second_per_channel_is_rate_limited(
    client: AsyncWebClient, slack: LocalSlack, clock: FakeClock
) -> None:
    slack.rate_limit_per_channel = True
    await client.chat_postMessage(channel="#alerts", text="one")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="#alerts", text="two")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    assert raised.value.response["error"] == "ratelimited"
    await client.chat_postMessage(channel="#ops", text="other channel is fine")
    clock.now += 1.0
    await client.chat_postMessage(channel="#alerts", text="after a second")
    assert [m.text for m in slack.channel_messages("#alerts")] == ["one", "after a second"]


async def test_injected_faults_hit_the_next_calls_only(client: AsyncWebClient, slack: LocalSlack) -> None:
    slack.inject_faults(method="chat.postMessage", status=500, count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="#alerts", text="x")
        assert raised.value.response.status_code == 500
    await client.chat_postMessage(channel="#alerts", text="x")
    assert [call.status for call in slack.calls_to("chat.postMessage")] == [500, 500, 200]


async def test_outage_lasts_until_the_clock_passes_it(
    client: AsyncWebClient, slack: LocalSlack, clock: FakeClock
) -> None:
    slack.outage(until=clock.now + 120, status=503)
    with pytest.raises(SlackApiError):
        await client.auth_test()
    clock.now += 119
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="#alerts", text="x")
    clock.now += 1
    assert (await client.chat_postMessage(channel="#alerts", text="back"))["ok"]


async def test_chat_update_counts_toward_the_channel_rate_limit(client: AsyncWebClient, slack: LocalSlack) -> None:
    slack.rate_limit_per_channel = True
    posted = await client.chat_postMessage(channel="#alerts", text="firing")
    assert (await api_error(client.chat_update(channel="#alerts", ts=posted["ts"], text="acked")))[
        "error"
    ] == "ratelimited"


async def test_fault_hook_chooses_calls_by_their_params(client: AsyncWebClient, slack: LocalSlack) -> None:
    slack.add_fault_hook(lambda method, params: Fault(500) if params.get("channel") == "#ops" else None)
    assert (await client.chat_postMessage(channel="#alerts", text="fine"))["ok"]
    assert (await api_error(client.chat_postMessage(channel="#ops", text="x")))["error"] == "internal_error"


async def test_a_rate_limited_outage_says_when_to_come_back(
    client: AsyncWebClient, slack: LocalSlack, clock: FakeClock
) -> None:
    slack.outage(until=clock.now + 30, status=429)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="#alerts", text="x")
    assert raised.value.response.headers["Retry-After"] == "30"
