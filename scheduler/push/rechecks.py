"""EventBridge events that say a resource changed (an EC2 instance's state, an ECS task or service) run the check
that watches such resources now, for that account and region: its findings, fingerprints and resolutions are the
check's own, so push and poll cannot disagree, and the incident timeline credits push with what the run sees first.
The run happens after the delivery is answered; a burst of events for one target waits for the run in progress and
then runs it once more, not once per event."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from bot.enums import Source

log = logging.getLogger(__name__)

RECHECKED_BY = {
    ("aws.ec2", "EC2 Instance State-change Notification"): "ec2_status",
    ("aws.ecs", "ECS Task State Change"): "ecs_services",
    ("aws.ecs", "ECS Service Action"): "ecs_services",
}
"""(source, detail-type) of an event → the check type that watches what it is about."""


class Recheck(Protocol):
    """Run the check named so now over (account, region), crediting `source` with what it sees first; False when
    that check or target is not configured (CheckRunner.recheck, DistributedChecks.defer_recheck)."""

    async def __call__(self, check: str, account: str, region: str, /, *, source: Source) -> bool: ...


Target = tuple[str, str, str]


class PushedRechecks:
    def __init__(self, recheck: Recheck) -> None:
        self._recheck = recheck
        self._waiting: set[Target] = set()
        self._turns: dict[Target, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def request(self, check: str, account: str, region: str) -> bool:
        """Run `check` over (account, region) soon; False when a run already waits to start (it will see this
        change too)."""
        target = (check, account, region)
        if target in self._waiting:
            return False
        self._waiting.add(target)
        task = asyncio.create_task(self._run(target), name=f"recheck:{check}:{account}:{region}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, target: Target) -> None:
        async with self._turns.setdefault(target, asyncio.Lock()):
            self._waiting.discard(target)
            try:
                await self._recheck(*target, source=Source.PUSH)
            except Exception as exc:  # the scheduled run reconciles what this one could not
                log.warning("the run of %s in %s/%s an event asked for failed: %s", *target, exc)

    async def wait(self) -> None:
        """Until every requested run has ended (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
