"""The shared replay guard: the table every replica shares, with this process's memory in front."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import Database, make_engine, upgrade
from handlers.replays import SharedReplayGuard

NOW = 1_781_000_000.0


async def test_a_replay_is_caught_by_another_replica_on_the_same_database(db: Database) -> None:
    a, b = SharedReplayGuard(db), SharedReplayGuard(db)
    assert await a.first_time("signature:1", NOW)
    assert not await b.first_time("signature:1", NOW + 10)
    assert not await a.first_time("signature:1", NOW + 20)
    assert await b.first_time("signature:1", NOW + 400)


async def test_without_its_database_a_replica_still_runs_requests_and_catches_its_own_replays(tmp_path: Path) -> None:
    unreachable = Database.from_url(f"sqlite:///{tmp_path / 'missing' / 'boltwatch.db'}", retry_delays=())
    guard = SharedReplayGuard(unreachable)
    assert await guard.first_time("signature:1", NOW)
    assert not await guard.first_time("signature:1", NOW + 1)
    unreachable.close()


class CountingDatabase(Database):
    """The real database, counting its transactions."""

    transactions = 0

    async def run(self, fn):  # type: ignore[no-untyped-def]
        self.transactions += 1
        return await super().run(fn)


async def test_a_burst_is_recorded_in_a_few_transactions_and_replays_across_it_are_still_caught(
    database_url: str,
) -> None:
    db = CountingDatabase(make_engine(database_url))
    await asyncio.to_thread(upgrade, db.engine)
    a, b = SharedReplayGuard(db), SharedReplayGuard(db)
    keys = [f"signature:{n}" for n in range(300)]
    firsts = await asyncio.gather(*(a.first_time(key, NOW) for key in keys))
    replays = await asyncio.gather(*(b.first_time(key, NOW + 1) for key in keys[::3]))

    assert all(firsts) and not any(replays)
    assert db.transactions <= 10, f"{db.transactions} transactions for 400 requests"
    db.close()
