"""`/logs TARGET live`: one message updated with the newest lines as they stream (moto taught to stream Live Tail,
sandbox/aws/live_tail.py), through signed requests and the local Slack; Stop ends it, and so does its time."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator

import pytest
from botocore.client import BaseClient

from bot.ids import ActionId
from handlers.logs_live import TICK_SECONDS, LiveLogTails
from sandbox.aws import live_tail
from sandbox.aws.server import MotoHandle, sandbox_client
from sandbox.slack import LocalSlack
from sandbox.slack.messages import Message
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, running_bot

GROUP = "/aws/lambda/orders"
STREAM = "2026/12/05/[$LATEST]feed"


@pytest.fixture
def logs(moto: MotoHandle) -> Iterator[BaseClient]:
    client = sandbox_client(moto.endpoint, "logs")
    client.create_log_group(logGroupName=GROUP)
    client.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
    yield client
    live_tail.break_sessions("test over")
    live_tail.reset()


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str, logs: BaseClient):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


def put(logs: BaseClient, *messages: str, after: int = 0) -> None:
    """Put the messages stamped a millisecond apart, `after` ms from now (puts within a few ms of each other would
    otherwise interleave their stamps, and the message shows the newest lines by time)."""
    now = int(time.time() * 1000) + after
    events = [{"timestamp": now + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=GROUP, logStreamName=STREAM, logEvents=events)


def the_message(bot: RunningBot) -> Message | None:
    messages = bot.slack.channel_messages("#alerts")
    return messages[0] if messages else None


def shown(bot: RunningBot) -> str:
    message = the_message(bot)
    return str(message.blocks) if message is not None else ""


async def streaming(bot: RunningBot, text: str) -> Message:
    mark = live_tail.sessions_started()
    await bot.command("/logs", text)
    message = await bot.wait_for(lambda: the_message(bot))
    assert "Live:" in str(message.blocks)
    # This tail's own session has started: what is put from now on streams (the first start builds a client and asks
    # STS for the account, which can outlast a fixed sleep on a busy machine). Counted from the mark, so that a
    # session another test left behind is not taken for it.
    await bot.wait_for(lambda: live_tail.open_sessions(started_after=mark) == 1, timeout=15)
    return message


async def test_new_lines_update_the_one_message_coalesced_and_escaped(bot: RunningBot, logs: BaseClient) -> None:
    await streaming(bot, f"{GROUP} live for 2m")
    updates_before = len(bot.slack.calls_to("chat.update"))
    started = time.monotonic()
    burst = [f"line {i} of the burst" for i in range(60)]
    for chunk in range(0, 60, 15):
        await asyncio.to_thread(put, logs, *burst[chunk : chunk + 15], after=chunk)
    await asyncio.to_thread(put, logs, "<!channel> see <http://evil.example|your bank>", after=60)
    await bot.wait_for(lambda: "your bank" in shown(bot), timeout=15)
    took = time.monotonic() - started
    text = shown(bot)
    assert "line 59 of the burst" in text and "line 10 of the burst" not in text  # the newest 20
    assert "61 events" in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert len(bot.slack.channel_messages("#alerts")) == 1
    # Five puts and a burst: at most one update a TICK_SECONDS while they last (however slow the machine makes
    # them), not one a line or a put.
    updates = len(bot.slack.calls_to("chat.update")) - updates_before
    assert updates <= math.ceil(took / TICK_SECONDS) + 1, (updates, took)
    assert [b for b in the_message(bot).blocks if b["type"] == "actions"]  # type: ignore[union-attr]


async def test_stop_ends_the_tail_and_the_message_says_who_stopped_it(bot: RunningBot, logs: BaseClient) -> None:
    message = await streaming(bot, f"{GROUP} live filter ERROR")
    await asyncio.to_thread(put, logs, "INFO fine", "ERROR broken")
    await bot.wait_for(lambda: "ERROR broken" in shown(bot), timeout=15)
    assert "INFO fine" not in shown(bot)
    await bot.click(action_id=ActionId.LOGS_LIVE_STOP.value, channel="#alerts", message_ts=message.ts, user="U0BOB")
    await bot.wait_for(lambda: "Live tail ended" in shown(bot), timeout=15)
    assert "stopped by <@U0BOB>" in shown(bot)
    assert not [b for b in the_message(bot).blocks if b["type"] == "actions"]  # type: ignore[union-attr]
    await asyncio.sleep(2)
    assert live_tail.open_sessions() == 0
    await asyncio.to_thread(put, logs, "ERROR after the stop")
    await asyncio.sleep(4)
    await bot.drain()
    assert "after the stop" not in shown(bot)


async def test_a_tail_ends_by_itself_when_its_time_is_up(bot: RunningBot, logs: BaseClient) -> None:
    await streaming(bot, f"{GROUP} live for 4s")
    await bot.wait_for(lambda: "Live tail ended" in shown(bot), timeout=15)
    assert "4s are up" in shown(bot)
    await asyncio.sleep(2)
    assert live_tail.open_sessions() == 0


async def test_a_failed_stream_reconnects_with_backoff_and_the_message_says_so(
    bot: RunningBot, logs: BaseClient
) -> None:
    await streaming(bot, f"{GROUP} live for 2m")
    live_tail.refuse_sessions("ServiceUnavailableException")
    assert live_tail.break_sessions() == 1
    await bot.wait_for(lambda: "reconnecting…" in shown(bot), timeout=15)
    assert "SessionStreamingException" in shown(bot) or "ServiceUnavailableException" in shown(bot)
    assert "Live tail ended" not in shown(bot)
    assert [b for b in the_message(bot).blocks if b["type"] == "actions"]  # type: ignore[union-attr]

    live_tail.refuse_sessions(None)
    await bot.wait_for(lambda: live_tail.open_sessions() == 1, timeout=15)
    await asyncio.sleep(1.5)  # the new session streams
    await asyncio.to_thread(put, logs, "ERROR after reconnecting")
    await bot.wait_for(lambda: "after reconnecting" in shown(bot), timeout=15)
    assert "reconnecting…" not in shown(bot) and "Live:" in shown(bot)
    assert len(bot.slack.channel_messages("#alerts")) == 1


async def test_a_stream_that_keeps_failing_gives_up_with_a_clear_line(
    bot: RunningBot, logs: BaseClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LiveLogTails, "MAX_FAILURES", 3)
    await streaming(bot, f"{GROUP} live for 2m")
    live_tail.refuse_sessions("ServiceUnavailableException")
    live_tail.break_sessions()
    # Backoff between attempts: about 1 s, then 2 s; the third failure in a row ends it.
    await bot.wait_for(lambda: "Live tail ended" in shown(bot), timeout=20)
    assert "Live Tail failed 3 times in a row (ServiceUnavailableException); gave up" in shown(bot)
    assert not [b for b in the_message(bot).blocks if b["type"] == "actions"]  # type: ignore[union-attr]
    calls = bot.slack.calls_to("chat.update")
    assert any("attempt 3 of 3" in str(c.params) for c in calls), "it said it was reconnecting before giving up"


async def test_a_tail_whose_time_runs_out_while_reconnecting_ends_with_its_time(
    bot: RunningBot, logs: BaseClient
) -> None:
    await streaming(bot, f"{GROUP} live for 5s")
    live_tail.refuse_sessions("ServiceUnavailableException")
    live_tail.break_sessions()
    await bot.wait_for(lambda: "Live tail ended" in shown(bot), timeout=20)
    assert "5s are up" in shown(bot)


async def test_stop_clicked_on_another_replica_ends_the_tail_where_it_runs(
    moto: MotoHandle, database_url: str, logs: BaseClient
) -> None:
    slack = await LocalSlack(signing_secret=SIGNING_SECRET).start()
    clock = FakeClock()
    try:
        async with (
            running_bot(moto=moto, database_url=database_url, slack=slack, clock=clock, holder="replica-a") as owner,
            running_bot(moto=moto, database_url=database_url, slack=slack, clock=clock, holder="replica-b") as other,
        ):
            message = await streaming(owner, f"{GROUP} live for 5m")
            await asyncio.to_thread(put, logs, "ERROR before the stop")
            await owner.wait_for(lambda: "before the stop" in shown(owner), timeout=15)

            await other.click(action_id=ActionId.LOGS_LIVE_STOP.value, channel="#alerts", message_ts=message.ts,
                              user="U0BOB")  # fmt: skip
            await owner.wait_for(lambda: "Live tail ended" in shown(owner), timeout=15)
            assert "stopped by <@U0BOB>" in shown(owner)
            assert "before the stop" in shown(owner), "the tail's own replica ended it, with its lines"
            await asyncio.sleep(2)
            assert live_tail.open_sessions() == 0
            await asyncio.to_thread(put, logs, "ERROR after the stop")
            await asyncio.sleep(4)
            await owner.drain()
            assert "after the stop" not in shown(owner)
    finally:
        await slack.stop()
