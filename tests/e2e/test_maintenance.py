"""Maintenance windows through the running bot, on a controlled clock: a configured window announces itself a day
ahead, when it starts and when it ends (with what it muted), mutes in between, and announces each once; one made
with `/boltwatch maintenance` previews what it would mute and makes nothing until confirmed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.ids import ActionId
from bot.store.models import MaintenanceWindow, Silence
from sandbox.aws.server import MotoHandle
from scheduler.maintenance import MaintenanceRunner
from tests.e2e.test_boltwatch_command import buttons, reply
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import FakeClock, RunningBot, base_config, running_bot

WINDOW = {
    "matchers": {"resource": "orders-api"}, "cron": "0 2 * * *", "duration": "1h", "timezone": "UTC",
    "reason": "nightly patching",
}  # fmt: skip


def tonight() -> FakeClock:
    """00:30 UTC tomorrow: the next 02:00 is an hour and a half away."""
    return FakeClock(datetime.now(UTC).replace(hour=0, minute=30, second=0, microsecond=0) + timedelta(days=1))


async def count(bot: RunningBot, model: type) -> int:
    return await bot.app.services.db.run(lambda s: s.scalar(select(func.count()).select_from(model)))


async def tick(bot: RunningBot) -> int:
    queued = await bot.app.maintenance.run()
    await bot.drain()
    return queued


def texts(bot: RunningBot) -> list[str]:
    return [m.text for m in bot.slack.channel_messages("#alerts")]


async def home_of(bot: RunningBot, user: str) -> str:
    """The text of the App Home `user` sees on opening it now."""
    assert bot.app.home is not None
    bot.app.home.refresh_seconds = 0
    before = len(bot.slack.calls_to("views.publish"))
    await bot.slack.send_event(bot.events_url, event={"type": "app_home_opened", "user": user, "tab": "home"})
    await bot.wait_for(lambda: len(bot.slack.calls_to("views.publish")) > before)
    return str(bot.slack.home_view(user)["blocks"])


async def test_a_configured_window_announces_itself_mutes_in_between_and_says_what_it_muted(
    moto: MotoHandle, database_url: str
) -> None:
    clock = tonight()
    config = base_config(maintenance=[WINDOW])
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=clock) as bot:
        await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")

        assert await tick(bot) == 1
        [scheduled] = texts(bot)
        assert scheduled.startswith(":construction: A maintenance window for `resource=orders-api` is scheduled")
        assert "nightly patching" in scheduled and "(1h)" in scheduled
        assert await tick(bot) == 0  # made once
        status = await reply(bot, "status")
        assert "*Maintenance windows*" in str(status.blocks) and "from <!date^" in str(status.blocks)

        clock.now = clock.now.replace(hour=2, minute=0, second=5)
        assert await tick(bot) == 1
        assert texts(bot)[-1].startswith(":construction: Maintenance for `resource=orders-api` started")
        home = await home_of(bot, "U0BOB")
        assert "*Maintenance windows*" in home and "`resource=orders-api`" in home and "nightly patching" in home

        await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
        await bot.run_checks()
        await bot.drain()
        assert not any("Alarm orders-api-errors" in t for t in texts(bot))  # muted: recorded, not posted
        clock.advance(minutes=30)
        assert await tick(bot) == 0
        # A restarted replica owes nothing that was announced already.
        assert await MaintenanceRunner(bot.app.services).run() == 0

        clock.now = clock.now.replace(hour=3, minute=0, second=10)
        assert await tick(bot) == 2  # its end, and the next night's window (made a day ahead)
        ended, following = texts(bot)[-2:]
        assert following.startswith(":construction: A maintenance window for `resource=orders-api` is scheduled")
        assert ended.startswith(":white_check_mark: Maintenance for `resource=orders-api` ended.")
        assert "It muted 1 alert meanwhile: Alarm orders-api-errors." in ended
        assert await MaintenanceRunner(bot.app.services).run() == 0

        await bot.run_checks()
        await bot.drain()
        assert "Alarm orders-api-errors" in texts(bot)[-1]  # after the window it is notified


async def test_the_maintenance_command_previews_and_makes_nothing_until_confirmed(
    moto: MotoHandle, database_url: str
) -> None:
    clock = tonight()
    async with running_bot(moto=moto, database_url=database_url, clock=clock) as bot:
        await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
        await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
        await bot.run_checks()
        await bot.drain()
        posted = len(texts(bot))

        question = await reply(bot, "maintenance orders-api 30m 1h database upgrade")

        assert question in bot.slack.ephemerals(user="U0ALICE")
        assert "A maintenance window for `orders-api` from" in question.text
        assert "would mute 1 alert firing now:" in question.text and "Alarm orders-api-errors" in question.text
        assert set(buttons(question)) == {ActionId.MAINTENANCE_CONFIRM, ActionId.MAINTENANCE_CANCEL}
        assert (await count(bot, MaintenanceWindow), await count(bot, Silence)) == (0, 0)
        assert len(texts(bot)) == posted

        confirm = buttons(question)[ActionId.MAINTENANCE_CONFIRM]
        await bot.click(action_id=confirm["action_id"], value=confirm["value"], channel="#alerts")
        made, *more = await bot.wait_for(lambda: texts(bot)[posted:])
        assert more == [], more
        assert made.startswith(
            ":construction: A maintenance window for `resource=orders-api` is scheduled (by <@U0ALICE>)"
        )
        assert "database upgrade" in made
        assert await count(bot, MaintenanceWindow) == 1

        clock.advance(minutes=30, seconds=5)
        assert await tick(bot) == 1
        assert "started" in texts(bot)[-1]
        await bot.run_checks()  # the alarm still fires: now it is muted
        await bot.drain()
        clock.advance(hours=1)
        assert await tick(bot) == 1
        assert "ended. It muted 1 alert meanwhile: Alarm orders-api-errors." in texts(bot)[-1]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("maintenance orders-api 30m", "TARGET, START and DURATION are needed."),
        ("maintenance orders-api soon 1h", "`soon` is not a START like `now`, `30m`, `22:00`"),
        ("maintenance orders-api 2020-01-01T00:00 1h", "`2020-01-01T00:00` is in the past."),
        ("maintenance orders-api now 31d", "is longer than 30 days, the longest window."),
    ],
)
async def test_maintenance_mistakes_get_a_specific_private_reply(
    moto: MotoHandle, database_url: str, text: str, problem: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        answer = await reply(bot, text)
        assert problem in answer.text
        assert await count(bot, MaintenanceWindow) == 0
