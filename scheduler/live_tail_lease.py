"""The owner lease of a live-mode check's Live Tail sessions in one account and region: replicas on one database
stream each log group once, not once each (which would double the reads and spend AWS's 15 concurrent sessions per
account and region twice over).

It is a row of the `leases` table (bot/core/leases.py), named per check and target. The owner renews it every third
of its period while it streams; the other replicas try to take it as often, so that when the owner dies (kill -9, a
lost host) one of them streams within about a period and a third of its last renewal. A replica that stops gracefully
deletes it, and another takes over at its next try. An owner that cannot renew it (another replica has it, or the
database is unreachable for a whole period) stops streaming: two owners at once would be the double reads again.

With it the owner holds a lease per log group whose session is live right now, so that whichever replica runs the
scheduled check skips those groups as the owner's own scheduled run does (FilterLogEvents' 5 TPS stays untouched),
and reads them again once they are not live any more. A log group whose lease name would not fit the table's 200
characters is not published: a scheduled run on another replica reads it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.aws.sessions import AwsTarget
from bot.core import leases
from bot.services import Services

log = logging.getLogger(__name__)
NAME_LENGTH = 200
"""`leases.name`'s length."""


def lease_name(check: str, target: AwsTarget) -> str:
    return f"live-tail:{check}:{target.account}:{target.region}"


def groups_prefix(check: str, target: AwsTarget) -> str:
    return f"live-group:{check}:{target.account}:{target.region}:"


class TailLease:
    def __init__(self, services: Services, *, check: str, target: AwsTarget, holder: str, period: float) -> None:
        self._services = services
        self.name = lease_name(check, target)
        self._prefix = groups_prefix(check, target)
        self._holder = holder
        self._period = period
        self._changed = asyncio.Event()

    async def take(self, streamed_elsewhere: Callable[[frozenset[str]], None]) -> None:
        """Return once this replica holds the lease, trying every third of a period; meanwhile
        `streamed_elsewhere` learns at each try which groups the owner streams."""
        while True:
            if await self._try():
                return
            with contextlib.suppress(Exception):  # not knowing them, the scheduled run reads them: a double read
                streamed_elsewhere(await self._live_groups())
            await asyncio.sleep(self._period / 3)

    async def hold(self, live_groups: Callable[[], frozenset[str]]) -> None:
        """Renew the lease every third of a period, and hold the leases of exactly `live_groups()` with it (also as
        soon as `groups_changed` is called); return when the lease is lost."""
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=self._period / 3)
            self._changed.clear()
            try:
                taken = await self._renew(live_groups())
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

    def groups_changed(self) -> None:
        """A session started or ended: publish its groups' state now rather than at the next renewal."""
        self._changed.set()

    async def release(self) -> None:
        """Give the lease up (this replica stops streaming), so that another replica takes it at its next try."""
        name, prefix, holder = self.name, self._prefix, self._holder
        now, ttl = self._services.clock(), timedelta(seconds=self._period)

        def release(session: Session) -> None:
            leases.hold_only(session, prefix=prefix, names=set(), holder=holder, now=now, ttl=ttl)
            leases.release(session, name=name, holder=holder)

        try:
            await self._services.db.run(release)
        except Exception as exc:
            log.warning("could not release the lease %s (%s); it expires by itself", self.name, exc)

    async def _try(self) -> bool:
        try:
            return await self._renew(frozenset())
        except Exception as exc:
            log.warning("could not take the lease %s: %s", self.name, exc)
            return False

    async def _renew(self, groups: frozenset[str]) -> bool:
        name, prefix, holder = self.name, self._prefix, self._holder
        now, ttl = self._services.clock(), timedelta(seconds=self._period)
        names = {prefix + group for group in groups if len(prefix + group) <= NAME_LENGTH}

        def renew(session: Session) -> bool:
            if not leases.try_acquire(session, name=name, holder=holder, now=now, ttl=ttl):
                return False
            leases.hold_only(session, prefix=prefix, names=names, holder=holder, now=now, ttl=ttl)
            return True

        return await self._services.db.run(renew)

    async def _live_groups(self) -> frozenset[str]:
        prefix, now = self._prefix, self._services.clock()
        held = await self._services.db.run(lambda s: leases.held_under(s, prefix=prefix, now=now))
        return frozenset(name.removeprefix(prefix) for name in held)
