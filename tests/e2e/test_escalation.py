"""Escalation and on-call through the whole bot: an alarm nobody acknowledges pages the on-call person at 5 minutes
(in the thread, and by direct message with the incident's buttons), then the lead and #ops at 15; Acknowledge
clicked in the direct message stops it; two replicas on one database page once; a restart loses nothing;
`/boltwatch oncall` answers who is on call, and an override changes who is paged; a confirmed mute or a maintenance
window holds the pages, and its end resumes them where they stood; the on-call answer and handoff notes follow a
rotation across a daylight-saving change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.ids import ActionId
from bot.store import Database, make_engine
from bot.store.models import AuditEvent, IncidentEvent, OnCallOverride
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from tests.e2e.test_boltwatch_command import buttons, confirmed, reply
from tests.e2e.test_incident_flow import button_ids, put_alarm, set_state
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, base_config, running_bot

ALARM = "payments-api-errors"


def config() -> dict[str, Any]:
    """Alice is on call until a daily handoff to Bob two hours (Berlin wall clock) from the real time now."""
    handoff = datetime.now(ZoneInfo("Europe/Berlin")).replace(tzinfo=None) + timedelta(hours=2)
    rotation = {"users": ["U0ALICE", "U0BOB"], "every": "daily", "handoff": f"{handoff:%H:%M}",
                "start": str(handoff.date() - timedelta(days=1))}  # fmt: skip
    return base_config(
        routes=[{
            "name": "payments",
            "escalation": [
                {"after": "5m", "notify": ["schedule:primary"]},
                {"after": "15m", "notify": ["U0BOB", "#ops"]},
            ],
        }],
        schedules=[{
            "name": "primary", "channel": "#ops", "timezone": "Europe/Berlin",
            "rotations": [rotation],
        }],
    )  # fmt: skip


async def fired(bot: RunningBot) -> str:
    """The alarm fires and its incident is posted; the message's ts."""
    await asyncio.to_thread(put_alarm, bot.moto, ALARM)
    await asyncio.to_thread(set_state, bot.moto, ALARM, "ALARM")
    await bot.run_checks()
    await bot.drain()
    message = bot.slack.channel_messages("#alerts")[-1]
    assert ALARM in message.text
    return message.ts


async def later(bot: RunningBot, minutes: float) -> int:
    """Move the clock on, take the escalation steps due then, send what they queued; how many were taken."""
    bot.clock.advance(minutes=minutes)
    taken = await bot.app.escalations.run_due()
    await bot.drain()
    return taken


def replies(bot: RunningBot, ts: str) -> list[str]:
    return [reply.text for reply in bot.slack.thread("#alerts", ts)]


async def test_levels_page_at_their_times_and_acknowledging_in_the_direct_message_stops_them(
    moto: MotoHandle, database_url: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config()) as bot:
        ts = await fired(bot)
        assert await later(bot, 4) == 0
        assert replies(bot, ts) == []
        assert await later(bot, 1) == 1
        [paged] = replies(bot, ts)
        assert paged == (":rotating_light: Not acknowledged after 5m: paging <@U0ALICE> (on call in primary) "
                         "(level 1 of 2).")  # fmt: skip
        [page] = bot.slack.channel_messages("U0ALICE")  # the direct message
        assert "You are paged: incident #1" in page.text
        assert "incident_ack" in button_ids(page)

        delivery = await bot.click(action_id="incident_ack", channel="U0ALICE", message_ts=page.ts, user="U0ALICE")
        assert delivery.status == 200
        await bot.drain_until(lambda: len(replies(bot, ts)) == 2)
        assert "acknowledged" in replies(bot, ts)[1] and "<@U0ALICE>" in replies(bot, ts)[1]
        assert bot.slack.ephemerals(user="U0ALICE") == []  # not refused

        assert await later(bot, 20) == 0
        assert bot.slack.channel_messages("U0BOB") == []
        assert bot.slack.channel_messages("#ops") == []

        def recorded(session):  # type: ignore[no-untyped-def]
            kinds = [e.kind for e in session.scalars(select(IncidentEvent).order_by(IncidentEvent.id))]
            audit = [a.action for a in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
            return kinds, audit

        kinds, audit = await bot.app.services.db.run(recorded)
        assert kinds[-3:] == ["escalated", "acknowledge", "escalation_stopped"]
        assert audit == ["escalation_paged", "acknowledge", "escalation_stopped"]


async def test_unacknowledged_it_reaches_the_second_level_then_stops(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config()) as bot:
        ts = await fired(bot)
        assert await later(bot, 5) == 1
        assert await later(bot, 9) == 0
        assert await later(bot, 1) == 1
        assert replies(bot, ts)[1] == (
            ":rotating_light: Not acknowledged after 15m: paging <@U0BOB>, #ops (level 2 of 2)."
        )
        [bob] = bot.slack.channel_messages("U0BOB")
        [ops] = bot.slack.channel_messages("#ops")
        assert "incident_ack" in button_ids(bob) and "incident_ack" in button_ids(ops)
        assert await later(bot, 60) == 0
        assert len(replies(bot, ts)) == 2


@pytest.fixture
async def replicas(moto: MotoHandle, database_url: str) -> AsyncIterator[tuple[RunningBot, RunningBot]]:
    clock = FakeClock()
    slack = await LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp).start()
    shared = config()
    async with AsyncExitStack() as stack:
        a, b = [
            await stack.enter_async_context(
                running_bot(moto=moto, database_url=database_url, config=shared, clock=clock, slack=slack, holder=name)
            )
            for name in ("replica-a", "replica-b")
        ]
        yield a, b
    await slack.stop()


async def test_two_replicas_on_one_database_page_once(replicas: tuple[RunningBot, RunningBot]) -> None:
    a, b = replicas
    ts = await fired(a)
    a.clock.advance(minutes=5)
    taken = await asyncio.gather(*(bot.app.escalations.run_due() for bot in (a, b, a, b)))
    assert sorted(taken) == [0, 0, 0, 1]
    await a.drain()
    await b.drain()
    assert len(a.slack.channel_messages("U0ALICE")) == 1
    assert len(replies(a, ts)) == 1


async def test_a_restart_takes_the_steps_that_fell_due_meanwhile_and_none_twice(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock()
    slack = await LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp).start()
    try:
        async with running_bot(moto=moto, database_url=database_url, config=config(), clock=clock, slack=slack) as bot:
            ts = await fired(bot)
            assert await later(bot, 5) == 1
        clock.advance(minutes=12)  # the bot is down when level 2 falls due
        async with running_bot(moto=moto, database_url=database_url, config=config(), clock=clock, slack=slack) as bot:
            assert await later(bot, 0) == 1
            assert len(bot.slack.channel_messages("U0ALICE")) == 1  # level 1 is not paged again
            assert len(bot.slack.channel_messages("U0BOB")) == 1
            assert len(replies(bot, ts)) == 2
    finally:
        await slack.stop()


async def answer(bot: RunningBot, text: str) -> str:
    before = len(bot.slack.ephemerals()) + len(bot.slack.channel_messages("#alerts"))
    await bot.command("/boltwatch", text)
    await bot.wait_for(lambda: len(bot.slack.ephemerals()) + len(bot.slack.channel_messages("#alerts")) > before)
    latest = max(bot.slack.ephemerals() + bot.slack.channel_messages("#alerts"), key=lambda m: float(m.ts))
    return f"{latest.text} {latest.blocks}"


async def test_oncall_says_who_and_an_override_changes_who_is_paged(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config()) as bot:
        now = await answer(bot, "oncall")
        assert "*primary*: <@U0ALICE> is on call now" in now
        assert "Europe/Berlin) → <@U0BOB>" in now  # the next handoff, in the schedule's time too

        assert await later(bot, 0) == 0  # the handoff tick remembers Alice on call (and says nothing)
        overridden = await answer(bot, "oncall override <@U0CAROL|carol> 2h")
        assert "<@U0CAROL> is on call in *primary* until" in overridden and "an override by <@U0ALICE>" in overridden
        assert "<@U0CAROL> is on call in *primary*" in (await bot.wait_for(
            lambda: bot.slack.channel_messages("#ops")
        ))[-1].text  # fmt: skip
        await later(bot, 0)  # the handoff tick after the override
        assert len(bot.slack.channel_messages("#ops")) == 1  # one note of the handoff, the override's own
        assert "*primary*: <@U0CAROL> is on call now (override)" in await answer(bot, "oncall primary")

        ts = await fired(bot)
        await later(bot, 5)
        assert "<@U0CAROL> (on call in primary)" in replies(bot, ts)[0]
        assert len(bot.slack.channel_messages("U0CAROL")) == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("oncall secondary", "No schedule is named `secondary`."),
        ("oncall override carol 2h", "`carol` is not a person: mention them as @name."),
        ("oncall override <@U0CAROL> soon", "`soon` is not a duration like 4h, 1d."),
        ("oncall override <@U0CAROL> 31d", "`31d` is longer than 30 days, the longest override."),
        ("oncall override <@U0CAROL>", "@USER and DURATION are needed"),
        ("oncall override <@U0CAROL> 2h tertiary", "No schedule is named `tertiary`."),
    ],
)
async def test_oncall_mistakes_get_a_specific_private_reply_and_change_nothing(
    moto: MotoHandle, database_url: str, text: str, problem: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config()) as bot:
        assert problem in await answer(bot, text)
        engine = make_engine(database_url)
        try:
            overrides = await Database(engine).run(lambda s: list(s.scalars(select(OnCallOverride))))
        finally:
            engine.dispose()
        assert overrides == []


async def test_home_shows_who_is_on_call_and_follows_an_override(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config()) as bot:
        assert bot.app.home is not None
        bot.app.home.refresh_seconds = 0
        await bot.slack.send_event(bot.events_url, event={"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
        home = str((await bot.wait_for(lambda: bot.slack.home_view("U0BOB")))["blocks"])
        assert "*On call*" in home and "*primary*: <@U0ALICE> is on call now" in home
        assert "Europe/Berlin) → <@U0BOB>" in home

        await answer(bot, "oncall override <@U0CAROL|carol> 2h")
        await bot.slack.send_event(bot.events_url, event={"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
        await bot.wait_for(
            lambda: "<@U0CAROL> is on call now (override)" in str(bot.slack.home_view("U0BOB")["blocks"])
        )


async def test_a_confirmed_mute_holds_the_pages_and_its_end_resumes_them_without_a_burst(
    moto: MotoHandle, database_url: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config()) as bot:
        ts = await fired(bot)
        bot.clock.advance(minutes=2)
        notice = await confirmed(bot, "mute orders-api 1h deploying")
        assert "muted alerts about `orders-api`" in notice.text
        await bot.run_checks()  # the alarm still fires: now it is silenced
        assert await later(bot, 0) == 0
        assert await later(bot, 10) == 0  # level 1 was due at 5m
        assert await later(bot, 30) == 0
        assert bot.slack.channel_messages("U0ALICE") == [] and replies(bot, ts) == []

        bot.clock.advance(minutes=21)  # the mute ended at ~62m: the next run notifies the alarm again
        await bot.run_checks()
        assert await later(bot, 0) == 0  # not every missed level at once
        assert await later(bot, 2) == 0  # 2 of level 1's 5 minutes had passed before the mute
        assert await later(bot, 2) == 1
        assert len(bot.slack.channel_messages("U0ALICE")) == 1
        assert bot.slack.channel_messages("U0BOB") == []
        assert replies(bot, ts)[-1].startswith(":rotating_light: Not acknowledged after 5m: paging <@U0ALICE>")


async def test_a_maintenance_window_holds_the_pages_until_it_ends(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config()) as bot:
        ts = await fired(bot)
        bot.clock.advance(minutes=1)
        question = await reply(bot, "maintenance orders-api now 30m database upgrade")
        confirm = buttons(question)[ActionId.MAINTENANCE_CONFIRM]
        await bot.click(action_id=confirm["action_id"], value=confirm["value"], channel="#alerts")
        await bot.wait_for(lambda: "maintenance" in bot.slack.channel_messages("#alerts")[-1].text.lower())
        await bot.run_checks()
        assert await later(bot, 0) == 0
        assert await later(bot, 20) == 0  # levels 1 and 2 would both have paged by now
        assert bot.slack.channel_messages("U0ALICE") == [] and replies(bot, ts) == []

        bot.clock.advance(minutes=11)  # the window ended at ~31m
        assert await bot.app.maintenance.run() == 1
        await bot.run_checks()
        assert await later(bot, 0) == 0
        assert await later(bot, 3) == 0  # held ~31m: level 1 falls due at ~36m
        assert await later(bot, 2) == 1
        assert len(bot.slack.channel_messages("U0ALICE")) == 1 and bot.slack.channel_messages("U0BOB") == []

        def timeline(session):  # type: ignore[no-untyped-def]
            return [e.kind for e in session.scalars(select(IncidentEvent).order_by(IncidentEvent.id))]

        kinds = await bot.app.services.db.run(timeline)
        assert [kind for kind in kinds if kind.startswith("escalat")] == [
            "escalation_held", "escalation_resumed", "escalated",
        ]  # fmt: skip


async def test_oncall_follows_a_daily_handoff_across_the_spring_change(moto: MotoHandle, database_url: str) -> None:
    """Berlin's clocks go from 02:00 CET to 03:00 CEST on 29 March 2026: the 09:00 handoff is at 07:00 UTC from then
    on, not 08:00, in the answer and in the schedule channel's note."""
    clock = FakeClock(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))  # Saturday, 13:00 CET: Bob's turn
    daily = {"users": ["U0ALICE", "U0BOB"], "every": "daily", "handoff": "09:00", "start": "2026-03-01"}
    config = base_config(schedules=[{"name": "primary", "channel": "#ops", "timezone": "Europe/Berlin",
                                     "rotations": [daily]}])  # fmt: skip
    sunday = int(datetime(2026, 3, 29, 7, 0, tzinfo=UTC).timestamp())
    monday = int(datetime(2026, 3, 30, 7, 0, tzinfo=UTC).timestamp())
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=clock) as bot:
        before = await answer(bot, "oncall")
        assert "*primary*: <@U0BOB> is on call now" in before
        assert f"<!date^{sunday}^" in before and "(Sun 29 Mar 09:00 Europe/Berlin) → <@U0ALICE>" in before

        assert await later(bot, 0) == 0  # the handoff tick remembers Bob on call
        clock.now = datetime(2026, 3, 29, 6, 59, tzinfo=UTC)  # 08:59 CEST, 07:59 by the clocks of the day before
        await later(bot, 0)
        assert bot.slack.channel_messages("#ops") == []
        clock.now = datetime(2026, 3, 29, 7, 0, 30, tzinfo=UTC)
        await later(bot, 0)
        [note] = bot.slack.channel_messages("#ops")
        assert note.text.startswith(":calendar: Handoff in *primary*: <@U0ALICE> is now on call, until ")
        assert f"<!date^{monday}^" in note.text and note.text.endswith("(then <@U0BOB>).")

        after = await answer(bot, "oncall")
        assert "*primary*: <@U0ALICE> is on call now" in after
        assert f"<!date^{monday}^" in after and "(Mon 30 Mar 09:00 Europe/Berlin) → <@U0BOB>" in after
