"""`/boltwatch actions INCIDENT` through signed commands: what the incident offers, the exact call of each, whether
the person asking may run it and its cooldown, privately, with Run buttons that open the same confirmation."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bot.ids import RunButton
from sandbox.aws.server import MotoHandle
from tests.e2e.test_custom_actions import config
from tests.e2e.test_runbook_actions import ecs_alert, ecs_service, submit, verify_until_done
from tests.harness import RunningBot, running_bot


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url, config=config()) as running:
        yield running


async def actions_answer(bot: RunningBot, text: str, user: str = "U0ALICE") -> Any:
    before = len(bot.slack.ephemerals(user=user))
    await bot.command("/boltwatch", text, user=user)
    answers = await bot.wait_for(lambda: (e := bot.slack.ephemerals(user=user)) and len(e) > before and e)
    return answers[-1]


def sections(answer: Any) -> dict[str, dict[str, Any]]:
    """The answer's sections by the action name they show (`ecs_scale_out`)."""
    names = ("ecs_force_deployment", "ecs_scale_out", "ecs_tag_team")
    return {n: b for b in answer.blocks if b["type"] == "section" for n in names if f"`{n}`" in b["text"]["text"]}


async def test_it_lists_each_action_with_its_call_and_the_run_button_of_the_message(bot: RunningBot) -> None:
    await asyncio.to_thread(ecs_service, bot.moto)
    await ecs_alert(bot)
    answer = await actions_answer(bot, "actions 1")
    shown = sections(answer)
    assert list(shown) == ["ecs_force_deployment", "ecs_scale_out"]  # the alert has no team label to tag with
    scale_out = shown["ecs_scale_out"]
    assert "ecs.UpdateService(cluster='web', service='api', desiredCount=4" in scale_out["text"]["text"]
    assert "You may run it." in scale_out["text"]["text"]
    button = scale_out["accessory"]
    assert button["action_id"] == "incident_run" and button["value"] == RunButton(1, "ecs_scale_out").encode()

    await bot.click(action_id="incident_run", channel="#alerts", user="U0ALICE", value=button["value"])
    [modal] = await bot.wait_for(lambda: bot.slack.open_views("U0ALICE"))
    assert modal["callback_id"] == "action_confirm" and "desiredCount=4" in str(modal["blocks"])


async def test_it_shows_the_cooldown_left_after_a_run(bot: RunningBot) -> None:
    await asyncio.to_thread(ecs_service, bot.moto)
    message = await ecs_alert(bot)
    await bot.click(action_id="incident_run", channel="#alerts", user="U0ALICE",
                    value=RunButton(1, "ecs_scale_out").encode())  # fmt: skip
    [modal] = await bot.wait_for(lambda: bot.slack.open_views("U0ALICE"))
    await submit(bot, modal)
    await verify_until_done(bot, message)
    shown = sections(await actions_answer(bot, "actions #1"))
    assert re.search(
        r"Cooling down: it may run on this resource again in [1-9]m", shown["ecs_scale_out"]["text"]["text"]
    )
    assert "Cooling down" not in shown["ecs_force_deployment"]["text"]["text"]


async def test_someone_the_rules_do_not_allow_sees_why_and_no_button(bot: RunningBot) -> None:
    await asyncio.to_thread(ecs_service, bot.moto)
    await ecs_alert(bot)
    scale_out = sections(await actions_answer(bot, "actions 1", user="U0BOB"))["ecs_scale_out"]
    assert "You may not run it here: only <@U0ALICE> may run ecs_scale_out." in scale_out["text"]["text"]
    assert "adding `U0BOB` to its `users` would allow you" in scale_out["text"]["text"]
    assert "accessory" not in scale_out


async def test_an_unknown_incident_or_a_word_that_is_no_number_is_answered_clearly(bot: RunningBot) -> None:
    assert (await actions_answer(bot, "actions 99")).text == (
        "There is no incident #99. `/boltwatch incidents` lists the open ones."
    )
    assert "`abc` is not an incident's number like 12." in (await actions_answer(bot, "actions abc")).text
    assert "INCIDENT is missing" in (await actions_answer(bot, "actions")).text


async def test_help_lists_it(bot: RunningBot) -> None:
    assert "/boltwatch actions INCIDENT" in str((await actions_answer(bot, "help")).blocks)
