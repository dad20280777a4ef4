"""The owner lease of a live-mode check's Live Tail sessions in one account and region: replicas on one database
stream each log group once, not once each (which would double the reads and spend AWS's 15 concurrent sessions per
account and region twice over).

It is a row of the `leases` table (bot/core/leases.py), named per check and target. The owner renews it every third
of its period while it streams; the other replicas try to take it as often, so that when the owner dies (kill -9, a
lost host) one of them streams within about a period and a third of its last renewal. A replica that stops gracefully
deletes it, and another takes over at its next try. An owner that cannot renew it (another replica has it, or the
database is unreachable for a whole period) stops streaming: two owners at once would be the double reads again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.aws.sessions import AwsTarget
from bot.core import leases
from bot.services import Services

log = logging.getLogger(__name__)


def lease_name(check: str, target: AwsTarget) -> str:
    return f"live-tail:{check}:{target.account}:{target.region}"


class TailLease:
    def __init__(self, services: Services, *, name: str, holder: str, period: float) -> None:
        self._services = services
        self.name = name
        self._holder = holder
        self._period = period

    async def take(self) -> None:
        """Return once this replica holds the lease, trying every third of a period."""
        while True:
            if await self._try():
                return
            await asyncio.sleep(self._period / 3)

    async def hold(self) -> None:
        """Renew the lease every third of a period; return when it is lost."""
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            await asyncio.sleep(self._period / 3)
            try:
                taken = await self._acquire()
            except Exception as exc:
                if loop.time() - renewed < self._period:
                    log.warning("could not renew the lease %s (%s); trying again", self.name, exc)
                    continue
                log.warning("could not renew the lease %s for a whole period (%s): letting it go", self.name, exc)
                return
            if not taken:
                log.warning("the lease %s is another replica's now: this replica stops streaming", self.name)
                return
            renewed = loop.time()

    async def release(self) -> None:
        """Give the lease up (this replica stops streaming), so that another replica takes it at its next try."""
        name, holder = self.name, self._holder
        try:
            await self._services.db.run(lambda s: leases.release(s, name=name, holder=holder))
        except Exception as exc:
            log.warning("could not release the lease %s (%s); it expires by itself", self.name, exc)

    async def _try(self) -> bool:
        try:
            return await self._acquire()
        except Exception as exc:
            log.warning("could not take the lease %s: %s", self.name, exc)
            return False

    async def _acquire(self) -> bool:
        name, holder = self.name, self._holder
        now, ttl = self._services.clock(), timedelta(seconds=self._period)
        return await self._services.db.run(lambda s: leases.try_acquire(s, name=name, holder=holder, now=now, ttl=ttl))
