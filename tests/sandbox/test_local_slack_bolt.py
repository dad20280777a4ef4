"""A bare Bolt app talks to the local Slack through Bolt's real request path: HTTP and Socket Mode."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import LocalSlack, render_text
from tests.sandbox.conftest import SECRET, FakeClock

INCIDENT_BLOCKS = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "*CPU high* on web-1"}},
    {
        "type": "actions",
        "block_id": "incident_actions",
        "elements": [
            {
                "type": "button",
                "action_id": "incident_ack",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "value": '{"incident": 7}',
            },
            {
                "type": "static_select",
                "action_id": "incident_snooze",
                "placeholder": {"type": "plain_text", "text": "Snooze"},
                "options": [{"text": {"type": "plain_text", "text": "1 hour"}, "value": "1h"}],
            },
        ],
    },
]


def build_app(slack: LocalSlack) -> AsyncApp:
    """A bare Bolt app: a command that posts an incident, its buttons, a modal and a Home tab."""
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    app = AsyncApp(name="local-slack-test", signing_secret=SECRET, client=client)  # named: no inspect.stack() walk

    @app.command("/boltwatch")
    async def command(ack, command, client, respond) -> None:
        await ack(f"working on `{command['text']}`")
        await client.chat_postMessage(channel=command["channel_id"], text="CPU high", blocks=INCIDENT_BLOCKS)
        await respond(text="posted", response_type="ephemeral")

    @app.action("incident_ack")
    async def acknowledge(ack, body, respond) -> None:
        await ack()
        acked_by = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"acked by <@{body['user']['id']}>"}]}
        blocks = [*body["message"]["blocks"][:1], acked_by]
        await respond(replace_original=True, text="acknowledged", blocks=blocks)

    @app.action("incident_snooze")
    async def snooze(ack, body, client) -> None:
        await ack()
        option = body["actions"][0]["selected_option"]["value"]
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "snooze",
                "title": {"type": "plain_text", "text": "Snooze"},
                "submit": {"type": "plain_text", "text": "Snooze"},
                "private_metadata": option,
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "why",
                        "label": {"type": "plain_text", "text": "Why"},
                        "element": {"type": "plain_text_input", "action_id": "reason"},
                    }
                ],
            },
        )

    @app.view("snooze")
    async def snoozed(ack, view, client, body) -> None:
        await ack()
        reason = view["state"]["values"]["why"]["reason"]["value"]
        await client.chat_postMessage(channel="#ops", text=f"snoozed {view['private_metadata']}: {reason}")

    @app.event("app_home_opened")
    async def home(event, client) -> None:
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [{"type": "divider"}]})

    return app


@pytest.fixture
def clock() -> FakeClock:
    """Slack's state starts at the real time here, so that its timestamps read like Bolt's."""
    return FakeClock(time.time())


@pytest.fixture
async def app_url(slack: LocalSlack) -> AsyncIterator[str]:
    runner = web.AppRunner(build_app(slack).web_app(path="/slack/events"))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    await runner.cleanup()


async def test_signed_command_reaches_bolt_which_posts_through_the_local_slack(slack: LocalSlack, app_url: str) -> None:
    delivery = await slack.send_command(app_url, command="/boltwatch", text="status", channel="#alerts")
    assert delivery.status == 200 and delivery.body == "working on `status`"
    [incident] = await slack.wait_for(lambda: slack.channel_messages("#alerts"))
    assert render_text(incident).splitlines() == ["*CPU high* on web-1", "[Acknowledge] [Snooze v]"]
    ephemerals = await slack.wait_for(lambda: len(slack.ephemerals(user="U0ALICE")) == 2 and slack.ephemerals())
    assert {(e.text, e.source) for e in ephemerals} == {("working on `status`", "ack"), ("posted", "response_url")}
    assert slack.responses[0].status == 200


@pytest.mark.parametrize(
    "tampering", [{"forge_signature": True}, {"stale_by": 6 * 60}], ids=["forged", "six-minutes-old"]
)
async def test_bolt_rejects_requests_slack_did_not_sign(slack: LocalSlack, app_url: str, tampering: dict) -> None:
    delivery = await slack.send_command(app_url, text="status", **tampering)
    assert delivery.status == 401
    assert slack.calls_to("chat.postMessage") == []


async def test_button_click_carries_the_stored_message_and_response_url_replaces_it(
    slack: LocalSlack, app_url: str
) -> None:
    await slack.send_command(app_url, text="status")
    [incident] = await slack.wait_for(lambda: slack.channel_messages("#alerts"))
    delivery = await slack.send_block_action(
        app_url, action_id="incident_ack", user="U0BOB", channel="#alerts", message_ts=incident.ts
    )
    assert delivery.status == 200
    await slack.wait_for(lambda: slack.message("#alerts", incident.ts).text == "acknowledged")
    assert render_text(slack.message("#alerts", incident.ts)).splitlines() == [
        "*CPU high* on web-1",
        "  acked by @U0BOB",
        "(edited)",
    ]
    assert slack.responses[-1].body["replace_original"] is True
    with pytest.raises(LookupError):
        await slack.send_block_action(app_url, action_id="no_such_button", channel="#alerts", message_ts=incident.ts)


async def test_select_opens_a_modal_whose_submission_reaches_the_view_handler(slack: LocalSlack, app_url: str) -> None:
    await slack.send_command(app_url, text="status")
    [incident] = await slack.wait_for(lambda: slack.channel_messages("#alerts"))
    await slack.send_block_action(
        app_url, action_id="incident_snooze", channel="#alerts", message_ts=incident.ts, selected_option="1h"
    )
    [modal] = await slack.wait_for(lambda: slack.open_views("U0ALICE"))
    delivery = await slack.send_view_submission(app_url, view=modal["id"], values={"why": {"reason": "deploy"}})
    assert delivery.status == 200 and slack.open_views() == []
    [note] = await slack.wait_for(lambda: slack.channel_messages("#ops"))
    assert note.text == "snoozed 1h: deploy"


async def test_response_url_expires_after_thirty_minutes(slack: LocalSlack, app_url: str, clock: FakeClock) -> None:
    delivery = await slack.send_command(app_url, text="status")
    await slack.wait_for(lambda: slack.responses)
    clock.now += 30 * 60 + 1
    async with aiohttp.ClientSession() as session, session.post(delivery.response_url, json={"text": "late"}) as late:
        assert late.status == 404
    assert "late" not in [e.text for e in slack.ephemerals()]


async def test_response_url_can_post_in_channel_and_delete_the_original(slack: LocalSlack, app_url: str) -> None:
    await slack.send_command(app_url, text="status")
    [incident] = await slack.wait_for(lambda: slack.channel_messages("#alerts"))
    click = await slack.send_block_action(app_url, action_id="incident_ack", channel="#alerts", message_ts=incident.ts)
    await slack.wait_for(lambda: slack.message("#alerts", incident.ts).edits)
    async with aiohttp.ClientSession() as session:
        async with session.post(click.response_url, json={"response_type": "in_channel", "text": "seen"}) as posted:
            assert posted.status == 200
        async with session.post(click.response_url, json={"delete_original": True}) as deleted:
            assert deleted.status == 200
    assert [m.text for m in slack.channel_messages("#alerts")] == ["seen"]


async def test_on_event_reports_each_change_for_the_sandbox_to_print(slack: LocalSlack, app_url: str) -> None:
    seen: list[tuple[str, str | None]] = []
    slack.on_event(lambda event: seen.append((event.kind, event.channel)))
    await slack.send_command(app_url, text="status")
    await slack.wait_for(lambda: len(seen) >= 3)
    assert {("message", "C0ALERTS"), ("ephemeral", "C0ALERTS")} <= set(seen)
