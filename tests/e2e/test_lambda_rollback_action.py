"""Rolling back a Lambda alias end to end: a function with published versions and an alias in moto, the
lambda_errors alert, the confirmation that reads the alias and the version before it ("alias live: 3 → 2"),
UpdateAlias in moto verified by the function_updated waiter on the alias, the version it served kept in the run and
shown in the audit; no roll back without an older version, and none of an alias that moved since the confirmation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.store.models import ActionRun
from sandbox.aws.server import MotoHandle
from tests.e2e.test_runbook_actions import audit_results, lambda_alert, submit, verify_until_done
from tests.harness import RunningBot, running_bot
from tests.runbook import lambda_client, orders_function, responder_config


def config() -> dict[str, Any]:
    return responder_config({"enabled": ["lambda_rollback_alias"]}, allowed=["run:lambda_rollback_alias"])


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url, config=config()) as running:
        yield running


def published(moto: MotoHandle, versions: int) -> None:
    """The function `orders` with `versions` published versions (each a change of its description), no alias."""
    client = orders_function(moto)
    for version in range(1, versions + 1):
        client.update_function_configuration(FunctionName="orders", Description=f"release {version}")
        client.publish_version(FunctionName="orders")


def aliased(moto: MotoHandle, versions: int, live: str, **alias: Any) -> None:
    published(moto, versions)
    lambda_client(moto).create_alias(FunctionName="orders", Name="live", FunctionVersion=live, **alias)


def alias_of(moto: MotoHandle) -> dict[str, Any]:
    return dict(lambda_client(moto).get_alias(FunctionName="orders", Name="live"))


async def confirmation(bot: RunningBot, message: Any) -> dict[str, Any]:
    """Click the one action on the incident; the modal once it has read the alias (confirmation, or why not)."""
    before = {v["id"] for v in bot.slack.open_views("U0ALICE")}
    await bot.click(action_id="incident_run", channel="#alerts", message_ts=message.ts, user="U0ALICE")
    views = await bot.wait_for(lambda: [
        v for v in bot.slack.open_views("U0ALICE")
        if v["id"] not in before and "Reading from AWS" not in str(v["blocks"])
    ])  # fmt: skip
    return views[-1]


async def test_rollback_points_the_alias_at_the_version_before_and_remembers_the_one_it_served(
    bot: RunningBot,
) -> None:
    await asyncio.to_thread(aliased, bot.moto, 3, "3")
    message = await lambda_alert(bot)
    modal = await confirmation(bot, message)
    shown = str(modal["blocks"])
    assert "Roll back the alias live of orders: 3 → 2." in shown
    revision = (await asyncio.to_thread(alias_of, bot.moto))["RevisionId"]
    assert (f"lambda.UpdateAlias(FunctionName='orders', Name='live', FunctionVersion='2', "
            f"RevisionId='{revision}')") in shown  # fmt: skip
    assert "aws lambda update-alias --function-name orders --name live --function-version 3" in shown

    await submit(bot, modal)
    replies = await verify_until_done(bot, message)
    assert (await asyncio.to_thread(alias_of, bot.moto))["FunctionVersion"] == "2"
    assert "lambda function_updated" in str(replies[0].blocks)
    assert replies[-1].text.startswith(
        "<@U0ALICE> `lambda_rollback_alias` on `orders:live` (alias live: 3 → 2) worked: "
        "`lambda function_updated` is done (last update status: Successful)."
    )
    run = await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).one())
    assert run.status == "succeeded" and run.request["before"] == {"version": "3", "canary": {}}
    assert await audit_results(bot) == ["action_called", "action_succeeded"]

    await bot.command("/boltwatch", "audit 1h")
    [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert "`lambda_rollback_alias:orders:live` alias live: 3 → 2 · succeeded" in str(answer.blocks)


async def test_an_alias_shifting_weight_to_a_new_version_goes_back_to_its_primary_version(bot: RunningBot) -> None:
    await asyncio.to_thread(aliased, bot.moto, 3, "2", RoutingConfig={"AdditionalVersionWeights": {"3": 0.1}})
    message = await lambda_alert(bot)
    modal = await confirmation(bot, message)
    assert "Roll back the alias live of orders: 2 + 3 at 10% → 2." in str(modal["blocks"])
    assert "RoutingConfig={'AdditionalVersionWeights': {}}" in str(modal["blocks"])
    await submit(bot, modal)
    await verify_until_done(bot, message)
    alias = await asyncio.to_thread(alias_of, bot.moto)
    assert alias["FunctionVersion"] == "2"
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        (
            lambda moto: aliased(moto, 1, "1"),
            "The alias live of orders points at version 1, and no published version is older.",
        ),
        (lambda moto: aliased(moto, 0, "$LATEST"), "points at $LATEST, which has no version before it"),
        (lambda moto: published(moto, 2), "orders has no alias live: nothing to roll back."),
    ],
    ids=["first-version", "latest", "no-alias"],
)
async def test_an_alias_without_an_older_version_is_not_rolled_back(bot: RunningBot, setup: Any, why: str) -> None:
    await asyncio.to_thread(setup, bot.moto)
    message = await lambda_alert(bot)
    notice = await confirmation(bot, message)
    assert notice["title"]["text"] == "Not possible"
    assert why.replace("`", "") in str(notice["blocks"]).replace("`", "")
    assert notice.get("submit") is None
    assert await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).all()) == []


async def test_a_confirmation_of_an_alias_that_moved_since_it_opened_runs_nothing(bot: RunningBot) -> None:
    await asyncio.to_thread(aliased, bot.moto, 3, "2")
    message = await lambda_alert(bot)
    modal = await confirmation(bot, message)
    assert "orders: 2 → 1." in str(modal["blocks"])

    def deployed() -> None:  # someone shipped version 3 meanwhile
        lambda_client(bot.moto).update_alias(FunctionName="orders", Name="live", FunctionVersion="3")

    await asyncio.to_thread(deployed)
    await submit(bot, modal)
    [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert refusal.text.startswith("Nothing was run: AWS has changed since this confirmation opened. Now it would: "
                                   "Roll back the alias live of orders: 3 → 2.")  # fmt: skip
    assert (await asyncio.to_thread(alias_of, bot.moto))["FunctionVersion"] == "3"
    assert await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).all()) == []


async def test_someone_no_rule_allows_is_told_so_in_the_modal_and_nothing_is_called(bot: RunningBot) -> None:
    await asyncio.to_thread(aliased, bot.moto, 3, "3")
    message = await lambda_alert(bot)
    await bot.click(action_id="incident_run", channel="#alerts", message_ts=message.ts, user="U0BOB")
    [notice] = await bot.wait_for(
        lambda: [v for v in bot.slack.open_views("U0BOB") if "Reading from AWS" not in str(v["blocks"])]
    )
    assert notice["title"]["text"] == "Not allowed"
    assert "You can't run lambda_rollback_alias here: only <@U0ALICE> may run lambda_rollback_alias." in str(
        notice["blocks"]
    )
    assert (await asyncio.to_thread(alias_of, bot.moto))["FunctionVersion"] == "3"
    assert await audit_results(bot) == ["action_refused"]


async def test_a_second_rollback_waits_for_the_cooldown_instead_of_going_one_version_further(bot: RunningBot) -> None:
    await asyncio.to_thread(aliased, bot.moto, 3, "3")
    message = await lambda_alert(bot)
    await submit(bot, await confirmation(bot, message))
    await verify_until_done(bot, message)
    again = await confirmation(bot, message)
    assert "orders: 2 → 1." in str(again["blocks"])
    await submit(bot, again)
    [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert "lambda_rollback_alias ran on orders:live" in refusal.text and "may run there again in" in refusal.text
    assert (await asyncio.to_thread(alias_of, bot.moto))["FunctionVersion"] == "2"
    assert await audit_results(bot) == ["action_called", "action_succeeded", "action_refused"]
