"""Sightings of signed requests shared by replicas: the first one wins, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.core.replays import first_sighting, forget_before
from bot.store import Database
from bot.store.models import RequestReplay

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)


async def seen(db: Database, key: str, at: datetime) -> bool:
    return await db.run(lambda s: first_sighting(s, key=key, now=at, window=WINDOW))


async def test_a_key_is_new_once_within_the_window_and_new_again_after_it(db: Database) -> None:
    assert await seen(db, "event:Ev1", NOW)
    assert not await seen(db, "event:Ev1", NOW + timedelta(seconds=299))
    assert await seen(db, "event:Ev2", NOW + timedelta(seconds=299))
    assert await seen(db, "event:Ev1", NOW + timedelta(seconds=301))
    assert not await seen(db, "event:Ev1", NOW + timedelta(seconds=302))


async def test_of_many_replicas_racing_on_one_key_exactly_one_sees_it_first(db: Database) -> None:
    outcomes = await asyncio.gather(*(seen(db, "signature:abc", NOW) for _ in range(8)))
    assert sorted(outcomes) == [False] * 7 + [True]


async def test_old_sightings_are_forgotten_and_recent_ones_kept(db: Database) -> None:
    for minutes in (0, 4, 6, 10):
        await seen(db, f"event:{minutes}", NOW - timedelta(minutes=minutes))
    assert await db.run(lambda s: forget_before(s, before=NOW - WINDOW)) == 2
    assert await db.run(lambda s: s.scalar(select(func.count()).select_from(RequestReplay))) == 2
