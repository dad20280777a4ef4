"""`/logs TARGET live [filter TEXT] [for 5m]`: one message showing a log group's newest lines as they stream, updated
about every 3 s, with a Stop button; it ends by itself after its time (5 minutes unless told, 30 at most).

A session that fails (AWS refusing to start one, or ending it with SessionStreamingException) is started again after
a backoff that doubles from 1 s with jitter, the message saying "reconnecting…" meanwhile; after MAX_FAILURES in a row
without a start, or when its time is up, the tail ends and says why. Lines put while it reconnects are not shown.

The Live Tail session is read in a daemon thread of its own (a session holds its connection for minutes) and its
events are handed to the loop; the loop shows them at most once a tick, so a burst of a thousand lines is one
`chat.update` with the newest, through the outbox (`Answers.show_latest`: an update not yet sent takes the newer
content). Slack allows about one write a second per channel and chat.update around 50 a minute; a tick of 3 s stays
under both even with a few tails in one channel.

Tails live in the process that started them. A Stop click reaching another replica asks the tail's own replica, through
the tail's lease in the database (bot/core/live_log_tails.py), which ends it within STOP_POLL_SECONDS; a click on a tail
whose process died (its lease expired) or that ended already shows the message as ended, which is what it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, ClassVar

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.live_tail import SessionEnded, TailRequest, backoff, tail
from bot.aws.logs import LogEvent
from bot.blocks.logs_live import SHOWN_LINES, LiveTailView, live_tail_message
from bot.core import live_log_tails
from bot.core.access import Action
from bot.durations import format_duration
from bot.ids import ActionId
from bot.runtime.daemon_pool import DaemonPool
from bot.services import Services
from handlers.access import refused_click
from handlers.log_targets import Place
from handlers.usage import UsageError

log = logging.getLogger(__name__)
TICK_SECONDS = 3.0
MAX_TAILS = 5
TAIL_LEASE_SECONDS = 30.0
"""A tail's lease outlives a few missed renewals; after its process dies, a Stop click shows it ended this soon."""
"""Live tails one process runs at once (AWS allows 15 Live Tail sessions per account and region, checks included)."""


@dataclass
class RunningTail:
    view: LiveTailView
    key: str
    channel: str
    stop: threading.Event = field(default_factory=threading.Event)
    stopped_by: str | None = None
    events: deque[LogEvent] = field(default_factory=lambda: deque(maxlen=SHOWN_LINES))
    received: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by Stop: ends a pause between sessions at once."""
    failures: int = 0
    """Sessions in a row that failed before AWS started them again."""
    reconnecting: str | None = None
    version: int = 0
    """Counts changes to what the message shows; `shown` is the version last put in the outbox."""
    shown: int = 0


class LiveLogTails:
    """The `/logs … live` tails of this process, by id (the Stop button's value)."""

    STOP_POLL_SECONDS: ClassVar[float] = 2.0
    """How often a tail renews its lease, and so how soon a Stop clicked on another replica ends it."""
    MAX_FAILURES: ClassVar[int] = 5
    """Sessions in a row that may fail (AWS refusing to start one, or ending it with an error) before the tail gives
    up; with the backoff doubling from 1 s, the fifth comes about 15 s after the first."""

    def __init__(self, services: Services, *, holder: str, tick_seconds: float = TICK_SECONDS) -> None:
        self._services = services
        self._holder = holder
        self._tick = tick_seconds
        self._tails: dict[str, RunningTail] = {}
        self._pool = DaemonPool(MAX_TAILS, name="boltwatch-logs-live")
        self._rng = random.Random()

    async def run(
        self, *, place: Place, log_group: str, filter_text: str | None, live_for: timedelta, channel: str, user: str
    ) -> None:
        """Post the message, stream into it until the time is up or someone stops it, then show it ended."""
        if len(self._tails) >= MAX_TAILS:
            raise UsageError(f"{MAX_TAILS} live tails are running already; stop one (its Stop button) and try again.")
        services = self._services
        now = services.clock()
        tail_id = uuid.uuid4().hex
        await self._keep_running(tail_id)  # before its Stop button shows: a click on any replica finds it
        view = LiveTailView(tail_id, log_group, user, now, now + live_for, (), 0, filter_text)
        text, blocks = live_tail_message(view, now=now)
        key = await services.answers.post_updatable(channel, text, blocks)
        running = RunningTail(view, key, channel)
        self._tails[tail_id] = running
        watching = asyncio.create_task(self._watch_for_stop(tail_id), name=f"logs-live-stop:{tail_id}")
        try:
            ended = await self._stream(running, place, live_for)
        finally:
            self._tails.pop(tail_id, None)
            running.stop.set()
            watching.cancel()
            await self._end(tail_id)
        await self._show(running, ended=ended)

    def stop_all(self) -> None:
        """End every tail (the bot is stopping): each shows itself ended within a tick."""
        for running in self._tails.values():
            running.stop.set()
            running.changed.set()

    def stop(self, tail_id: str, user: str) -> bool:
        """Stop a tail of this process; False when it is not one (ended, or another process's)."""
        running = self._tails.get(tail_id)
        if running is None:
            return False
        running.stopped_by = user
        running.stop.set()
        running.changed.set()
        return True

    async def _watch_for_stop(self, tail_id: str) -> None:
        """Renew the tail's lease every STOP_POLL_SECONDS; a Stop clicked on another replica shows up here."""
        while tail_id in self._tails:
            await asyncio.sleep(self.STOP_POLL_SECONDS)
            if (user := await self._keep_running(tail_id)) is not None:
                log.info("live tail %s stopped by %s on another replica", tail_id, user)
                self.stop(tail_id, user)
                return

    async def _keep_running(self, tail_id: str) -> str | None:
        now, ttl, holder = self._services.clock(), timedelta(seconds=TAIL_LEASE_SECONDS), self._holder
        try:
            return await self._services.db.run(
                lambda s: live_log_tails.keep_running(s, tail_id=tail_id, holder=holder, now=now, ttl=ttl)
            )
        except Exception as exc:  # the tail goes on; only a Stop from another replica waits for the database
            log.warning("live tail %s: could not renew its lease: %s", tail_id, exc)
            return None

    async def _end(self, tail_id: str) -> None:
        try:
            await self._services.db.run(lambda s: live_log_tails.ended(s, tail_id=tail_id))
        except Exception as exc:
            log.warning("live tail %s: could not remove its lease (it expires by itself): %s", tail_id, exc)

    async def _stream(self, running: RunningTail, place: Place, live_for: timedelta) -> str:
        """Show new lines each tick until the end, starting the session again when it fails (with backoff, the
        message saying so); returns why it ended."""
        services = self._services
        loop = asyncio.get_running_loop()
        account_id = await services.executor.run(services.aws.account_id, place.account)
        client = await services.aws_client("logs", account=place.account, region=place.region)
        phrase = running.view.filter_text.replace('"', "") if running.view.filter_text else None
        request = TailRequest((running.view.log_group,), account_id, place.region, f'"{phrase}"' if phrase else None,
                              renew_after=live_for.total_seconds() + 60)  # fmt: skip
        deadline = loop.time() + live_for.total_seconds()
        time_up = f"{format_duration(live_for)} are up"
        try:
            while (failure := await self._session(running, client, request, phrase, deadline)) is not None:
                running.failures += 1
                if running.failures >= self.MAX_FAILURES:
                    return f"Live Tail failed {running.failures} times in a row ({failure}); gave up"
                attempt = f"attempt {running.failures + 1} of {self.MAX_FAILURES}"
                running.reconnecting = f"{failure}: reconnecting… ({attempt})"
                running.version += 1
                await self._show(running)
                pause = min(backoff(running.failures, self._rng), max(0.0, deadline - loop.time()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(running.changed.wait(), timeout=pause)  # a Stop ends the pause
                if running.stop.is_set() or loop.time() >= deadline:
                    break
            if running.stopped_by is not None:
                return f"stopped by {running.stopped_by}"  # the message names them itself
            return "the bot stopped" if running.stop.is_set() else time_up
        finally:
            running.stop.set()  # the reading thread sees it at the next update, within a second

    async def _session(
        self, running: RunningTail, client: Any, request: TailRequest, phrase: str | None, deadline: float
    ) -> str | None:
        """Run one Live Tail session, showing what it delivers each tick; None when it ended as asked (Stop, the
        time is up), else why it failed."""
        loop = asyncio.get_running_loop()

        def arrived(events: dict[str, list[LogEvent]]) -> None:
            # CloudWatch matches terms; the phrase as written is kept here (moto matches loosely too).
            lines = [e for group in events.values() for e in group if phrase is None or phrase in e.message]
            loop.call_soon_threadsafe(self._add, running, lines)

        def started() -> None:
            loop.call_soon_threadsafe(self._started, running)

        reader = asyncio.ensure_future(
            self._pool.run(tail, client, request, stop=running.stop, on_start=started, on_events=arrived)
        )
        # Left to end by itself when the tail stops or its time is up: how it ended then does not matter.
        reader.add_done_callback(lambda f: f.cancelled() or f.exception())
        while not running.stop.is_set():
            left = deadline - loop.time()
            if left <= 0:
                return None
            done, _ = await asyncio.wait({reader}, timeout=min(self._tick, left))
            if running.version != running.shown:
                await self._show(running)
            if reader in done:
                exc = reader.exception()
                if isinstance(exc, SessionEnded):
                    return exc.code
                if exc is not None:
                    log.warning("live tail of %s failed: %s", running.view.log_group, exc)
                    return type(exc).__name__
                return None if running.stop.is_set() else "the stream ended"
        return None

    def _started(self, running: RunningTail) -> None:
        if running.reconnecting is not None:
            running.reconnecting = None
            running.version += 1
        running.failures = 0

    def _add(self, running: RunningTail, lines: list[LogEvent]) -> None:
        if lines:
            running.events.extend(lines)
            running.received += len(lines)
            running.version += 1

    async def _show(self, running: RunningTail, *, ended: str | None = None) -> None:
        running.shown = running.version
        view = replace(running.view, lines=tuple(running.events), received=running.received, ended=ended,
                       stopped_by=running.stopped_by, reconnecting=None if ended else running.reconnecting)  # fmt: skip
        text, blocks = live_tail_message(view, now=self._services.clock())
        await self._services.answers.show_latest(running.key, running.channel, text, blocks)


def register(app: AsyncApp, services: Services, tails: LiveLogTails) -> None:
    @app.action(ActionId.LOGS_LIVE_STOP.value)
    async def stop(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await refused_click(services, Action.LOGS, body, client):
            return
        user = body["user"]["id"]
        tail_id = str(action.get("value") or "")[:64]
        if tails.stop(tail_id, user):
            return
        now = services.clock()
        if await services.db.run(lambda s: live_log_tails.ask_to_stop(s, tail_id=tail_id, user=user, now=now)):
            return  # another replica runs it: it ends the tail and shows who stopped it within a few seconds
        # It runs nowhere: it ended already, or its process died. Show that, without its lines.
        channel = (body.get("channel") or {}).get("id", "")
        ts = (body.get("message") or {}).get("ts")
        if channel and ts:
            view = LiveTailView(tail_id, _group_of(body), user, now, now, (), 0, ended="stopped", stopped_by=user)
            text, blocks = live_tail_message(view, now=now)
            await services.answers.replace(channel, ts, text, blocks)


def _group_of(body: dict[str, Any]) -> str:
    """The log group a message shows, from its own text (`Live: GROUP (N events)`)."""
    text = str((body.get("message") or {}).get("text") or "")
    return text.split(": ", 1)[-1].rsplit(" (", 1)[0] or "the log group"
