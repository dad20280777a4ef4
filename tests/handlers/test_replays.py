"""The shared replay guard: the table every replica shares, with this process's memory in front."""

from __future__ import annotations

from pathlib import Path

from bot.store import Database
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
