"""Pausing an alarm's actions end to end: the cloudwatch_alarms check's alert in moto, a signed pick of the action,
the confirmation that reads the alarm's actions and lets the pause's length be changed, DisableAlarmActions in moto
verified by Boltwatch's own waiter, and EnableAlarmActions made by Boltwatch itself when the time is up: after a
restart, after AWS was unreachable, or not at all when someone resumed them first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest
from sqlalchemy import select

from bot.store.models import ScheduledUndo
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from tests.e2e.test_runbook_actions import audit_results, submit, verify_until_done
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, running_bot
from tests.runbook import responder_config

ALARM = "orders-errors"
PAGER = "arn:aws:sns:us-east-1:123456789012:pager"
ACTIONS = ["alarm_actions_pause", "alarm_actions_resume"]


def config() -> dict[str, Any]:
    return responder_config({"enabled": ACTIONS})


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url, config=config()) as running:
        yield running


def cloudwatch(moto: MotoHandle):  # type: ignore[no-untyped-def]
    return boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")


def firing_alarm(moto: MotoHandle, *, actions_enabled: bool = True) -> None:
    """The alarm `orders-errors` in ALARM, paging through an SNS topic (moto never evaluates alarms: it is set)."""
    client = cloudwatch(moto)
    client.put_metric_alarm(
        AlarmName=ALARM, Namespace="AWS/Lambda", MetricName="Errors", Dimensions=[], Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[PAGER],
        ActionsEnabled=actions_enabled,
    )  # fmt: skip
    client.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="Threshold Crossed: 4 errors")


def actions_enabled(moto: MotoHandle) -> bool:
    return bool(cloudwatch(moto).describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]["ActionsEnabled"])


async def alarm_alert(bot: RunningBot, **alarm: bool) -> Any:
    """The alarm firing in moto, seen by the cloudwatch_alarms check; the incident's message."""
    await asyncio.to_thread(firing_alarm, bot.moto, **alarm)
    await bot.run_checks()
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    return message


def offered(bot: RunningBot, message: Any) -> dict[str, str | None]:
    """The runbook actions the incident's message offers now, by title: the option to select in its overflow, or
    None for its one button."""
    [current] = [m for m in bot.slack.channel_messages("#alerts") if m.ts == message.ts]
    elements = [e for b in current.blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "incident_run"]  # fmt: skip
    if not elements:
        return {}
    [run] = elements
    if "options" not in run:
        return {run["text"]["text"].removesuffix("…"): None}
    return {option["text"]["text"]: option["value"] for option in run["options"]}


async def pick(bot: RunningBot, message: Any, title: str) -> dict[str, Any]:
    """Pick `title` among the incident's actions; the modal once the action has read AWS (its confirmation, or why
    it cannot run)."""
    await bot.wait_for(lambda: title in offered(bot, message))
    await bot.click(action_id="incident_run", channel="#alerts", message_ts=message.ts, user="U0ALICE",
                    selected_option=offered(bot, message)[title])  # fmt: skip
    views = await bot.wait_for(
        lambda: [v for v in bot.slack.open_views("U0ALICE") if "Reading from AWS" not in str(v["blocks"])]
    )
    return views[-1]


async def paused(bot: RunningBot, message: Any, duration: str | None = None) -> list[Any]:
    """Pause the alarm's actions (for `duration`, else the default) and verify it; the thread's replies."""
    modal = await pick(bot, message, "Pause alarm actions")
    values = {"param:duration": {"value": duration}} if duration else {}
    await submit(bot, modal, **values)
    return await verify_until_done(bot, message)


async def undos(bot: RunningBot) -> list[ScheduledUndo]:
    return await bot.app.services.db.run(lambda s: list(s.scalars(select(ScheduledUndo).order_by(ScheduledUndo.id))))


def reenabled(bot: RunningBot, message: Any) -> list[Any]:
    return [r for r in bot.slack.thread("#alerts", message.ts) if "enabled again" in r.text]


async def test_pause_disables_the_actions_and_boltwatch_enables_them_again_when_the_time_is_up(
    bot: RunningBot,
) -> None:
    message = await alarm_alert(bot)
    modal = await pick(bot, message, "Pause alarm actions")
    assert modal["callback_id"] == "action_confirm"
    shown = str(modal["blocks"])
    assert f"Pause the actions of alarm {ALARM} (on ALARM: {PAGER}) for the time below" in shown
    assert f"cloudwatch.DisableAlarmActions(AlarmNames=['{ALARM}'])" in shown
    assert f"after 1h (or the time set below), Boltwatch calls cloudwatch.EnableAlarmActions(AlarmNames=['{ALARM}'])" \
        in shown  # fmt: skip
    [length] = [b for b in modal["blocks"] if b.get("block_id") == "param:duration"]
    assert length["element"]["initial_value"] == "1h"

    await submit(bot, modal, **{"param:duration": {"value": "30m"}})
    replies = await verify_until_done(bot, message)
    assert not await asyncio.to_thread(actions_enabled, bot.moto)
    outcome = replies[-1].text
    assert outcome.startswith(f"<@U0ALICE> `alarm_actions_pause` on `{ALARM}` (actions off for 30m) worked")
    assert "`cloudwatch alarm_actions_disabled` is done (actions enabled: False)" in outcome
    assert offered(bot, message) == {"Resume alarm actions": None}  # not a second pause

    [undo] = await undos(bot)
    assert undo.due_at - undo.created_at == timedelta(minutes=30)
    bot.clock.now = undo.due_at - timedelta(seconds=1)
    assert await bot.app.undos.run_due() == 0  # not yet
    bot.clock.now = undo.due_at
    assert await bot.app.undos.run_due() == 1
    assert await asyncio.to_thread(actions_enabled, bot.moto)
    [told] = await bot.wait_for(lambda: reenabled(bot, message))
    assert told.text.startswith(
        f":bell: The actions of alarm {ALARM} are enabled again: Boltwatch called "
        f"`cloudwatch.EnableAlarmActions(AlarmNames=['{ALARM}'])` by itself (actions enabled: True), 30m after "
        f"<@U0ALICE> ran `alarm_actions_pause` on `{ALARM}`."
    )
    assert await bot.app.undos.run_due() == 0  # made once
    await bot.wait_for(lambda: offered(bot, message) == {"Pause alarm actions": None})  # the pause is over
    assert await audit_results(bot) == ["action_called", "action_succeeded", "action_undone"]

    await bot.command("/boltwatch", "audit 2h")
    [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    audit = str(answer.blocks)
    assert f"Boltwatch (automatic, paused by <@U0ALICE>) `alarm_actions_pause:{ALARM}` undone after 30m" in audit
    assert f"<@U0ALICE> `alarm_actions_pause:{ALARM}` actions off for 30m · succeeded" in audit


async def test_the_automatic_re_enable_survives_a_restart(moto: MotoHandle, database_url: str) -> None:
    clock = FakeClock()
    async with LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp) as slack:
        async with running_bot(moto=moto, database_url=database_url, config=config(), clock=clock,
                               slack=slack) as first:  # fmt: skip
            message = await alarm_alert(first)
            await paused(first, message, "5m")
        assert not await asyncio.to_thread(actions_enabled, moto)

        clock.advance(minutes=6)  # the pause ended while no Boltwatch ran
        async with running_bot(moto=moto, database_url=database_url, config=config(), clock=clock, slack=slack,
                               background=True) as second:  # fmt: skip
            [told] = await slack.wait_for(lambda: reenabled(second, message))
            assert await asyncio.to_thread(actions_enabled, moto)
            assert "Boltwatch called `cloudwatch.EnableAlarmActions" in told.text and "<@U0ALICE>" in told.text
            assert [u.status for u in await undos(second)] == ["done"]


@dataclass(frozen=True)
class Unreachable:
    """An AWS endpoint nothing listens on."""

    endpoint: str = "http://127.0.0.1:9"


async def test_a_re_enable_aws_refuses_is_told_and_made_when_aws_answers_again(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock()
    async with LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp) as slack:
        async with running_bot(moto=moto, database_url=database_url, config=config(), clock=clock,
                               slack=slack) as first:  # fmt: skip
            message = await alarm_alert(first)
            await paused(first, message, "5m")
        clock.advance(minutes=5)
        async with running_bot(moto=Unreachable(), database_url=database_url, config=config(), clock=clock,
                               slack=slack) as cut_off:  # fmt: skip
            assert await cut_off.app.undos.run_due() == 1
            [warning] = await cut_off.wait_for(
                lambda: [r for r in slack.thread("#alerts", message.ts) if "could not call" in r.text]
            )
            assert warning.text.startswith(
                f":warning: <@U0ALICE> Boltwatch could not call `cloudwatch.EnableAlarmActions(AlarmNames=['{ALARM}'])`"
                f" to end `alarm_actions_pause` on `{ALARM}`: Could not reach AWS"
            )
            assert "It tries again in 1m" in warning.text
            assert await cut_off.app.undos.run_due() == 0  # not before its retry is due
        assert not await asyncio.to_thread(actions_enabled, moto)

        clock.advance(minutes=1)
        async with running_bot(moto=moto, database_url=database_url, config=config(), clock=clock,
                               slack=slack) as back:  # fmt: skip
            assert await back.app.undos.run_due() == 1
            assert await asyncio.to_thread(actions_enabled, moto)
            await back.wait_for(lambda: reenabled(back, message))
            assert await audit_results(back) == ["action_called", "action_succeeded", "action_undo_failed",
                                                 "action_undone"]  # fmt: skip


async def test_resume_ends_the_pause_early_and_calls_off_the_automatic_re_enable(bot: RunningBot) -> None:
    message = await alarm_alert(bot)
    await paused(bot, message)
    modal = await pick(bot, message, "Resume alarm actions")
    assert f"cloudwatch.EnableAlarmActions(AlarmNames=['{ALARM}'])" in str(modal["blocks"])
    await submit(bot, modal)
    for _ in range(40):
        replies = bot.slack.thread("#alerts", message.ts)
        if any("`alarm_actions_resume`" in r.text and "worked" in r.text for r in replies):
            break
        await bot.app.waits.poll_due()
        await bot.drain()
        bot.clock.advance(seconds=15)
        await asyncio.sleep(0.02)
    assert any("`alarm_actions_resume`" in r.text and "(actions on) worked" in r.text for r in replies)
    assert await asyncio.to_thread(actions_enabled, bot.moto)
    assert [u.status for u in await undos(bot)] == ["superseded"]

    bot.clock.advance(hours=2)
    assert await bot.app.undos.run_due() == 0
    await bot.drain()
    assert reenabled(bot, message) == []


async def test_the_pause_length_is_checked_and_a_dry_run_shows_what_would_happen(bot: RunningBot) -> None:
    message = await alarm_alert(bot)
    modal = await pick(bot, message, "Pause alarm actions")
    delivery = await bot.slack.send_view_submission(
        bot.events_url, view=modal["id"], user="U0ALICE", values={"param:duration": {"value": "2d"}}
    )
    assert delivery.json() == {"response_action": "errors",
                               "errors": {"param:duration": "a pause lasts from 5m to 24h, not 2d"}}  # fmt: skip

    dry_run = {"choice": {"type": "checkboxes", "selected_options": [{"value": "dry_run"}]}}
    await submit(bot, modal, **{"param:duration": {"value": "2h"}, "dry_run": dry_run})
    [shown] = await bot.wait_for(lambda: [v for v in bot.slack.open_views("U0ALICE") if "Dry run" in str(v)])
    assert f"cloudwatch.DisableAlarmActions(AlarmNames=['{ALARM}'])" in str(shown["blocks"])
    assert "after 2h, Boltwatch calls cloudwatch.EnableAlarmActions" in str(shown["blocks"])
    assert await asyncio.to_thread(actions_enabled, bot.moto)
    for _ in range(100):
        if await audit_results(bot) == ["action_dry_run"]:
            break
        await asyncio.sleep(0.02)
    assert await audit_results(bot) == ["action_dry_run"]
    assert await undos(bot) == []


async def test_an_alarm_whose_actions_are_off_already_is_not_paused(bot: RunningBot) -> None:
    message = await alarm_alert(bot, actions_enabled=False)
    notice = await pick(bot, message, "Pause alarm actions")
    assert notice["title"]["text"] == "Not possible"
    assert f"The actions of alarm {ALARM} are disabled already: nothing to pause." in str(notice["blocks"])
    assert await audit_results(bot) == []
