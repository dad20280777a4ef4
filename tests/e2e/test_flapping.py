"""An alarm that keeps flipping between ALARM and OK: past Nagios's threshold its incident stays open and quiet,
marked FLAPPING with its state strip (and so in `/boltwatch incidents|status` and App Home, clear or not); one reply
when it starts, one when it stops, then the usual resolution."""

from __future__ import annotations

import asyncio

from sandbox.aws.server import MotoHandle
from tests.e2e.test_boltwatch_command import reply
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import RunningBot, running_bot

ALARM = "orders-api-errors"


async def runs(bot: RunningBot, states: str) -> None:
    """One check run a character, a minute apart: "1" the alarm is in ALARM, "0" it is OK."""
    for state in states:
        await asyncio.to_thread(set_state, bot.moto, ALARM, "ALARM" if state == "1" else "OK", reason="flip")
        await bot.run_checks()
        bot.clock.advance(seconds=60)
        await bot.drain()


def header(message) -> str:  # type: ignore[no-untyped-def]
    return str(message.blocks[0]["text"]["text"])


async def test_a_flapping_alarm_is_one_quiet_incident_until_it_settles(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        await asyncio.to_thread(put_alarm, bot.moto, ALARM)
        # Before the detector has six changes (35.5% > 30%), each ALARM is an incident and each OK resolves it.
        await runs(bot, "101010")
        before = bot.slack.channel_messages("#alerts")
        assert len(before) == 3
        assert all("RESOLVED" in header(m) for m in before)

        await runs(bot, "1")
        flapping = bot.slack.channel_messages("#alerts")[-1]
        assert len(bot.slack.channel_messages("#alerts")) == 4
        [started] = [r.text for r in bot.slack.thread("#alerts", flapping.ts)]
        assert started.startswith(":repeat: Alarm orders-api-errors started flapping (35.5% state change")

        await runs(bot, "0101010101")
        assert len(bot.slack.channel_messages("#alerts")) == 4  # no new incident
        assert [r.text for r in bot.slack.thread("#alerts", flapping.ts)] == [started]  # no resolve, no re-fire
        shown = bot.slack.channel_messages("#alerts")[-1]
        assert shown.ts == flapping.ts
        assert "FLAPPING" in header(shown) and "RESOLVED" not in header(shown)
        # Its last 21 states, oldest first: steady ALARM before the first change, then 16 changes; firing now.
        assert "▇▇▇▇▇▁▇▁▇▁▇▁▇▁▇▁▇▁▇▁▇" in str(shown.blocks)

        await runs(bot, "0")  # clear at the moment, still flapping: the lists say so rather than "0 firing"
        listed = str((await reply(bot, "incidents")).blocks)
        assert "Alarm orders-api-errors · FLAPPING* — warning, open, 0 firing, :repeat: 1 flapping" in listed
        assert "incidents (:repeat: 1 flapping) ·" in str((await reply(bot, "status")).blocks)
        assert bot.app.home is not None
        bot.app.home.refresh_seconds = 0
        await bot.slack.send_event(bot.events_url, event={"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
        home = str((await bot.wait_for(lambda: bot.slack.home_view("U0BOB")))["blocks"])
        assert "*Open incidents* (1, :repeat: 1 flapping)" in home and "0 firing, :repeat: 1 flapping" in home

        settled = 0
        while len(bot.slack.thread("#alerts", flapping.ts)) == 1:
            await runs(bot, "0")
            settled += 1
            assert settled <= 21
        replies = [r.text for r in bot.slack.thread("#alerts", flapping.ts)]
        assert len(replies) == 3
        assert "stopped flapping" in replies[1] and replies[1].endswith("it is clear.")
        assert replies[2] == "Resolved: every alert cleared."
        final = bot.slack.channel_messages("#alerts")[-1]
        assert final.ts == flapping.ts and "RESOLVED" in header(final) and "FLAPPING" not in header(final)
        assert len(bot.slack.channel_messages("#alerts")) == 4
