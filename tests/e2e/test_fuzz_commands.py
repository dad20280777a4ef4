"""Fuzzing the real endpoint (issue 14): signed slash commands, block actions and view submissions with generated
and known-hostile text. Every one is acked within 3 s, nothing logs a traceback, Slack never refuses a message as
`invalid_blocks`, and nothing the bot shows carries a live ping or link that came from the input."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.ids import AcceptRiskModal, ActionId, CallbackId, SnoozeModal
from sandbox.slack.sender import Delivery
from tests.harness import FakeClock, RunningBot, running_bot
from tests.readonly_estate import SeededEstate

COMMANDS = ["/logs", "/errors", "/wait", "/boltwatch"]
KNOWN_BAD = [
    ("/boltwatch", 'mute "orders-api 1h'),
    ("/logs", "orders-api 999999999999d"),
    ("/errors", "orders-api 999999999999d"),
    ("/wait", "ec2 instance_running i-1 timeout 999999999999d"),
    ("/logs", "orders-api limit ²"),
    ("/logs", "x 999999d"),
    ("/boltwatch", "mute x 99999999d"),
    ("/wait", "ec2 instance_running " + " ".join(f"i-{n}" for n in range(500))),
    ("/wait", "ec2 instance_running " + "i" * 10_000),
    ("/logs", "orders-api 1h filter " + "x" * 2_920),
    ("/wait", "ec2 instance_running <!channel> <!here> <@U0BOB> <https://evil.example|click>"),
    ("/logs", "<!channel> 1h"),
    ("/errors", "<https://evil.example|click>"),
    ("/boltwatch", "mute <!here> 1h *bold* `tick`"),
    ("/boltwatch", "maintenance <!here> now 1h *bold* `tick`"),
    ("/boltwatch", "maintenance x 0001-01-01T00:00+01:00 1h"),
    ("/boltwatch", "maintenance x 99999999999999d 1h"),
]
PIECES = [
    "orders-api", "payments-worker", "/aws/lambda/orders-api", "1h", "15m", "0s", "-5m", "99999999999999d", "limit",
    "filter", "timeout", "account", "region", "us-east-1", "mars-1", "ec2", "instance_running", "i-0abc", "status",
    "mute", "unmute", "maintenance", "now", "22:00", "help", "checks", "incidents", "<!channel>", "<!here>",
    "<!everyone>", "<@U0BOB>", "<#C0OPS>",
    "<https://evil.example|click>", "<https://evil.example>", "*bold*", "_it_", "~s~", "`code`", "```", '"', "'", "\\",
    "“", "’", "²", "١", "\u200b", "&amp;", "<*>", "%s", "{}", "\n", "\t", "é", "🔥", "x" * 300,
]  # fmt: skip
# Pings and links only the generated input carries: the bot's own mentions (<@U0ALICE>) and console links are fine.
LEAK = re.compile(r"<(?:!channel|!here|!everyone|@U0BOB|#C0OPS|https?://evil\.example)")
REFUSED = {"invalid_blocks", "invalid_blocks_format", "msg_too_long"}
ACCOUNT = "123456789012"

words = st.one_of(st.sampled_from(PIECES), st.text(max_size=30))
free_text = st.lists(words, max_size=7).map(" ".join)
ids = st.one_of(st.integers(1, 3), st.integers(0, 10**18))
DURATIONS = ["1h", "45m", "2d", "30d", "31d", "0s", "-5m", "99999999999999d", "custom"]
durations = st.one_of(st.sampled_from(DURATIONS), words)
fingerprints = free_text.map(lambda t: f"best_practices:{ACCOUNT}:us-east-1:deprecated_runtime:{t or 'x'}")
logs_pages = st.tuples(
    st.sampled_from(["default", "prod", ""]), st.sampled_from(["us-east-1", "mars-1"]), free_text, ids, ids,
    st.integers(-5, 5000), st.none() | free_text,
)  # fmt: skip
button_values = st.one_of(
    st.none(),
    free_text,
    ids.map(lambda i: f"incident:{i}"),
    st.tuples(ids, durations).map(lambda t: f"incident:{t[0]}:snooze:{t[1]}"),
    ids.map(lambda i: f"wait:{i}"),
    ids.map(lambda i: f"error_group:{i}"),
    logs_pages.map(lambda fields: json.dumps(list(fields))),
    st.tuples(st.sampled_from(["/logs", "/errors", "/wait"]), free_text).map(lambda t: json.dumps(list(t))),
    fingerprints.map(lambda f: f"bp:{f}"),
)


def mrkdwn(message: Any) -> Iterator[str]:
    """Every text Slack would parse for pings and links: a message's own `text` and its mrkdwn text objects."""
    if isinstance(message, dict):
        text = message.get("text")
        if isinstance(text, str) and message.get("type") in (None, "mrkdwn"):
            yield text
        for value in message.values():
            yield from mrkdwn(value)
    elif isinstance(message, list):
        for item in message:
            yield from mrkdwn(item)


def elements_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks for e in [*b.get("elements", []), b.get("accessory") or {}] if isinstance(e, dict)]


class Watch:
    """What changed in the local Slack and the logs since it began."""

    def __init__(self, bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
        self.bot, self.caplog = bot, caplog
        self.calls, self.responses, self.records = len(bot.slack.calls), len(bot.slack.responses), len(caplog.records)

    async def check(self, delivery: Delivery, what: object) -> None:
        assert delivery.status == 200, (what, delivery.status)
        assert delivery.elapsed < 3, (what, delivery.elapsed)
        await self.bot.app.bolt.ack_runner.finish(10)  # the listener's work after its ack
        await self.bot.drain()
        calls = self.bot.slack.calls[self.calls :]
        responses = self.bot.slack.responses[self.responses :]
        assert delivery.ack_error not in REFUSED, (what, delivery.ack_error)
        assert [c.method for c in calls if c.response.get("error") in REFUSED] == [], what
        # A 400 on a response_url post with content is Slack refusing it; `delete_original` on a click that came
        # with no message (only the fuzzer sends those) has nothing to delete.
        assert [r.status for r in responses if r.status == 400 and not r.body.get("delete_original")] == [], what
        tracebacks = [r.getMessage() for r in self.caplog.records[self.records :] if r.exc_info]
        assert tracebacks == [], what
        shown = [delivery.ack_body() or {}] + [c.params for c in calls] + [r.body for r in responses]
        leaks = [text for message in shown for text in mrkdwn(message) if LEAK.search(text)]
        assert leaks == [], what


@pytest.fixture
async def bot(seeded_estate_readonly: SeededEstate, tmp_path, caplog) -> AsyncIterator[RunningBot]:  # type: ignore[no-untyped-def]
    """The bot on the read-only estate, with its firing alarm posted as incident 1 (real buttons to press)."""
    caplog.set_level(logging.WARNING)
    clock = FakeClock(seeded_estate_readonly.seeded_at)
    database_url = f"sqlite:///{tmp_path / 'boltwatch.db'}"
    async with running_bot(moto=seeded_estate_readonly, database_url=database_url, clock=clock) as running:
        await running.run_checks()
        await running.drain()
        yield running


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(command=st.sampled_from(COMMANDS), text=free_text)
@example(command="/boltwatch", text="help")
async def test_hostile_commands_are_acked_fast_and_answered_safely(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, command: str, text: str
) -> None:
    watch = Watch(bot, caplog)
    await watch.check(await bot.command(command, text), (command, text))


async def test_known_hostile_commands_are_acked_fast_and_answered_safely(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    for command, text in KNOWN_BAD:
        watch = Watch(bot, caplog)
        await watch.check(await bot.command(command, text), (command, text))


@FUZZ
@given(action_id=st.sampled_from(list(ActionId)), value=button_values, on_incident=st.booleans())
async def test_clicks_with_generated_values_are_acked_fast_and_answered_safely(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, action_id: ActionId, value: str | None, on_incident: bool
) -> None:
    """Any button or menu, with any value: on the incident message when it carries that element, else anywhere."""
    [incident] = bot.slack.channel_messages("#alerts")[:1]
    elements = {e.get("action_id"): e for e in elements_of(incident.blocks)}
    where = {"message_ts": incident.ts} if on_incident and action_id.value in elements else {}
    kind = elements.get(action_id.value, {}).get("type", "button")
    choice = {"selected_option": value} if kind in ("static_select", "overflow") and value is not None else {}
    watch = Watch(bot, caplog)
    delivery = await bot.click(action_id=action_id.value, value=value, channel="#alerts", **where, **choice)
    await watch.check(delivery, (action_id, value, where))


@st.composite
def submissions(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A snooze or accept-risk modal as the bot opened it (or with forged metadata), with generated input."""
    callback = draw(st.sampled_from(list(CallbackId)))
    if callback is CallbackId.SNOOZE_MODAL:
        metadata = draw(st.one_of(ids.map(lambda i: SnoozeModal(i, "C0ALERTS").encode()), free_text))
        values = {"duration": {"value": draw(st.none() | durations | free_text)}}
    else:
        forged = draw(fingerprints.map(lambda f: AcceptRiskModal(f, "C0ALERTS", None).encode()))
        metadata = draw(st.sampled_from([forged, draw(free_text)]))
        values = {}
    values["reason"] = {"value": draw(st.none() | free_text)}
    view = {"id": "V0FUZZ", "type": "modal", "callback_id": callback.value, "private_metadata": metadata, "blocks": []}
    return view, values


@FUZZ
@given(submission=submissions())
async def test_modal_submissions_with_generated_input_are_acked_fast_and_answered_safely(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, submission: tuple[dict[str, Any], dict[str, dict[str, Any]]]
) -> None:
    view, values = submission
    watch = Watch(bot, caplog)
    delivery = await bot.slack.send_view_submission(bot.events_url, view=view, values=values)
    await watch.check(delivery, submission)
