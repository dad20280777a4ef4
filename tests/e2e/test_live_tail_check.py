"""`log_errors` in `mode: live`: error events streamed by Live Tail (moto taught to stream it,
sandbox/aws/live_tail.py) alert without waiting for the check's interval (an hour here), read nothing with
FilterLogEvents while streaming, miss nothing put while a session was down, and fall back to polling while sessions
fail."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.model import OperationModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.aws.sessions import AwsTarget
from bot.store.models import CheckTarget, IncidentEvent
from sandbox.aws import live_tail
from sandbox.aws.server import MotoHandle, sandbox_client
from sandbox.slack import LocalSlack
from scheduler.live_tails import LiveTails
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, base_config, running_bot

GROUP = "/aws/lambda/orders"
STREAM = "2026/12/05/[$LATEST]0123456789abcdef"
TARGET = AwsTarget("default", "us-east-1")


@pytest.fixture
def logs(moto: MotoHandle) -> Iterator[BaseClient]:
    client = sandbox_client(moto.endpoint, "logs")
    client.create_log_group(logGroupName=GROUP)
    client.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    yield client
    live_tail.break_sessions("test over")  # not left streaming into the next test, whose bot would count them
    live_tail.reset()


class WallClock(FakeClock):
    """Live sources run on the real clock: a read ends at the bot's now, and events are stamped with the real time."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


def bot_running(moto: MotoHandle, database_url: str, *, check: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return running_bot(
        moto=moto, database_url=database_url, config=config(**(check or {})), background=True, clock=WallClock(),
        **kwargs,
    )  # fmt: skip


def config(**check_params: Any) -> dict[str, Any]:
    check = {"type": "log_errors", "every": "1h", "log_groups": ["/aws/lambda/*"], "mode": "live", **check_params}
    return base_config(checks=[check], routes=[{"name": "all", "channel": "#alerts", "group_by": ["error_group"]}])


def traceback(marker: str) -> str:
    return (
        f"[ERROR] {marker}: charge failed\nTraceback (most recent call last):\n"
        f'  File "/var/task/app.py", line 42, in handler\n    raise {marker}()\n'
    )


def put_error(logs: BaseClient, marker: str, group: str = GROUP) -> None:
    event = {"timestamp": int(time.time() * 1000), "message": traceback(marker)}
    logs.put_log_events(logGroupName=group, logStreamName=STREAM, logEvents=[event])


class FilterCalls:
    """FilterLogEvents calls of the bot's own logs client."""

    def __init__(self, client: BaseClient) -> None:
        self.count = 0
        self._lock = threading.Lock()

        def counted(model: OperationModel, **_: Any) -> None:
            if model.name == "FilterLogEvents":
                with self._lock:
                    self.count += 1

        client.meta.events.register("before-call.logs", counted, unique_id="test-filter-calls")


def posts_naming(bot: RunningBot, marker: str) -> list[Any]:
    return [
        c for c in bot.slack.calls_to("chat.postMessage")
        if c.ok and "thread_ts" not in c.params and marker in json.dumps(c.params)
    ]  # fmt: skip


async def live(bot: RunningBot) -> None:
    await bot.wait_for(lambda: bot.app.live_tails.live_groups("log_errors", TARGET) == {GROUP}, timeout=20)


async def test_a_streamed_error_alerts_without_waiting_for_the_interval_or_reading_the_logs(
    moto: MotoHandle, database_url: str, logs: BaseClient
) -> None:
    async with bot_running(moto, database_url) as bot:
        client = await asyncio.to_thread(bot.app.services.aws.client, "logs", account="default", region="us-east-1")
        calls = FilterCalls(client)
        await live(bot)
        await asyncio.sleep(0.5)  # the catch-up read at the session's start is over
        before = calls.count
        await asyncio.to_thread(put_error, logs, "LiveFirstError")
        await bot.wait_for(lambda: posts_naming(bot, "LiveFirstError"), timeout=10)
        await bot.run_checks()  # the scheduled run does not read a group that streams
        assert calls.count == before
        await asyncio.to_thread(put_error, logs, "LiveFirstError")  # the same error group again: no second post
        await asyncio.sleep(2.5)
        await bot.drain()
        assert len(posts_naming(bot, "LiveFirstError")) == 1


async def test_a_failed_session_falls_back_to_polling_and_its_restart_misses_nothing(
    moto: MotoHandle, database_url: str, logs: BaseClient
) -> None:
    async with bot_running(moto, database_url) as bot:
        await live(bot)
        live_tail.refuse_sessions("ServiceUnavailableException")
        live_tail.break_sessions()
        await bot.wait_for(lambda: not bot.app.live_tails.live_groups("log_errors", TARGET), timeout=10)
        [state] = bot.app.live_tails.sessions("log_errors", TARGET)
        assert state.last_error in {"SessionStreamingException", "ServiceUnavailableException"}

        # While sessions fail, the scheduled run reads the group.
        await asyncio.to_thread(put_error, logs, "WhileDownPolledError")
        await bot.run_checks()
        await bot.wait_for(lambda: posts_naming(bot, "WhileDownPolledError"), timeout=10)

        # Put while no session streams and no scheduled run comes: the next session's first read finds it.
        await asyncio.to_thread(put_error, logs, "InTheGapError")
        live_tail.refuse_sessions(None)
        await live(bot)
        await bot.wait_for(lambda: posts_naming(bot, "InTheGapError"), timeout=20)

        await asyncio.to_thread(put_error, logs, "AfterRestartError")
        await bot.wait_for(lambda: posts_naming(bot, "AfterRestartError"), timeout=10)
        await asyncio.sleep(2)
        await bot.drain()
        for marker in ("WhileDownPolledError", "InTheGapError", "AfterRestartError"):
            assert len(posts_naming(bot, marker)) == 1, marker


async def test_an_error_put_while_the_bot_was_stopped_alerts_when_it_streams_again(
    moto: MotoHandle, database_url: str, logs: BaseClient
) -> None:
    slack = await LocalSlack(signing_secret=SIGNING_SECRET).start()
    try:
        async with bot_running(moto, database_url, slack=slack) as bot:
            await live(bot)
            await asyncio.to_thread(put_error, logs, "BeforeStopError")
            await bot.wait_for(lambda: posts_naming(bot, "BeforeStopError"), timeout=10)
        await asyncio.to_thread(put_error, logs, "WhileStoppedError")
        async with bot_running(moto, database_url, slack=slack) as bot:
            await live(bot)
            await bot.wait_for(lambda: posts_naming(bot, "WhileStoppedError"), timeout=15)
            await asyncio.sleep(1)
            assert len(posts_naming(bot, "BeforeStopError")) == 1
    finally:
        await slack.stop()


async def test_sessions_are_renewed_before_aws_ends_them_and_the_stream_goes_on(
    moto: MotoHandle, database_url: str, logs: BaseClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS ends a session at three hours; the bot ends and starts it again ten minutes before. Scaled down: sessions
    that moto would time out after 3 s are renewed after 1.2 s, so none times out, and the stream never stops."""
    monkeypatch.setattr(LiveTails, "RENEW_AFTER", 1.2)
    live_tail.set_session_limit(3.0)
    async with bot_running(moto, database_url) as bot:
        await live(bot)
        [state] = bot.app.live_tails.sessions("log_errors", TARGET)
        await bot.wait_for(lambda: state.starts >= 4, timeout=20)

        await asyncio.to_thread(put_error, logs, "AfterRenewalsError")
        await bot.wait_for(lambda: posts_naming(bot, "AfterRenewalsError"), timeout=10)
        assert state.last_error is None and state.failures == 0  # renewed each time, never timed out or failed
        await live(bot)  # between two sessions only for the moment of a renewal
        await asyncio.sleep(1.5)
        await bot.drain()
        assert len(posts_naming(bot, "AfterRenewalsError")) == 1


async def test_more_than_ten_live_groups_stream_in_sessions_of_ten_up_to_the_configured_most(
    moto: MotoHandle, database_url: str, logs: BaseClient
) -> None:
    """StartLiveTail takes at most 10 log groups (the sandbox refuses more, as AWS does): 12 live groups are two
    sessions, of 10 and 2, and an error in the second one's alerts. The 13th group the check matches is past
    `live_max_groups`: the schedule reads it."""
    billing = [f"/aws/lambda/billing-{i:02}" for i in range(12)]  # listed before GROUP (/aws/lambda/orders)
    for group in billing:
        await asyncio.to_thread(logs.create_log_group, logGroupName=group)
        await asyncio.to_thread(logs.create_log_stream, logGroupName=group, logStreamName=STREAM)
    mark = live_tail.sessions_started()
    async with bot_running(moto, database_url, check={"live_max_groups": 12}) as bot:
        await bot.wait_for(lambda: bot.app.live_tails.live_groups("log_errors", TARGET) == set(billing), timeout=20)
        first, second = bot.app.live_tails.sessions("log_errors", TARGET)
        assert (first.groups, second.groups) == (tuple(billing[:10]), tuple(billing[10:]))
        assert live_tail.open_sessions(started_after=mark) == 2

        await asyncio.to_thread(put_error, logs, "SecondSessionError", billing[11])
        [post] = await bot.wait_for(lambda: posts_naming(bot, "SecondSessionError"), timeout=10)
        assert "billing-11: SecondSessionError" in post.params["text"]

        await asyncio.to_thread(put_error, logs, "PastTheMostError")  # in GROUP, which no session streams
        await bot.run_checks()
        [post] = await bot.wait_for(lambda: posts_naming(bot, "PastTheMostError"), timeout=10)
        assert "orders: PastTheMostError" in post.params["text"]


async def test_the_timeline_credits_a_streamed_error_to_the_live_tail_and_a_caught_up_one_to_the_read(
    moto: MotoHandle, database_url: str, logs: BaseClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An error logged before the session started is found by a read of the logs (poll: the session's catch-up, or
    the scheduled run the bot starts with); one logged while it streams, once neither read is still going, is seen
    first by the stream (live tail)."""

    def scheduled_run_recorded(session: Session) -> bool:
        return session.scalar(select(CheckTarget).where(CheckTarget.check_name == "log_errors")) is not None

    def caught_up() -> bool:
        return any("log groups streaming" in r.getMessage() for r in caplog.records)

    await asyncio.to_thread(put_error, logs, "BeforeTheStreamError")
    with caplog.at_level(logging.INFO, logger="scheduler.live_tails"):
        async with bot_running(moto, database_url) as bot:
            await live(bot)
            await bot.wait_for(lambda: posts_naming(bot, "BeforeTheStreamError"), timeout=15)
            await bot.wait_for(caught_up, timeout=15)
            for _ in range(300):  # the bot's first scheduled run read the group too, before the session was live
                if await bot.app.services.db.run(scheduled_run_recorded):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the first scheduled run did not end within 15 s")
            await asyncio.to_thread(put_error, logs, "StreamedError")
            await bot.wait_for(lambda: posts_naming(bot, "StreamedError"), timeout=10)
            assert await bot.app.services.db.run(opened) == [
                "orders: BeforeTheStreamError: charge failed, seen first by poll",
                "orders: StreamedError: charge failed, seen first by live tail",
            ]


def opened(session: Session) -> list[str]:
    events = select(IncidentEvent.detail).where(IncidentEvent.kind == "opened").order_by(IncidentEvent.id)
    return list(session.scalars(events))
