"""The custom action of examples/boltwatch.yml end to end, as the built-in ones run: offered on the incident it
applies to, its confirmation showing the call its template fills from the alert's labels, the call in moto with the
responder role, its waiter's outcome in the thread, the audit; an action whose placeholders the alert cannot fill is
not offered."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from sqlalchemy import select

from bot.store.models import ActionRun
from sandbox.aws.server import MotoHandle
from tests.e2e.test_runbook_actions import (
    audit_results,
    choose,
    ecs_alert,
    ecs_service,
    offered,
    submit,
    verify_until_done,
)
from tests.harness import RunningBot, running_bot
from tests.runbook import RESPONDER, responder_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "boltwatch.yml"
NEEDS_A_TEAM = {
    "name": "ecs_tag_team", "title": "Tag with its team", "applies_to": ["ecs_services"], "service": "ecs",
    "operation": "TagResource", "confirm": "Tag {resource} with team {label.team}",
    "params": {"resourceArn": "{resource}", "tags": [{"key": "team", "value": "{label.team}"}]},
}  # fmt: skip


def config() -> dict[str, Any]:
    actions = yaml.safe_load(EXAMPLE.read_text())["actions"]
    actions["custom"].append(NEEDS_A_TEAM)
    return responder_config(actions, checks=[{"type": "ecs_services", "every": "1h"}])


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url, config=config()) as running:
        yield running


def described(moto: MotoHandle) -> dict[str, Any]:
    client = boto3.client("ecs", endpoint_url=moto.endpoint, region_name="us-east-1")
    return dict(client.describe_services(cluster="web", services=["api"])["services"][0])


async def test_the_example_s_custom_action_scales_the_service_out_and_its_waiter_proves_it(bot: RunningBot) -> None:
    resource = await asyncio.to_thread(ecs_service, bot.moto)
    message = await ecs_alert(bot)
    assert offered(message) == ["Force new deployment", "Scale out to 4 tasks"]  # no team label: no tagging

    modal = await choose(bot, message, "Scale out to 4 tasks")
    shown = str(modal["blocks"])
    assert ("ecs.UpdateService(cluster='web', service='api', desiredCount=4, "
            "deploymentConfiguration={'minimumHealthyPercent': 100, 'maximumPercent': 200})") in shown  # fmt: skip
    assert "Scale web/api out to 4 tasks" in shown and RESPONDER in shown and "ecs services_stable" in shown
    await submit(bot, modal)

    replies = await verify_until_done(bot, message)
    service = await asyncio.to_thread(described, bot.moto)
    assert service["desiredCount"] == 4 and service["deploymentConfiguration"]["minimumHealthyPercent"] == 100
    assert "ecs services_stable" in str(replies[0].blocks)
    assert replies[-1].text.startswith("<@U0ALICE> `ecs_scale_out`") and "worked" in replies[-1].text
    assert await audit_results(bot) == ["action_called", "action_succeeded"]
    run = await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).one())
    assert (run.action, run.resource, run.status) == ("ecs_scale_out", resource, "succeeded")

    await bot.command("/boltwatch", "audit 1h")
    [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert f"ecs_scale_out:{resource}" in str(answer.blocks) and "succeeded" in str(answer.blocks)


async def test_a_custom_action_waits_for_its_cooldown_like_a_built_in_one(bot: RunningBot) -> None:
    await asyncio.to_thread(ecs_service, bot.moto)
    message = await ecs_alert(bot)
    await submit(bot, await choose(bot, message, "Scale out to 4 tasks"))
    await verify_until_done(bot, message)
    [message] = bot.slack.channel_messages("#alerts")
    await submit(bot, await choose(bot, message, "Scale out to 4 tasks"))
    [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert "ecs_scale_out ran on web/api" in refusal.text and "may run there again in" in refusal.text
