"""Remembering error groups on a real database: rememberers of one source take turns."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.core.error_groups import remember
from bot.store import Database
from bot.store.models import ErrorGroup
from bot.views.error_groups import GroupSummary
from tests.alerting import NOW


def summary(key: str) -> GroupSummary:
    return GroupSummary(
        key, "message", "resize failed", "resize failed: <*>", None, count=2, first_seen=NOW - timedelta(minutes=1),
        last_seen=NOW, samples=["resize failed: EOF"],
    )  # fmt: skip


async def test_a_group_new_to_two_concurrent_rememberers_is_added_once(db: Database) -> None:
    def one(session):  # type: ignore[no-untyped-def]
        return remember(session, source="default/us-east-1/app", summaries=[summary("k1"), summary("k2")], now=NOW)

    first, second = await asyncio.gather(*(db.run(one) for _ in range(2)))

    rows = await db.run(lambda s: s.scalar(select(func.count()).select_from(ErrorGroup)))
    assert rows == 2
    assert sorted(v.status for v in first + second) == ["new", "new", "ongoing", "ongoing"]
