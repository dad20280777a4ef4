"""The listener runner answers Slack the moment `ack()` is called, keeps the ack when the listener fails after it,
and lets the listener finish its work after the answer; requests go through Bolt's real dispatch, signed."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from handlers.ack_runner import AnsweringBolt, EncodedAnswer
from sandbox.slack.sender import signature

SECRET = "ack-runner-signing-secret"


def command(text: str = "", name: str = "/probe") -> AsyncBoltRequest:
    timestamp = str(int(time.time()))
    body = urlencode(
        {
            "command": name,
            "text": text,
            "team_id": "T0TEST",
            "channel_id": "C0TEST",
            "user_id": "U0ALICE",
            "response_url": "http://127.0.0.1:9/response_url/1",
            "trigger_id": "1.2.3",
        }
    )
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [signature(SECRET, timestamp, body)],
    }
    return AsyncBoltRequest(body=body, headers=headers)


async def no_authorization(**_: Any) -> Any:
    from slack_bolt.authorization import AuthorizeResult

    return AuthorizeResult(enterprise_id=None, team_id="T0TEST", bot_token="xoxb-test", bot_user_id="U0BOT")


def app(kind: type[AsyncApp] = AnsweringBolt) -> Any:
    client = AsyncWebClient(token=None, base_url="http://127.0.0.1:9/api/")
    return kind(signing_secret=SECRET, client=client, authorize=no_authorization)


def text_of(response: BoltResponse) -> str:
    """An ack of text only is sent as plain text; one with more as JSON."""
    return json.loads(response.body)["text"] if response.body.startswith("{") else response.body


async def test_the_answer_is_the_ack_and_the_work_goes_on_after_it() -> None:
    bolt = app()
    release, finished = asyncio.Event(), asyncio.Event()

    @bolt.command("/probe")
    async def probe(ack: Any) -> None:
        await ack(text="on it")
        await release.wait()  # the slow part: Slack must not wait for it
        finished.set()

    response = await asyncio.wait_for(bolt.async_dispatch(command()), 2)
    assert (response.status, text_of(response)) == (200, "on it")
    assert not finished.is_set()
    release.set()
    await bolt.ack_runner.finish(2)
    assert finished.is_set()


async def test_a_listener_failing_just_after_its_ack_still_answers_with_the_ack() -> None:
    bolt = app()
    errors: list[str] = []

    @bolt.error
    async def record(error: Exception) -> None:
        errors.append(str(error))

    @bolt.command("/probe")
    async def probe(ack: Any) -> None:
        await ack(text="accepted")
        raise RuntimeError("failed after the ack")

    for _ in range(20):  # Bolt's own runner lost this ack whenever the failure beat its 10 ms poll
        response = await bolt.async_dispatch(command())
        assert (response.status, text_of(response)) == (200, "accepted")
    await bolt.ack_runner.finish(2)
    assert errors == ["failed after the ack"] * 20


async def test_a_listener_failing_before_its_ack_gets_a_500_at_once_and_reaches_the_error_handler() -> None:
    bolt = app()
    errors: list[str] = []

    @bolt.error
    async def record(error: Exception) -> None:
        errors.append(str(error))

    @bolt.command("/probe")
    async def probe(ack: Any) -> None:
        raise ValueError("bad before the ack")

    # well before the listener's 3 s ack timeout: nothing waits for an ack that can no longer come
    response = await asyncio.wait_for(bolt.async_dispatch(command()), 2)
    assert response.status == 500
    assert errors == ["bad before the ack"]


async def test_a_listener_that_never_acks_is_given_up_on_after_its_ack_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bolt = app()
    release = asyncio.Event()

    @bolt.command("/probe")
    async def probe(ack: Any) -> None:
        await release.wait()

    for listener in bolt._async_listeners:
        listener.ack_timeout = 1  # Bolt's default is 3 s, Slack's deadline
    started = time.monotonic()
    response = await bolt.async_dispatch(command())
    assert 1 <= time.monotonic() - started < 2.5
    assert response.status == 404  # Bolt's answer when no listener acknowledged
    assert "didn't call ack()" in caplog.text  # Bolt's own warning, as its runner logs it
    release.set()
    await bolt.ack_runner.finish(2)


async def test_only_the_matching_listener_answers_and_its_arguments_are_bolts() -> None:
    bolt = app()

    @bolt.command("/other")
    async def other(ack: Any) -> None:
        await ack(text="wrong listener")

    @bolt.command("/probe")
    async def probe(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack(text=f"{command['user_id']} said {command['text']!r}; respond={respond is not None}")

    response = await bolt.async_dispatch(command("hello there"))
    assert text_of(response) == "U0ALICE said 'hello there'; respond=True"


async def test_a_forged_signature_never_reaches_the_listener() -> None:
    bolt = app()
    called: list[bool] = []

    @bolt.command("/probe")
    async def probe(ack: Any) -> None:
        called.append(True)
        await ack(text="should not happen")

    request = command()
    request.headers["x-slack-signature"] = ["v0=" + "0" * 64]
    response = await bolt.async_dispatch(request)
    assert response.status == 401
    assert called == []


@pytest.mark.parametrize("kind", [AnsweringBolt, AsyncApp], ids=["ack-first runner", "Bolt's own runner"])
async def test_an_answer_encoded_once_is_byte_for_byte_what_ack_sends(kind: type[AsyncApp]) -> None:
    bolt = app(kind)
    fields: dict[str, Any] = {
        "text": "Boltwatch commands <!channel>",
        "response_type": "ephemeral",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "`/logs TARGET` — “quoted” é"}}],
    }
    encoded = EncodedAnswer(**fields)

    @bolt.command("/probe")
    async def probe(ack: Any, command: dict[str, Any]) -> None:
        if command["text"] == "encoded":
            await encoded(ack)
        else:
            await ack(**fields)

    plain, once = await bolt.async_dispatch(command("plain")), await bolt.async_dispatch(command("encoded"))
    assert (once.status, once.body, once.headers) == (plain.status, plain.body, plain.headers)
    assert json.loads(once.body)["blocks"] == fields["blocks"]


def button_click(action_id: str = "incident_ack") -> AsyncBoltRequest:
    timestamp = str(int(time.time()))
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": "U0ALICE"},
        "channel": {"id": "C0TEST"},
        "container": {"type": "message", "message_ts": "1.000200", "channel_id": "C0TEST"},
        "response_url": "http://127.0.0.1:9/response_url/2",
        "trigger_id": "4.5.6",
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": "inc-7"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [signature(SECRET, timestamp, body)],
    }
    return AsyncBoltRequest(body=body, headers=headers)


def seen(**arguments: Any) -> dict[str, Any]:
    """What a listener can observe of its arguments, comparable between two apps."""
    described: dict[str, Any] = {}
    for name, value in arguments.items():
        if name in {"body", "command", "action", "view", "event", "shortcut", "options", "message"}:
            described[name] = value
        elif name == "respond":
            described[name] = (type(value).__name__, value.response_url)
        elif name == "say":
            described[name] = (type(value).__name__, value.channel)
        elif name == "client":
            described[name] = (type(value).__name__, value.token)
        elif name == "context":
            described[name] = (value.user_id, value.channel_id, value.team_id, value.bot_token)
        elif name == "ack":
            described[name] = type(value).__name__ in {"AsyncAck", "SignalledAck"}
        else:
            described[name] = repr(type(value))
    return described


def remember_app(bolt: AsyncApp) -> Any:
    async def middleware(context: Any, next: Any) -> None:
        context["bolt"] = bolt
        await next()

    return middleware


@pytest.mark.parametrize("request_of", [button_click, command], ids=["button", "command"])
async def test_the_arguments_the_runner_builds_are_the_ones_bolt_builds(request_of: Any) -> None:
    observed: dict[str, dict[str, Any]] = {}
    for kind in (AsyncApp, AnsweringBolt):
        bolt = app(kind)

        async def listener(
            ack: Any, body: Any, respond: Any, say: Any, client: Any, context: Any, command: Any, action: Any
        ) -> None:
            await ack()
            observed[type(context["bolt"]).__name__] = seen(
                body=body, respond=respond, say=say, client=client, context=context, command=command, action=action
            )

        bolt.use(remember_app(bolt))
        bolt.action("incident_ack")(listener)
        bolt.command("/probe")(listener)
        response = await bolt.async_dispatch(request_of())
        assert response.status == 200
    assert observed["AnsweringBolt"] == observed["AsyncApp"]
    assert observed["AsyncApp"]["respond"][1].startswith("http://127.0.0.1:9/response_url/")


async def test_a_listener_asking_for_what_only_bolt_builds_still_gets_it() -> None:
    bolt = app()

    @bolt.middleware
    async def tag(context: Any, next: Any) -> None:
        context["tenant"] = "blue"
        await next()

    @bolt.command("/probe")
    async def probe(ack: Any, logger: Any, tenant: str, payload: dict[str, Any]) -> None:
        await ack(text=f"{tenant} {payload['text']} {logger.name}")

    response = await bolt.async_dispatch(command("hi"))
    assert text_of(response).startswith("blue hi ")


async def test_listeners_registered_every_way_match_only_their_own_requests() -> None:
    bolt = app()

    @bolt.action(re.compile("^incident_"))
    async def pattern(ack: Any) -> None:
        await ack(text="pattern")

    async def starts_with_go(command: dict[str, Any]) -> bool:
        return str(command["text"]).startswith("go")

    @bolt.command("/probe", matchers=[starts_with_go])
    async def gated(ack: Any) -> None:
        await ack(text="gated")

    @bolt.command("/probe")
    async def fallback(ack: Any) -> None:
        await ack(text="fallback")

    assert (await bolt.async_dispatch(button_click("incident_resolve"))).status == 200
    assert (await bolt.async_dispatch(button_click("other_button"))).status == 404
    assert text_of(await bolt.async_dispatch(command("go now"))) == "gated"
    assert text_of(await bolt.async_dispatch(command("stay"))) == "fallback"
