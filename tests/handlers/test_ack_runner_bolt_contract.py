"""What handlers/ack_runner.py assumes of slack_bolt beyond its public API, one assumption a test: each fails when a
Bolt release changes what the runner relies on. pyproject.toml pins slack-bolt to the minor these pass on; widen the
pin only after running them on the new one."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.kwargs_injection.async_utils import build_async_required_kwargs
from slack_bolt.listener.asyncio_runner import AsyncioListenerRunner
from slack_bolt.listener_matcher import builtins
from slack_bolt.listener_matcher.async_builtins import AsyncBuiltinListenerMatcher
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from handlers.ack_runner import ARGUMENTS, AckFirstRunner, AnsweringBolt, BodyMatcher, SignalledAck, lean_arguments
from tests.handlers.test_ack_runner import app, button_click, command, no_authorization, text_of

# Arguments Bolt builds that the lean builder leaves to Bolt's own builder (a listener naming one gets Bolt's).
LEFT_TO_BOLT = {
    "args", "logger", "payload", "step", "complete", "fail", "set_status", "set_title", "set_suggested_prompts",
    "get_thread_context", "save_thread_context", "say_stream", "next", "next_", "error",
}  # fmt: skip


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    """Name, kind and default of each parameter (annotations are strings here, and not the contract)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def form(payload: dict[str, Any]) -> AsyncBoltRequest:
    return AsyncBoltRequest(
        body=urlencode({"payload": json.dumps(payload)}),
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )


def event(payload: dict[str, Any]) -> AsyncBoltRequest:
    body = {"type": "event_callback", "team_id": "T0TEST", "event": payload}
    return AsyncBoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]})


def requests_of_every_kind() -> Iterator[tuple[str, AsyncBoltRequest]]:
    """One fresh, unsigned request of each kind Slack sends (signatures play no part in what is tested here)."""
    team, user = {"id": "T0TEST"}, {"id": "U0ALICE"}
    yield "command", command("hello")
    yield "button", button_click("incident_ack")
    yield "other button", button_click("incident_resolve")
    view = {"id": "V1", "type": "modal", "callback_id": "mute_modal", "state": {"values": {}}}
    yield "view submission", form({"type": "view_submission", "team": team, "user": user, "view": view})
    yield "view closed", form({"type": "view_closed", "team": team, "user": user, "view": view})
    suggestion = {"type": "block_suggestion", "action_id": "pick", "block_id": "b", "value": "or"}
    yield "block suggestion", form(suggestion | {"team": team, "user": user})
    yield "shortcut", form({"type": "shortcut", "callback_id": "open_status", "team": team, "user": user})
    shortcut = {"type": "message_action", "callback_id": "open_status", "team": team, "user": user}
    yield "message shortcut", form(shortcut | {"channel": {"id": "C0TEST"}, "message": {"ts": "1.2", "text": "x"}})
    yield "home opened", event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0TEST", "tab": "home"})
    yield "message", event({"type": "message", "text": "hello", "channel": "C0TEST", "user": "U0ALICE", "ts": "1.2"})


# --- AsyncApp._register_listener: overridden, so every listener's built-in matcher takes the body alone


def test_register_listener_keeps_the_signature_answering_bolt_overrides() -> None:
    expected = [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
        ("functions", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
        ("primary_matcher", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
        ("matchers", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
        ("middleware", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
        ("auto_acknowledgement", inspect.Parameter.POSITIONAL_OR_KEYWORD, False),
        ("ack_timeout", inspect.Parameter.POSITIONAL_OR_KEYWORD, 3),
    ]
    assert parameters(AsyncApp._register_listener) == expected
    assert parameters(AnsweringBolt._register_listener) == expected


@pytest.mark.parametrize(
    "decorator, constraint",
    [
        ("command", "/probe"),
        ("action", "incident_ack"),
        ("block_action", "incident_ack"),
        ("attachment_action", "legacy"),
        ("dialog_submission", "legacy"),
        ("dialog_cancellation", "legacy"),
        ("view", "mute_modal"),
        ("view_submission", "mute_modal"),
        ("view_closed", "mute_modal"),
        ("options", "pick"),
        ("block_suggestion", "pick"),
        ("dialog_suggestion", "legacy"),
        ("shortcut", "open_status"),
        ("global_shortcut", "open_status"),
        ("message_shortcut", "open_status"),
        ("event", "app_home_opened"),
        ("message", "hello"),
        ("function", "step"),
    ],
)
def test_every_listener_decorator_registers_through_the_override_with_a_body_only_matcher(
    decorator: str, constraint: str
) -> None:
    # Bolt's decorators call `_register_listener` with an `AsyncBuiltinListenerMatcher` whose `func` takes `body`
    # (and reads `.func`, `.arg_names` and the app's `_base_logger` to replace it); any of these changing leaves
    # Bolt's slower matcher in place, or fails the registration.
    bolt = app()

    async def listener(ack: Any) -> None:
        await ack()

    getattr(bolt, decorator)(constraint)(listener)
    [registered] = bolt._async_listeners
    assert type(registered.matchers[0]) is BodyMatcher


@pytest.mark.parametrize(
    "matcher",
    [
        pytest.param(builtins.command("/probe", asyncio=True), id="command"),
        pytest.param(builtins.action("incident_ack", asyncio=True), id="action"),
        pytest.param(builtins.action(re.compile("^incident_"), asyncio=True), id="action pattern"),
        pytest.param(builtins.block_action({"action_id": "incident_ack"}, asyncio=True), id="block action"),
        pytest.param(builtins.view("mute_modal", asyncio=True), id="view"),
        pytest.param(builtins.view_closed("mute_modal", asyncio=True), id="view closed"),
        pytest.param(builtins.options("pick", asyncio=True), id="options"),
        pytest.param(builtins.shortcut("open_status", asyncio=True), id="shortcut"),
        pytest.param(builtins.message_shortcut("open_status", asyncio=True), id="message shortcut"),
        pytest.param(builtins.event("app_home_opened", asyncio=True), id="event"),
        pytest.param(
            builtins.message_event({"type": "message", "subtype": None}, keyword="hello", asyncio=True), id="message"
        ),
    ],
)
async def test_a_body_matcher_matches_what_bolts_builtin_matcher_matches(matcher: AsyncBuiltinListenerMatcher) -> None:
    lean = BodyMatcher(func=matcher.func)
    response = BoltResponse(status=200)
    bolts = {kind: await matcher.async_matches(request, response) for kind, request in requests_of_every_kind()}
    ours = {kind: await lean.async_matches(request, response) for kind, request in requests_of_every_kind()}
    assert any(bolts.values())  # each matcher matches one of the requests at least
    assert ours == bolts


def test_the_app_keeps_the_logger_it_was_given_where_answering_bolt_reads_it() -> None:
    logger = logging.getLogger("boltwatch.test.bolt")
    bolt = AnsweringBolt(signing_secret="s", authorize=no_authorization, logger=logger)
    assert bolt._base_logger is logger


# --- AsyncApp._async_listener_runner: replaced, since Bolt 1.x has no setter for the listener runner


async def test_async_dispatch_runs_listeners_with_the_runner_answering_bolt_installs() -> None:
    bolt = app()

    @bolt.command("/probe")
    async def probe(ack: Any) -> None:
        await ack(text="accepted")
        raise RuntimeError("failed after the ack")

    [registered] = bolt._async_listeners
    registered.ack_timeout = 1  # Bolt's own runner, whose next poll always comes after this failure, waits this long
    assert bolt.listener_runner is bolt.ack_runner
    response = await bolt.async_dispatch(command())
    assert (response.status, text_of(response)) == (200, "accepted")
    await bolt.ack_runner.finish(2)


def test_the_listener_runner_takes_the_arguments_ack_first_runner_copies() -> None:
    assert [name for name, _, _ in parameters(AsyncioListenerRunner.__init__)] == [
        "self",
        "logger",
        "process_before_response",
        "listener_error_handler",
        "listener_start_handler",
        "listener_completion_handler",
        "lazy_listener_runner",
    ]
    assert parameters(AsyncioListenerRunner.run) == parameters(AckFirstRunner.run)


# --- AsyncioListenerRunner._start_lazy_function: how the runner starts lazy listeners, as Bolt's does


async def test_lazy_listeners_start_after_the_ack_as_bolt_starts_them() -> None:
    bolt = app()
    lazy_saw: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def answer(ack: Any) -> None:
        await ack(text="on it")

    async def later(command: dict[str, Any]) -> None:
        lazy_saw.set_result(command["text"])

    bolt.command("/probe")(ack=answer, lazy=[later])
    response = await bolt.async_dispatch(command("lazy"))
    assert (response.status, text_of(response)) == (200, "on it")
    assert await asyncio.wait_for(lazy_saw, 2) == "lazy"
    await bolt.ack_runner.finish(2)


# --- AsyncAck.response: where an ack keeps its answer, read by the runner and written by EncodedAnswer


async def test_calling_ack_keeps_its_answer_in_response() -> None:
    ack = AsyncAck()
    answer = await ack(text="on it")
    assert ack.response is answer
    assert (answer.status, answer.body) == (200, "on it")


async def test_bolts_own_runner_answers_with_what_is_written_to_ack_response() -> None:
    bolt = app(AsyncApp)

    @bolt.command("/probe")
    async def probe(ack: AsyncAck) -> None:
        ack.response = BoltResponse(status=200, body="written")

    response = await asyncio.wait_for(bolt.async_dispatch(command()), 2)
    assert (response.status, response.body) == (200, "written")


# --- the context's "ack": the runner swaps in a SignalledAck before the listener runs


async def test_an_ack_put_in_the_context_is_the_one_bolt_hands_listeners() -> None:
    request = command()
    made_by_bolt = request.context.ack  # made on first use and kept in the context
    assert request.context["ack"] is made_by_bolt
    swapped = request.context["ack"] = SignalledAck()
    handed = build_async_required_kwargs(
        logger=logging.getLogger(__name__), required_arg_names=["ack"], request=request, response=None
    )
    assert handed["ack"] is swapped


# --- build_async_required_kwargs: the lean builder copies part of it by hand


class EveryName:
    """`required_arg_names` that asks for every argument Bolt's builder has (it filters with `in`)."""

    def __len__(self) -> int:
        return 0

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())


def test_bolt_builds_exactly_the_arguments_the_lean_builder_builds_or_leaves_to_it() -> None:
    request = command()
    context_keys = set(request.context)  # the request's own context values are arguments too; not the builder's
    every_name: Any = EveryName()
    built = build_async_required_kwargs(
        logger=logging.getLogger(__name__), required_arg_names=every_name, request=request, response=None
    )
    bolts = (set(built) - context_keys) | {"args"}  # `args` (all of them in one object) is built on request
    assert bolts == set(ARGUMENTS) | LEFT_TO_BOLT
    assert all(lean_arguments([name]) is None for name in LEFT_TO_BOLT)


@pytest.mark.parametrize("kind", [kind for kind, _ in requests_of_every_kind()])
def test_the_lean_builder_gives_each_argument_what_bolts_builder_gives(kind: str) -> None:
    request_ = dict(requests_of_every_kind())[kind]
    request_.context["client"] = AsyncWebClient(token=None, base_url="http://127.0.0.1:9/api/")  # as the app does
    response = BoltResponse(status=200)
    bolts = build_async_required_kwargs(
        logger=logging.getLogger(__name__), required_arg_names=list(ARGUMENTS), request=request_, response=response
    )
    ours = {name: argument(request_, response) for name, argument in ARGUMENTS.items()}
    assert set(bolts) == set(ours)
    different = {name for name in ours if ours[name] is not bolts[name] and ours[name] != bolts[name]}
    assert different == set()


# --- AsyncCustomListener.ack_function and .arg_names: what the lean builder calls, and with which names


def test_a_listeners_arg_names_are_its_parameters_in_order() -> None:
    bolt = app()

    async def probe(ack: Any, command: dict[str, Any], say: Any) -> None:
        await ack()

    bolt.command("/probe")(probe)
    [registered] = bolt._async_listeners
    assert registered.ack_function is probe
    assert list(registered.arg_names) == ["ack", "command", "say"]
