"""Replays and retries recognised across replicas: a signed request (or an Events API event) is run by the first
replica that sees it; a replay of it, or Slack's retry of the event, reaching this or any other replica within the
five minutes a signature is good for is answered with a plain 200 and not run again.

This process's memory answers repeats it has seen itself; anything new is recorded in the table every replica
shares, the keys of requests that arrive together in one statement (while one batch is being recorded, the next
gathers: a burst of 1,000 commands costs a handful of transactions, not 1,000). The ack must not wait on a slow
database: after ANSWER_WITHIN_SECONDS the request runs (a replay that
reaches two replicas while the database is that slow may then run twice), and the record is still written.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.core.replays import first_sightings, forget_before
from bot.store import Database
from handlers.signature import MAX_AGE_SECONDS, ReplayGuard

log = logging.getLogger(__name__)
ANSWER_WITHIN_SECONDS = 1.0
FORGET_EVERY_SECONDS = 60.0
"""How often a replica deletes the sightings older than the window (one DELETE riding on a request's transaction)."""


class SharedReplayGuard:
    def __init__(self, db: Database, *, seconds: float = MAX_AGE_SECONDS) -> None:
        self._db = db
        self._window = timedelta(seconds=seconds)
        self._local = ReplayGuard(seconds=seconds)
        self._forgot_at = 0.0
        self._batch: list[tuple[str, float, asyncio.Future[bool]]] = []
        self._recorder: asyncio.Task[None] | None = None

    async def first_time(self, key: str, now: float) -> bool:
        """True the first time any replica sees `key` in the window; False for a replay or a retry."""
        if not self._local.first_time(key, now):
            return False
        loop = asyncio.get_running_loop()
        recording: asyncio.Future[bool] = loop.create_future()
        recording.add_done_callback(_retrieve)
        self._batch.append((key, now, recording))
        if self._recorder is None or self._recorder.done():
            self._recorder = loop.create_task(self._record_batches())
        try:
            # Shielded: a record that takes longer than the ack may wait is still written.
            return await asyncio.wait_for(asyncio.shield(recording), ANSWER_WITHIN_SECONDS)
        except TimeoutError:
            log.warning("the database was too slow to say whether a request was seen before; running it")
        except Exception as exc:  # the replicas' shared memory is down; this one's still answers
            log.warning("could not ask the database whether a request was seen before (%s); running it", exc)
        return True

    async def _record_batches(self) -> None:
        """Record what has gathered, one transaction per batch, until nothing is left."""
        await asyncio.sleep(0)  # requests read in the same turn of the loop join the first batch
        while self._batch:
            batch, self._batch = self._batch, []
            now = max(seen for _, seen, _ in batch)
            forget = now - self._forgot_at >= FORGET_EVERY_SECONDS
            if forget:
                self._forgot_at = now
            at = datetime.fromtimestamp(now, UTC)
            keys = [key for key, _, _ in batch]

            def record(session: Session, keys: list[str] = keys, at: datetime = at, forget: bool = forget) -> set[str]:
                if forget:
                    forget_before(session, before=at - self._window)
                return first_sightings(session, keys=keys, now=at, window=self._window)

            try:
                first = await self._db.run(record)
            except Exception as exc:
                for _, _, recording in batch:
                    if not recording.done():
                        recording.set_exception(exc)
                continue
            for key, _, recording in batch:
                if not recording.done():
                    recording.set_result(key in first)


def _retrieve(recording: asyncio.Future[bool]) -> None:
    """Take a late record's failure, so that asyncio does not report it as never retrieved (it was logged or the
    request had already run)."""
    if not recording.cancelled():
        recording.exception()
