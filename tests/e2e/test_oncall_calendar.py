"""An imported on-call calendar through the whole bot: `/boltwatch oncall` answers from a calendar file read at
start, and its shift change posts the handoff note; a calendar URL served over HTTP is fetched, a change is picked
up on refresh, a 500 keeps the last calendar with one warning that never shows the URL's token, and a first load
that fails leaves the rotation to answer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sandbox.aws.server import MotoHandle
from tests.e2e.test_escalation import answer, fired, later, replies
from tests.harness import FakeClock, base_config, running_bot

TOKEN = "s3cretT0ken"


def shift(uid: str, who: str, start: str, end: str) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART;TZID=Europe/Berlin:{start}\r\nDTEND;TZID=Europe/Berlin:{end}\r\n"
        f"ATTENDEE;CN={who}:mailto:{who.lower()}@example.com\r\nSUMMARY:On call: {who}\r\nEND:VEVENT\r\n"
    )


def calendar(*events: str) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//On-call//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    )


USERS = {"carol@example.com": "U0CAROL", "dave@example.com": "U0DAVE"}
# Saturday 28 March 2026, 13:00 CET: the daily rotation has Bob (as in tests/e2e/test_escalation.py).
CLOCK = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
CAROL_WEEKEND = shift("carol", "Carol", "20260328T090000", "20260329T180000")  # across the spring change


def config(ics: dict[str, Any]) -> dict[str, Any]:
    daily = {"users": ["U0ALICE", "U0BOB"], "every": "daily", "handoff": "09:00", "start": "2026-03-01"}
    return base_config(schedules=[{"name": "primary", "channel": "#ops", "timezone": "Europe/Berlin",
                                   "rotations": [daily], "ics": {"users": USERS, **ics}}])  # fmt: skip


async def test_oncall_answers_from_a_calendar_file_and_its_shift_end_is_a_handoff(
    moto: MotoHandle, database_url: str, tmp_path: Path
) -> None:
    feed = tmp_path / "oncall.ics"
    feed.write_text(calendar(CAROL_WEEKEND))
    clock = FakeClock(CLOCK)
    async with running_bot(
        moto=moto, database_url=database_url, config=config({"file": str(feed)}), clock=clock
    ) as bot:
        now = await answer(bot, "oncall")
        assert "*primary*: <@U0CAROL> is on call now (calendar)" in now
        assert "(Sun 29 Mar 18:00 Europe/Berlin) → <@U0ALICE>" in now  # 18:00 CEST, after the clocks went forward
        await bot.slack.send_event(bot.events_url, event={"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
        home = str((await bot.wait_for(lambda: bot.slack.home_view("U0BOB")))["blocks"])
        assert "*primary*: <@U0CAROL> is on call now (calendar)" in home

        assert await later(bot, 0) == 0  # the handoff tick remembers Carol on call
        clock.now = datetime(2026, 3, 29, 16, 0, 30, tzinfo=UTC)
        await later(bot, 0)
        [note] = bot.slack.channel_messages("#ops")
        assert note.text.startswith(":calendar: Handoff in *primary*: <@U0ALICE> is now on call, until ")


async def test_an_escalation_to_the_schedule_pages_the_calendar_shift(
    moto: MotoHandle, database_url: str, tmp_path: Path
) -> None:
    feed = tmp_path / "oncall.ics"
    feed.write_text(calendar(CAROL_WEEKEND))
    settings = config({"file": str(feed)}) | {
        "routes": [{"name": "payments", "escalation": [{"after": "5m", "notify": ["schedule:primary"]}]}]
    }
    async with running_bot(moto=moto, database_url=database_url, config=settings, clock=FakeClock(CLOCK)) as bot:
        ts = await fired(bot)
        assert await later(bot, 5) == 1
        assert "<@U0CAROL> (on call in primary)" in replies(bot, ts)[0]
        assert len(bot.slack.channel_messages("U0CAROL")) == 1


class CalendarServer:
    """A calendar feed on 127.0.0.1 whose body and status a test changes."""

    def __init__(self) -> None:
        self.body, self.status, self.requests = calendar(CAROL_WEEKEND), 200, 0

    async def _feed(self, request: web.Request) -> web.Response:
        self.requests += 1
        assert request.query["token"] == TOKEN
        return web.Response(text=self.body, status=self.status, content_type="text/calendar")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/oncall.ics", self._feed)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}/oncall.ics?token={TOKEN}"

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest.fixture
async def served() -> AsyncIterator[tuple[CalendarServer, str]]:
    server = CalendarServer()
    url = await server.start()
    try:
        yield server, url
    finally:
        await server.stop()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "scheduler.oncall_calendars" and r.levelno >= 30]


async def test_a_calendar_url_is_refreshed_and_a_failed_fetch_keeps_the_last_calendar(
    moto: MotoHandle, database_url: str, served: tuple[CalendarServer, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, url = served
    caplog.set_level(logging.INFO, logger="scheduler.oncall_calendars")
    async with running_bot(
        moto=moto, database_url=database_url, config=config({"url": url}), clock=FakeClock(CLOCK)
    ) as bot:
        imports = bot.app.calendars
        assert await imports.refresh("primary")
        assert "<@U0CAROL> is on call now (calendar)" in await answer(bot, "oncall")

        server.body = calendar(shift("dave", "Dave", "20260328T120000", "20260328T160000"))
        assert await imports.refresh("primary")
        assert "<@U0DAVE> is on call now (calendar)" in await answer(bot, "oncall")

        server.status = 500
        assert not await imports.refresh("primary")
        assert not await imports.refresh("primary")
        assert "<@U0DAVE> is on call now (calendar)" in await answer(bot, "oncall")
        [warning] = warnings(caplog)
        assert "could not be refreshed" in warning and "HTTP 500" in warning and "keeping the one loaded" in warning
        assert "127.0.0.1" in warning and "/oncall.ics?…" in warning
        assert all(TOKEN not in r.getMessage() for r in caplog.records)

        server.status = 200
        assert await imports.refresh("primary")
        assert any("loaded again" in r.getMessage() for r in caplog.records)
        assert server.requests == 5


async def test_a_first_load_that_fails_leaves_the_rotation_to_answer(
    moto: MotoHandle, database_url: str, served: tuple[CalendarServer, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, url = served
    server.body = "<html>Please sign in</html>"
    async with running_bot(
        moto=moto, database_url=database_url, config=config({"url": url}), clock=FakeClock(CLOCK)
    ) as bot:
        assert not await bot.app.calendars.refresh("primary")
        assert "*primary*: <@U0BOB> is on call now (rotation)" in await answer(bot, "oncall")
        [warning] = warnings(caplog)
        assert "could not be loaded" in warning and "not an iCalendar" in warning and "rotations decide" in warning
        assert TOKEN not in warning
