"""The scheduler leader of the embedded engine: of the `boltwatch run` replicas sharing a database, the one holding
the scheduler lock (bot/store/scheduler_lock.py) runs the checks; the others serve Slack, drain the outbox and do
everything else as usual, and try for the lock every few seconds, so that one takes over within seconds of the
leader stopping, dying or losing its connection. A leader that loses the lock stops scheduling checks until it holds
it again. `boltwatch_scheduler_leader` is 1 on the leader, 0 elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.runtime.daemon_pool import DaemonPool
from bot.services import Services
from bot.store.scheduler_lock import SchedulerLock, scheduler_lock

log = logging.getLogger(__name__)
TRY_SECONDS = 2.0
"""How often a standby tries for the lock, and the leader confirms it still holds it."""
TRY_TIMEOUT_SECONDS = 20.0
"""A try that takes longer (a database that stopped answering) counts as the lock lost."""
RELEASE_SECONDS = 1.5
"""Within the stopping bot's budget (bot/app.py): what is not given up by then goes with the process."""


class SchedulerLeader:
    def __init__(
        self,
        services: Services,
        *,
        holder: str,
        gained: Callable[[], Awaitable[None]],
        lost: Callable[[], None],
        lock: SchedulerLock | None = None,
    ) -> None:
        self._services = services
        self._holder = holder
        self._gained = gained
        self._lost = lost
        self._lock = lock or scheduler_lock(services.db.engine, holder=holder)
        # Its own thread: a lock call stuck on an unanswering database must hold up neither transactions nor exit.
        self._pool = DaemonPool(1, name="boltwatch-scheduler-lock")
        self._task: asyncio.Task[None] | None = None
        self._standing_by_said = False
        self._problem: str | None = None
        self.leads = False
        """This replica holds the lock and runs the checks."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep_trying(), name="scheduler-leader")

    async def stop(self) -> None:
        """Stop trying, and give the lock up so that a standby takes it at its next try."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._set(False)
        try:
            await asyncio.wait_for(self._pool.run(self._lock.release), RELEASE_SECONDS)
        except Exception as exc:  # the process ends soon, and with it the lock
            log.warning("could not give up the scheduler lock (%s); it goes with the process", exc)
        self._pool.shutdown()

    async def _keep_trying(self) -> None:
        while True:
            try:
                holds = await asyncio.wait_for(self._pool.run(self._lock.take), TRY_TIMEOUT_SECONDS)
            except TimeoutError:
                log.warning("the scheduler lock did not answer within %.0f s: counted as lost", TRY_TIMEOUT_SECONDS)
                holds = False
            except Exception as exc:
                problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if problem != self._problem:  # once per kind of failure, not every 2 s while the database is down
                    log.warning("could not try for the scheduler lock (%s); trying again every %.0f s", problem,
                                TRY_SECONDS)  # fmt: skip
                self._problem = problem
                holds = False
            else:
                self._problem = None
            if holds and not self.leads:
                log.info("this replica (%s) holds the scheduler lock: it runs the checks", self._holder)
                self._set(True)
                self._standing_by_said = False
                try:
                    await self._gained()
                except Exception:  # the loop goes on: it is what notices the lock lost, and gives it up at stop
                    log.exception("scheduling the checks after taking the scheduler lock failed")
            elif not holds and self.leads:
                log.warning("this replica (%s) lost the scheduler lock: it runs no checks until it has it again",
                            self._holder)  # fmt: skip
                self._set(False)
                self._lost()
            elif not holds and not self._standing_by_said and self._problem is None:
                log.info("another replica holds the scheduler lock and runs the checks: this one (%s) stands by",
                         self._holder)  # fmt: skip
                self._standing_by_said = True
            await asyncio.sleep(TRY_SECONDS)

    def _set(self, leads: bool) -> None:
        self.leads = leads
        self._services.metrics.scheduler_leader.set(1 if leads else 0)
