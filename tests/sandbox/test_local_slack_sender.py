"""What the local Slack sends to an app, checked at the far side of the wire by a capturing server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import LocalSlack, NoSocketConnection

SECRET = "s3cret"
BUTTONS = [
    {
        "type": "actions",
        "block_id": "incident_actions",
        "elements": [
            {"type": "button", "action_id": "incident_ack", "text": {"type": "plain_text", "text": "Ack"}, "value": "7"}
        ],
    }
]


class Capture:
    """An app that answers 200 and keeps each request's headers and decoded body."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.text()))
        return web.Response(text="")

    def form(self, index: int = -1) -> dict[str, str]:
        return dict(parse_qsl(self.requests[index][1]))

    def payload(self, index: int = -1) -> dict:
        return json.loads(self.form(index)["payload"])


@pytest.fixture
async def slack() -> AsyncIterator[LocalSlack]:
    async with LocalSlack(signing_secret=SECRET) as local:
        yield local


@pytest.fixture
def client(slack: LocalSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)


@pytest.fixture
async def capture() -> AsyncIterator[tuple[Capture, str]]:
    app_side = Capture()
    app = web.Application()
    app.router.add_post("/slack/events", app_side.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield app_side, f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    await runner.cleanup()


async def test_command_is_form_encoded_and_signed_the_way_slack_signs(
    slack: LocalSlack, capture: tuple[Capture, str]
) -> None:
    app_side, url = capture
    delivery = await slack.send_command(url, command="/logs", text="api 15m", user="U0BOB", channel="#ops")
    headers, body = app_side.requests[0]
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    form = app_side.form()
    assert (form["command"], form["text"], form["user_id"], form["channel_id"]) == (
        "/logs",
        "api 15m",
        "U0BOB",
        "C0OPS",
    )
    assert (form["response_url"], form["trigger_id"]) == (delivery.response_url, delivery.trigger_id)


async def test_tampered_requests_fail_slacks_own_verifier(slack: LocalSlack, capture: tuple[Capture, str]) -> None:
    app_side, url = capture
    await slack.send_command(url, forge_signature=True)
    await slack.send_command(url, stale_by=6 * 60)
    await slack.send_command(url, retry_num=2)
    verifier = SignatureVerifier(SECRET)
    assert [verifier.is_valid_request(body, headers) for headers, body in app_side.requests] == [False, False, True]
    assert app_side.requests[2][0]["X-Slack-Retry-Num"] == "2"


async def test_button_click_payload_carries_the_stored_message_and_its_container(
    slack: LocalSlack, client: AsyncWebClient, capture: tuple[Capture, str]
) -> None:
    app_side, url = capture
    posted = (await client.chat_postMessage(channel="#alerts", text="incident", blocks=BUTTONS))["ts"]
    await slack.send_block_action(url, action_id="incident_ack", user="U0CAROL", channel="#alerts", message_ts=posted)
    payload = app_side.payload()
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U0CAROL"
    assert payload["container"] == {
        "type": "message",
        "channel_id": "C0ALERTS",
        "is_ephemeral": False,
        "message_ts": posted,
    }
    assert payload["message"]["blocks"] == BUTTONS and payload["message"]["bot_id"] == "B0BOLTWATCH"
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == ("incident_ack", "incident_actions", "7")
    assert payload["response_url"].startswith(slack.url + "/response_url/")


async def test_home_tab_click_has_a_view_container_and_no_response_url(
    slack: LocalSlack, client: AsyncWebClient, capture: tuple[Capture, str]
) -> None:
    app_side, url = capture
    home = (await client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": BUTTONS}))["view"]
    await slack.send_block_action(url, action_id="incident_ack", user="U0BOB", view_id=home["id"])
    payload = app_side.payload()
    assert payload["container"] == {"type": "view", "view_id": home["id"]}
    assert payload["view"]["blocks"] == BUTTONS and "response_url" not in payload


async def test_events_are_json_with_an_authorization_for_the_bot(
    slack: LocalSlack, capture: tuple[Capture, str]
) -> None:
    app_side, url = capture
    await slack.send_event(url, event={"type": "app_home_opened", "user": "U0ALICE"})
    headers, body = app_side.requests[0]
    event = json.loads(body)
    assert headers["Content-Type"] == "application/json"
    assert event["type"] == "event_callback" and event["event"]["channel"] == "D0ALICE"
    assert event["authorizations"][0]["user_id"] == "U0BOLTWATCH"


async def test_socket_delivery_without_a_connection_says_so(slack: LocalSlack) -> None:
    with pytest.raises(NoSocketConnection):
        await slack.send_command(text="help", via="socket")
