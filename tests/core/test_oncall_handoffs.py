"""A schedule's handoffs told in its channel on a real database: once each (however many replicas look), never
for what held when Boltwatch started, and an override is a handoff too."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.blocks.oncall import handoff_note
from bot.core.oncall_settings import ScheduleSettings
from bot.core.oncall_store import add_override, announce_handoffs
from bot.store import Database, make_engine
from bot.store.models import OutboxItem

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Berlin: Alice's first day
PRIMARY = ScheduleSettings.model_validate({
    "name": "primary", "channel": "#ops", "timezone": "Europe/Berlin",
    "rotations": [{"users": ["U0ALICE", "U0BOB"], "every": "daily", "handoff": "09:00", "start": "2026-03-02"}],
}).build()  # fmt: skip


async def look(db: Database, hours: float) -> int:
    at = START + timedelta(hours=hours)
    return int(await db.run(lambda s: announce_handoffs(s, schedules={"primary": PRIMARY}, now=at, words=handoff_note)))


async def notes(db: Database) -> list[tuple[str, str]]:
    return list(await db.run(lambda s: [(i.channel, i.payload["text"]) for i in s.scalars(select(OutboxItem))]))


async def test_each_handoff_is_told_once_and_what_held_at_start_is_not(db: Database) -> None:
    assert await look(db, 1) == 0
    assert await look(db, 23.9) == 0
    assert await look(db, 24) == 1
    assert await look(db, 25) == 0
    [(channel, text)] = await notes(db)
    assert channel == "#ops"
    assert text.startswith(":calendar: Handoff in *primary*: <@U0BOB> is now on call, until <!date^")
    assert text.endswith("(then <@U0ALICE>).")


async def test_an_override_is_told_as_a_handoff(db: Database) -> None:
    await look(db, 1)
    at = START + timedelta(hours=2)
    await db.run(lambda s: add_override(s, schedule="primary", user="U0CAROL", starts=at, ends=at + timedelta(hours=1),
                                        by="U0ALICE", channel="C1"))  # fmt: skip
    assert await look(db, 2) == 1
    assert await look(db, 3) == 1  # back to Alice when it ends
    assert ["<@U0CAROL> is now on call" in t for _, t in await notes(db)] == [True, False]


async def test_two_replicas_tell_a_handoff_once(db: Database, database_url: str) -> None:
    await look(db, 1)
    other = Database(make_engine(database_url))
    at = START + timedelta(hours=24)
    try:
        told = await asyncio.gather(*(
            d.run(lambda s: announce_handoffs(s, schedules={"primary": PRIMARY}, now=at, words=handoff_note))
            for d in (db, other, db, other)
        ))  # fmt: skip
    finally:
        other.close()
    assert sum(told) == 1
    assert len(await notes(db)) == 1
