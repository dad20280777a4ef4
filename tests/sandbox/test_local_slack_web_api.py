"""The local Slack's Web API, driven by slack_sdk's AsyncWebClient over real HTTP."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import BOT_USER_ID, LocalSlack
from tests.sandbox.conftest import FakeClock


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, value: str = "v", action_id: str = "incident_ack") -> dict:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": text}, "value": value}


async def api_error(call) -> dict:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value.response.data


async def test_auth_test_describes_the_bot_as_bolt_expects(client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["user_id"] == BOT_USER_ID
    assert {"url", "team", "user", "team_id", "bot_id"} <= response.data.keys()


async def test_missing_or_wrong_token_is_refused(slack: LocalSlack) -> None:
    assert (await api_error(AsyncWebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test()))[
        "error"
    ] == "invalid_auth"
    assert (await api_error(AsyncWebClient(base_url=slack.api_url).auth_test()))["error"] == "not_authed"


async def test_unknown_method_is_reported(client: AsyncWebClient) -> None:
    assert (await api_error(client.api_call("chat.explode")))["error"] == "unknown_method"


async def test_post_by_channel_name_answers_with_the_channel_id(client: AsyncWebClient, slack: LocalSlack) -> None:
    response = await client.chat_postMessage(channel="#alerts", text="disk full", blocks=[section("*disk full*")])
    assert response["channel"] == "C0ALERTS"
    assert response["message"]["blocks"][0]["text"]["text"] == "*disk full*"
    [stored] = slack.channel_messages("C0ALERTS")
    assert (stored.ts, stored.text, stored.bot_id) == (response["ts"], "disk full", "B0BOLTWATCH")
    assert slack.calls_to("chat.postMessage")[0].params["blocks"] == [section("*disk full*")]


async def test_form_encoded_calls_are_decoded_like_json_ones(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as session:
        form = {"token": "xoxb-test", "channel": "ops", "text": "hi", "blocks": '[{"type": "divider"}]'}
        async with session.post(slack.api_url + "chat.postMessage", data=form) as response:
            body = await response.json()
    assert body["ok"] and body["channel"] == "C0OPS"
    assert slack.channel_messages("#ops")[0].blocks == [{"type": "divider"}]


async def test_thread_replies_and_broadcasts_land_under_their_parent(client: AsyncWebClient, slack: LocalSlack) -> None:
    parent = await client.chat_postMessage(channel="#alerts", text="incident")
    await client.chat_postMessage(channel="#alerts", text="acked by alice", thread_ts=parent["ts"])
    await client.chat_postMessage(channel="#alerts", text="resolved", thread_ts=parent["ts"], reply_broadcast=True)
    assert [m.text for m in slack.thread("#alerts", parent["ts"])] == ["acked by alice", "resolved"]
    assert [m.text for m in slack.channel_messages("#alerts")] == ["incident", "resolved"]


async def test_update_replaces_content_and_keeps_the_edit_history(client: AsyncWebClient, slack: LocalSlack) -> None:
    posted = await client.chat_postMessage(channel="#alerts", text="firing", blocks=[section("firing")])
    await client.chat_update(channel="C0ALERTS", ts=posted["ts"], text="acknowledged", blocks=[section("acked")])
    [message] = slack.channel_messages("#alerts")
    assert (message.text, message.blocks, message.ts) == ("acknowledged", [section("acked")], posted["ts"])
    assert [edit.text for edit in message.edits] == ["firing"]


async def test_update_of_unknown_or_human_message_fails(client: AsyncWebClient, slack: LocalSlack) -> None:
    unknown = await api_error(client.chat_update(channel="#alerts", ts="1.000001", text="x"))
    assert unknown["error"] == "message_not_found"
    human = slack.post_user_message("#alerts", "hello bot")
    assert (await api_error(client.chat_update(channel="#alerts", ts=human.ts, text="x")))[
        "error"
    ] == "cant_update_message"


async def test_ephemeral_and_delete(client: AsyncWebClient, slack: LocalSlack) -> None:
    response = await client.chat_postEphemeral(channel="#ops", user="U0BOB", text="only you")
    assert response["message_ts"]
    assert [e.text for e in slack.ephemerals(channel="#ops", user="U0BOB")] == ["only you"]
    posted = await client.chat_postMessage(channel="#ops", text="oops")
    await client.chat_delete(channel="#ops", ts=posted["ts"])
    assert slack.channel_messages("#ops") == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "#nope", "text": "x"}, "channel_not_found"),
        ({"channel": "#alerts"}, "no_text"),
        ({"channel": "#alerts", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "#alerts", "text": "x", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    ],
)
async def test_post_message_errors_match_slack(client: AsyncWebClient, kwargs: dict, error: str) -> None:
    assert (await api_error(client.chat_postMessage(**kwargs)))["error"] == error


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([section("x" * 3001)], "/blocks/0/text/text"),
        ([{"type": "actions", "elements": [button("b" * 76)]}], "/blocks/0/elements/0/text/text"),
        ([{"type": "actions", "elements": [button("ok", value="v" * 2001)]}], "/blocks/0/elements/0/value"),
        ([{"type": "actions", "elements": [button("b", action_id=f"a{i}") for i in range(26)]}], "/blocks/0/elements"),
    ],
)
async def test_block_limits_are_named_in_response_metadata(client: AsyncWebClient, blocks: list, pointer: str) -> None:
    body = await api_error(client.chat_postMessage(channel="#alerts", text="x", blocks=blocks))
    assert body["error"] == "invalid_blocks"
    assert f"[json-pointer:{pointer}]" in body["response_metadata"]["messages"][0]


async def test_files_upload_v2_posts_the_file_with_its_comment(client: AsyncWebClient, slack: LocalSlack) -> None:
    parent = await client.chat_postMessage(channel="#ops", text="logs below")
    response = await client.files_upload_v2(
        channel="C0OPS",
        content="line 1\nline 2\n",
        filename="logs.txt",
        initial_comment="last hour",
        thread_ts=parent["ts"],
    )
    [reply] = slack.thread("#ops", parent["ts"])
    assert reply.text == "last hour" and reply.files[0]["id"] == response["file"]["id"]
    assert slack.file_content(response["file"]["id"]) == b"line 1\nline 2\n"
    async with aiohttp.ClientSession() as session:
        url = reply.files[0]["url_private"]
        async with session.get(url, headers={"Authorization": "Bearer xoxb-test"}) as download:
            assert await download.read() == b"line 1\nline 2\n"


async def test_views_need_a_fresh_trigger_id(client: AsyncWebClient, slack: LocalSlack, clock: FakeClock) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Snooze"}, "blocks": [section("for how long?")]}
    assert (await api_error(client.views_open(trigger_id="made.up", view=modal)))["error"] == "expired_trigger_id"
    trigger = slack.issue_trigger("U0ALICE")
    opened = await client.views_open(trigger_id=trigger, view=modal)
    assert slack.open_views("U0ALICE")[0]["id"] == opened["view"]["id"]
    assert (await api_error(client.views_open(trigger_id=trigger, view=modal)))["error"] == "exchanged_trigger_id"
    stale = slack.issue_trigger("U0ALICE")
    clock.now += 4
    assert (await api_error(client.views_push(trigger_id=stale, view=modal)))["error"] == "expired_trigger_id"


async def test_home_is_published_per_user_and_limited_to_100_blocks(client: AsyncWebClient, slack: LocalSlack) -> None:
    await client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": [section("3 open incidents")]})
    assert slack.home_view("U0BOB")["blocks"] == [section("3 open incidents")]
    assert slack.home_view("U0ALICE") is None
    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    body = await api_error(client.views_publish(user_id="U0BOB", view=too_many))
    assert "no more than 100 items" in body["response_metadata"]["messages"][0]


async def test_conversations_and_users(client: AsyncWebClient, slack: LocalSlack) -> None:
    channel_id = slack.add_channel("db-alerts", bot_is_member=False)
    assert (await client.conversations_info(channel=channel_id))["channel"]["is_member"] is False
    assert (await api_error(client.chat_postMessage(channel="#db-alerts", text="x")))["error"] == "not_in_channel"
    await client.conversations_join(channel=channel_id)
    assert (await client.chat_postMessage(channel="#db-alerts", text="x"))["channel"] == channel_id
    assert (await client.users_info(user="U0CAROL"))["user"]["real_name"] == "Carol Chen"
    assert (await api_error(client.users_info(user="U0NOBODY")))["error"] == "user_not_found"


async def test_malformed_json_body_is_answered_not_crashed_on(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": "Bearer xoxb-test", "Content-Type": "application/json"}
        async with session.post(slack.api_url + "chat.postMessage", data="[1,", headers=headers) as response:
            assert (await response.json())["error"] == "invalid_json"


async def test_views_update_checks_the_hash(client: AsyncWebClient, slack: LocalSlack) -> None:
    home = (await client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []}))["view"]
    updated = await client.views_update(
        view_id=home["id"], hash=home["hash"], view={"type": "home", "blocks": [{"type": "divider"}]}
    )
    assert updated["view"]["id"] == home["id"]
    stale = await api_error(
        client.views_update(view_id=home["id"], hash="0.stale", view={"type": "home", "blocks": []})
    )
    assert stale["error"] == "hash_conflict"


async def test_wait_for_times_out_naming_the_last_calls(client: AsyncWebClient, slack: LocalSlack) -> None:
    await client.auth_test()
    with pytest.raises(TimeoutError, match=r"auth\.test=200"):
        await slack.wait_for(lambda: slack.channel_messages("#alerts"), timeout=0.05)
