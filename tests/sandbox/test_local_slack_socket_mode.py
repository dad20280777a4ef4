"""Socket Mode against slack_bolt's AsyncSocketModeHandler: hello, envelopes, acks and reconnects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import LocalSlack
from tests.sandbox.test_local_slack_bolt import SECRET, build_app


@pytest.fixture
async def slack() -> AsyncIterator[LocalSlack]:
    async with LocalSlack(signing_secret=SECRET) as local:
        yield local


async def test_socket_mode_round_trip_through_async_socket_mode_handler(slack: LocalSlack) -> None:
    handler = AsyncSocketModeHandler(build_app(slack), app_token="xapp-test", ping_interval=1)
    await handler.connect_async()
    try:
        await slack.wait_for(lambda: slack.socket_connections == 1)
        delivery = await slack.send_command(text="status", via="socket")
        assert delivery.json() == {"text": "working on `status`"}
        [incident] = await slack.wait_for(lambda: slack.channel_messages("#alerts"))
        await slack.send_block_action(action_id="incident_ack", channel="#alerts", message_ts=incident.ts, via="socket")
        await slack.wait_for(lambda: slack.message("#alerts", incident.ts).text == "acknowledged")
        await slack.send_event(event={"type": "app_home_opened", "user": "U0CAROL"}, via="socket")
        await slack.wait_for(lambda: slack.home_view("U0CAROL"))
    finally:
        await handler.close_async()


async def test_socket_mode_client_reconnects_after_a_disconnect_message(slack: LocalSlack) -> None:
    handler = AsyncSocketModeHandler(build_app(slack), app_token="xapp-test", ping_interval=1)
    await handler.connect_async()
    try:
        await slack.wait_for(lambda: slack.socket_connections == 1)
        await slack.disconnect_sockets()
        await slack.wait_for(lambda: len(slack.calls_to("apps.connections.open")) == 2)
        await slack.wait_for(lambda: slack.socket_connections == 1)
        assert (await slack.send_command(text="again", via="socket")).json() == {"text": "working on `again`"}
    finally:
        await handler.close_async()


async def test_view_submission_errors_keep_the_modal_open_over_socket_mode(slack: LocalSlack) -> None:
    app = build_app(slack)

    @app.view("strict")
    async def strict(ack) -> None:
        await ack(response_action="errors", errors={"why": "Say why"})

    handler = AsyncSocketModeHandler(app, app_token="xapp-test", ping_interval=1)
    await handler.connect_async()
    try:
        await slack.wait_for(lambda: slack.socket_connections == 1)
        modal = {"type": "modal", "callback_id": "strict", "title": {"type": "plain_text", "text": "Strict"}}
        await AsyncWebClient(token="xoxb-test", base_url=slack.api_url).views_open(
            trigger_id=slack.issue_trigger("U0BOB"), view=modal
        )
        [opened] = slack.open_views("U0BOB")
        delivery = await slack.send_view_submission(view=opened["id"], user="U0BOB", via="socket")
        assert delivery.json() == {"response_action": "errors", "errors": {"why": "Say why"}}
        assert slack.open_views("U0BOB") == [opened]
    finally:
        await handler.close_async()
