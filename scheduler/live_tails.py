"""Live Tail sessions for `log_errors` checks in `mode: live`: error events decided as they stream, not when the
next scheduled read comes.

Per check and target, the first `live_max_groups` log groups the check matches are streamed in sessions of at most
10 groups (AWS's limit), each read to its end in a daemon thread of its own (a session lasts hours; it must not hold a
thread of the AWS pool). Events go through `CheckRunner.run_streamed` with the check's own code
(`observe_streamed`), so a streamed error and a polled one are the same alert.

A session that has started marks its groups live: the scheduled run stops reading them (it only ages their error
groups). Each start, first or again, reads the groups once from their cursors (FilterLogEvents, through the 5 TPS
quota like any read) so that what was put while no session ran is not missed; after that the stream costs no
FilterLogEvents at all. Sessions are renewed ten minutes before AWS's three-hour limit, restarted at once after a
timeout, and after any other end with exponential backoff (1 s doubling to 60 s) during which the scheduled run reads
the groups as in `mode: poll`.

Replicas on one database stream each check's groups in an account and region once: only the holder of its owner
lease (scheduler/live_tail_lease.py) runs the sessions; the others wait to take the lease over. Under the distributed
engine the replicas are the `boltwatch worker` processes and `--role all` replicas (the web role streams nothing),
and the target's check jobs, in whichever of them, skip the groups streamed (`live_groups`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.aws.live_tail import RENEW_AFTER_SECONDS, SessionEnded, TailRequest, backoff, chunks, tail
from bot.aws.logs import ERROR_TERMS, LogEvent
from bot.aws.sessions import AwsTarget
from bot.core.findings import CheckResult
from bot.enums import Source
from bot.runtime.daemon_pool import DaemonPool
from bot.services import Services
from scheduler.checks.log_errors import LogErrorsParams, live_candidates, observe_streamed, scan_groups
from scheduler.live_tail_lease import TailLease
from scheduler.registry import CheckContext, ConfiguredCheck
from scheduler.runner import CheckRunner

log = logging.getLogger(__name__)
STARTED, EVENTS = "started", "events"
MAX_SESSIONS = 15
"""AWS allows 15 concurrent Live Tail sessions per account and region; one thread each."""


def is_live(configured: ConfiguredCheck) -> bool:
    return isinstance(configured.params, LogErrorsParams) and configured.params.mode == "live"


@dataclass
class SessionState:
    """One session's groups and how it is doing, for the scheduled run and for tests."""

    groups: tuple[str, ...]
    live: bool = False
    starts: int = 0
    failures: int = 0
    last_error: str | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    changed: Callable[[], None] = lambda: None
    """Called when `live` changes (the owner lease publishes the live groups)."""


class LiveTails:
    """The Live Tail sessions of this process's live-mode checks; tells the runner which groups stream right now."""

    RENEW_AFTER: ClassVar[float] = RENEW_AFTER_SECONDS
    """Seconds after which a session is ended and started again, before AWS's limit ends it."""
    LEASE_SECONDS: ClassVar[float] = 30.0
    """The owner lease's period (scheduler/live_tail_lease.py): a dead owner's groups stream again on another
    replica within about 40 s."""

    def __init__(
        self, services: Services, runner: CheckRunner, *, holder: str, renew_after: float | None = None
    ) -> None:
        self._services = services
        self._runner = runner
        self._holder = holder
        self._renew_after = self.RENEW_AFTER if renew_after is None else renew_after
        self._sessions: dict[tuple[str, AwsTarget], list[SessionState]] = {}
        self._leases: list[TailLease] = []
        self._elsewhere: dict[tuple[str, AwsTarget], frozenset[str]] = {}
        """Groups another replica streams (it holds the target's lease), as its lease rows said at the last try."""
        self._tasks: list[asyncio.Task[None]] = []
        self._pool = DaemonPool(MAX_SESSIONS, name="boltwatch-live-tail")
        self._rng = random.Random()
        runner.live_groups = self.live_groups

    def live_groups(self, check: str, target: AwsTarget) -> frozenset[str]:
        """The groups streamed right now, by this replica's sessions or by the replica that owns the target's."""
        return self.streaming_here(check, target) | self._elsewhere.get((check, target), frozenset())

    def streaming_here(self, check: str, target: AwsTarget) -> frozenset[str]:
        sessions = self._sessions.get((check, target), [])
        return frozenset(group for s in sessions if s.live for group in s.groups)

    def sessions(self, check: str, target: AwsTarget) -> list[SessionState]:
        return list(self._sessions.get((check, target), []))

    def start(self) -> None:
        """Stream the log groups of every live-mode check, for every target whose lease this replica gets, in the
        background."""
        for configured in self._runner.checks:
            if is_live(configured):
                for target in self._services.aws.targets():
                    lease = TailLease(self._services, check=configured.name, target=target, holder=self._holder,
                                      period=self.LEASE_SECONDS)  # fmt: skip
                    self._leases.append(lease)
                    task = asyncio.create_task(self._own_target(configured, target, lease), name=f"live:{lease.name}")
                    self._tasks.append(task)

    async def stop(self) -> None:
        """Ask every session to end (each notices within a second), stop supervising them, and give up the leases
        so that another replica streams at once."""
        for sessions in self._sessions.values():
            for state in sessions:
                state.stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._pool.shutdown()
        await asyncio.gather(*(lease.release() for lease in self._leases))

    async def _own_target(self, configured: ConfiguredCheck, target: AwsTarget, lease: TailLease) -> None:
        """Stream the target's groups while this replica holds the lease; wait to take it again when it is lost."""
        key = (configured.name, target)

        def streamed_elsewhere(groups: frozenset[str]) -> None:
            self._elsewhere[key] = groups

        while True:
            await lease.take(streamed_elsewhere)
            self._elsewhere.pop(key, None)
            log.info("live tail of %s in %s: this replica streams (lease %s)", configured.name, target, lease.name)
            lost = asyncio.Event()
            streaming = asyncio.create_task(self._tail_target(configured, target, lost, lease.groups_changed))
            try:
                await lease.hold(lambda: self.streaming_here(*key))
            finally:
                lost.set()  # every session ends within a second, its last events decided
                await asyncio.gather(streaming, return_exceptions=True)
                self._sessions.pop((configured.name, target), None)

    async def _tail_target(
        self, configured: ConfiguredCheck, target: AwsTarget, lost: asyncio.Event, changed: Callable[[], None]
    ) -> None:
        params = configured.params
        assert isinstance(params, LogErrorsParams)
        failures = 0
        while not lost.is_set():  # the log groups are found once; until then, the scheduled run reads them all
            try:
                groups = await self._live_candidates(target, params)
                break
            except Exception as exc:
                failures += 1
                log.warning("live tail of %s in %s: cannot list log groups: %s", configured.name, target, exc)
                await _pause(lost, backoff(failures, self._rng))
        else:
            return
        states = [SessionState(chunk, stop=lost, changed=changed) for chunk in chunks(groups)]
        self._sessions[(configured.name, target)] = states
        await asyncio.gather(*(self._keep_session(configured, target, state) for state in states))

    async def _live_candidates(self, target: AwsTarget, params: LogErrorsParams) -> list[str]:
        services = self._services
        account_id = await services.executor.run(services.aws.account_id, target.account)
        ctx = CheckContext(
            account=target.account,
            account_id=account_id,
            region=target.region,
            now=services.clock(),
            client_for=lambda service: services.aws.client(service, account=target.account, region=target.region),
        )
        return await services.executor.run(live_candidates, ctx, params)

    async def _keep_session(self, configured: ConfiguredCheck, target: AwsTarget, state: SessionState) -> None:
        while not state.stop.is_set():
            try:
                await self._one_session(configured, target, state)
                state.failures = 0  # renewed
            except SessionEnded as exc:
                state.last_error = exc.code
                if exc.timed_out:
                    log.info("live tail of %s in %s reached AWS's time limit; starting again", configured.name, target)
                    continue
                state.failures += 1
                pause = backoff(state.failures, self._rng)
                log.warning("live tail of %s in %s ended (%s); polling its %d log groups, again live in %.0f s",
                            configured.name, target, exc, len(state.groups), pause)  # fmt: skip
                await _pause(state.stop, pause)
            except Exception as exc:
                state.failures += 1
                state.last_error = type(exc).__name__
                log.exception("live tail of %s in %s failed", configured.name, target)
                await _pause(state.stop, backoff(state.failures, self._rng))

    async def _one_session(self, configured: ConfiguredCheck, target: AwsTarget, state: SessionState) -> None:
        """Run one session until it ends; its events are decided in arrival order, one batch at a time."""
        loop = asyncio.get_running_loop()
        arrivals: asyncio.Queue[tuple[str, dict[str, list[LogEvent]]]] = asyncio.Queue()
        account_id = await self._services.executor.run(self._services.aws.account_id, target.account)
        client = await self._services.aws_client("logs", account=target.account, region=target.region)
        request = TailRequest(state.groups, account_id, target.region, ERROR_TERMS, self._renew_after)
        session_stop = threading.Event()

        def started() -> None:
            loop.call_soon_threadsafe(arrivals.put_nowait, (STARTED, {}))

        def delivered(events: dict[str, list[LogEvent]]) -> None:
            loop.call_soon_threadsafe(arrivals.put_nowait, (EVENTS, events))

        watcher = asyncio.ensure_future(
            self._pool.run(tail, client, request, stop=session_stop, on_start=started, on_events=delivered)
        )
        stopper = asyncio.ensure_future(state.stop.wait())
        try:
            while True:
                getter = asyncio.ensure_future(arrivals.get())
                done, _ = await asyncio.wait({getter, watcher, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    while not arrivals.empty():
                        await self._handle(configured, target, state, *arrivals.get_nowait())
                    if stopper in done:
                        session_stop.set()
                        return
                    await watcher  # raises SessionEnded, or returns: renewal
                    return
                await self._handle(configured, target, state, *getter.result())
        finally:
            if state.live:
                state.live = False
                state.changed()
            session_stop.set()
            stopper.cancel()
            # A session asked to stop ends at its next update; how it ended no longer matters (nor is it logged).
            watcher.add_done_callback(lambda f: f.cancelled() or f.exception())

    async def _handle(
        self, configured: ConfiguredCheck, target: AwsTarget, state: SessionState, kind: str, events: dict[str, Any]
    ) -> None:
        params = configured.params
        assert isinstance(params, LogErrorsParams)
        if kind == STARTED:
            state.live, state.starts, state.failures = True, state.starts + 1, 0
            state.changed()
            groups = list(state.groups)
            # What was put while no session streamed: read once from the cursors, as the scheduled run would.
            await self._runner.run_streamed(configured, target, _catch_up(params, groups), source=Source.POLL)
            log.info("live tail of %s in %s: %d log groups streaming", configured.name, target, len(groups))
        else:
            await self._runner.run_streamed(configured, target, _streamed(params, events))


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, or less when `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _catch_up(params: LogErrorsParams, groups: list[str]) -> Callable[[CheckContext, Any], CheckResult]:
    return lambda ctx, _params: scan_groups(ctx, params, groups)


def _streamed(params: LogErrorsParams, events: dict[str, list[LogEvent]]) -> Callable[[CheckContext, Any], CheckResult]:
    return lambda ctx, _params: observe_streamed(ctx, params, events)
