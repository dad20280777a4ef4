"""The local Slack's message metadata and history methods, as slack_sdk's AsyncWebClient sees them over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import LocalSlack
from tests.sandbox.conftest import FakeClock

METADATA = {"event_type": "boltwatch_item", "event_payload": {"key": "incident:1", "item_id": 7}}


async def post(client: AsyncWebClient, clock: FakeClock, text: str, **extra: object) -> str:
    """Post `text` to #alerts one second after the previous post; returns its ts."""
    clock.now += 1
    return (await client.chat_postMessage(channel="#alerts", text=text, **extra))["ts"]


async def test_metadata_is_kept_and_returned_only_when_history_asks_for_all_of_it(
    client: AsyncWebClient, clock: FakeClock
) -> None:
    posted = await client.chat_postMessage(channel="#alerts", text="disk full", metadata=METADATA)
    assert posted["message"]["metadata"] == METADATA

    plain = await client.conversations_history(channel="C0ALERTS")
    full = await client.conversations_history(channel="C0ALERTS", include_all_metadata=True)

    assert "metadata" not in plain["messages"][0]
    assert full["messages"][0]["metadata"] == METADATA


async def test_an_update_replaces_the_metadata(client: AsyncWebClient, clock: FakeClock) -> None:
    ts = await post(client, clock, "disk full", metadata=METADATA)
    later = {"event_type": "boltwatch_item", "event_payload": {"key": "incident:1", "item_id": 8}}
    await client.chat_update(channel="C0ALERTS", ts=ts, text="disk fine", metadata=later)

    [message] = (await client.conversations_history(channel="C0ALERTS", include_all_metadata=True))["messages"]
    assert message["metadata"] == later


async def test_malformed_metadata_is_refused(client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="#alerts", text="x", metadata={"event_type": "x"})
    assert raised.value.response["error"] == "invalid_metadata_format"


async def test_history_is_newest_first_within_oldest_and_latest_in_cursor_pages(
    client: AsyncWebClient, clock: FakeClock
) -> None:
    stamps = [await post(client, clock, f"message {n}") for n in range(5)]

    window = {"channel": "C0ALERTS", "oldest": stamps[0], "latest": stamps[4], "limit": 2}
    first = await client.conversations_history(**window)
    second = await client.conversations_history(cursor=first["response_metadata"]["next_cursor"], **window)
    inclusive = await client.conversations_history(channel="C0ALERTS", oldest=stamps[0], inclusive=True)

    assert [m["ts"] for m in first["messages"]] == [stamps[3], stamps[2]] and first["has_more"] is True
    assert [m["ts"] for m in second["messages"]] == [stamps[1]] and second["has_more"] is False
    assert second["response_metadata"]["next_cursor"] == ""
    assert [m["ts"] for m in inclusive["messages"]] == stamps[::-1]


async def test_history_takes_a_channel_id_never_a_name_and_needs_the_bot_in_the_channel(
    client: AsyncWebClient, slack: LocalSlack
) -> None:
    slack.add_channel("#quiet", bot_is_member=False)
    for channel, error in (("#alerts", "channel_not_found"), ("C0QUIET", "not_in_channel")):
        with pytest.raises(SlackApiError) as raised:
            await client.conversations_history(channel=channel)
        assert raised.value.response["error"] == error


async def test_replies_list_the_parent_then_its_replies_with_their_metadata(
    client: AsyncWebClient, clock: FakeClock
) -> None:
    parent = await post(client, clock, "disk full")
    reply = await post(client, clock, "acknowledged", thread_ts=parent, metadata=METADATA)

    thread = await client.conversations_replies(channel="C0ALERTS", ts=parent, include_all_metadata=True)

    assert [(m["ts"], m.get("metadata")) for m in thread["messages"]] == [(parent, None), (reply, METADATA)]


async def test_conversations_list_names_the_channels_and_their_ids(client: AsyncWebClient, slack: LocalSlack) -> None:
    slack.add_channel("#secret", private=True)
    public = await client.conversations_list()
    everything = await client.conversations_list(types="public_channel,private_channel")

    assert {c["name"]: c["id"] for c in public["channels"]} == {
        "alerts": "C0ALERTS",
        "ops": "C0OPS",
        "general": "C0GENERAL",
    }
    assert "C0SECRET" in {c["id"] for c in everything["channels"]}


async def test_a_held_answer_comes_after_the_work_is_done(client: AsyncWebClient, slack: LocalSlack) -> None:
    hold = slack.hold_answers(method="chat.postMessage")
    sending = asyncio.create_task(client.chat_postMessage(channel="#alerts", text="disk full"))
    await slack.wait_for(lambda: hold.held)

    assert [m.text for m in slack.channel_messages("#alerts")] == ["disk full"] and not sending.done()
    hold.release()
    assert (await sending)["ok"] is True
