"""`/logs` against the seeded estate in moto, through signed requests and the local Slack."""

from __future__ import annotations

import asyncio
import threading

import boto3
import pytest

from bot.aws.quotas import TokenBucket
from bot.ids import LogsPage
from sandbox.aws.server import MotoHandle
from tests.harness import FakeClock, RunningBot, base_config, running_bot
from tests.readonly_estate import SeededEstate


@pytest.fixture
async def bot(seeded_estate_readonly: SeededEstate, database_url: str):  # type: ignore[no-untyped-def]
    """The bot on the session's seeded estate: tests that use it only read AWS."""
    clock = FakeClock(seeded_estate_readonly.seeded_at)
    async with running_bot(moto=seeded_estate_readonly, database_url=database_url, clock=clock) as running:
        yield running


@pytest.fixture
async def bot_on_own_aws(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    """The bot on an empty moto of its own, for tests that create the log groups they read."""
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


async def test_logs_of_a_function_arrive_in_the_channel_oldest_first(bot: RunningBot) -> None:
    await bot.command("/logs", "orders-api 2h limit 20")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    text = str(message.blocks)
    assert "/aws/lambda/orders-api" in text and "20 events" in text
    stamps = [line[:24] for line in message.blocks[1]["text"]["text"].splitlines() if line[:2] == "20"]
    assert stamps == sorted(stamps) and stamps


async def test_a_filter_keeps_only_matching_events(bot: RunningBot) -> None:
    await bot.command("/logs", 'orders-api 2h filter "START RequestId"')
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    lines = [line for line in message.blocks[1]["text"]["text"].splitlines() if line.startswith("20")]
    assert lines and all("START RequestId" in line for line in lines)


async def test_more_than_a_screenful_becomes_a_file_with_a_preview(bot: RunningBot) -> None:
    await bot.command("/logs", "orders-api 2h limit 500")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "events are in the file below" in str(message.blocks)
    [reply] = await bot.wait_for(lambda: bot.slack.thread("#alerts", message.ts))
    content = bot.slack.file_content(reply.files[0]["id"]).decode()
    assert content.count("RequestId") > 40


async def test_log_lines_cannot_ping_or_forge_links(bot_on_own_aws: RunningBot) -> None:
    bot = bot_on_own_aws
    logs = boto3.client("logs", endpoint_url=bot.moto.endpoint, region_name="us-east-1")
    logs.create_log_group(logGroupName="/app/evil")
    logs.create_log_stream(logGroupName="/app/evil", logStreamName="s")
    now_ms = int(bot.clock.now.timestamp() * 1000) - 1000
    logs.put_log_events(
        logGroupName="/app/evil",
        logStreamName="s",
        logEvents=[{"timestamp": now_ms, "message": "<!channel> see <http://evil.example|your bank>"}],
    )
    await bot.command("/logs", "/app/evil 1h")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    text = message.blocks[1]["text"]["text"]
    assert "&lt;!channel&gt; see &lt;http://evil.example|your bank&gt;" in text
    assert "<!channel>" not in str(message.blocks)


async def test_an_unknown_target_gets_a_did_you_mean_and_nothing_is_posted(bot: RunningBot) -> None:
    await bot.command("/logs", "orders-apl 1h")
    replies = await bot.wait_for(lambda: len(bot.slack.ephemerals(user="U0ALICE")) >= 2 and bot.slack.ephemerals())

    assert "Did you mean `orders-api`?" in replies[-1].text
    assert bot.slack.channel_messages("#alerts") == []


async def test_a_malformed_command_gets_the_usage_at_once(bot: RunningBot) -> None:
    delivery = await bot.command("/logs", "orders-api yesterday")
    assert delivery.status == 200
    [reply] = bot.slack.ephemerals(user="U0ALICE")
    assert "`yesterday` is not a time span" in reply.text and "Usage: `/logs TARGET" in reply.text


def event_stamps(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [line[:24] for line in message.blocks[1]["text"]["text"].splitlines() if line[:2] == "20"]


async def test_older_and_newer_page_through_the_window_in_place(bot: RunningBot) -> None:
    await bot.command("/logs", "orders-api 2h limit 5")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    first = event_stamps(message)
    await bot.click(action_id="logs_older", channel="#alerts", message_ts=message.ts)
    await bot.wait_for(lambda: event_stamps(bot.slack.message("#alerts", message.ts)) != first)
    older = event_stamps(bot.slack.message("#alerts", message.ts))
    assert len(older) == 5 and max(older) < min(first)
    await bot.click(action_id="logs_newer", channel="#alerts", message_ts=message.ts)
    await bot.wait_for(lambda: event_stamps(bot.slack.message("#alerts", message.ts)) != older)
    newer = event_stamps(bot.slack.message("#alerts", message.ts))
    assert min(newer) > max(older)
    assert len(bot.slack.channel_messages("#alerts")) == 1


async def test_a_page_button_naming_an_account_no_longer_configured_says_so(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.command("/logs", "orders-api 2h limit 5")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    stale = LogsPage("prod", "us-east-1", "/aws/lambda/orders-api", 0, 3_600_000, 5, None).encode()
    await bot.click(action_id="logs_older", channel="#alerts", message_ts=message.ts, value=stale)
    [reply] = await bot.wait_for(lambda: bot.slack.thread("#alerts", message.ts))
    assert reply.text == "No account is called `prod` in Boltwatch's config (any more)."
    assert "Traceback" not in caplog.text and "listener failed" not in caplog.text


async def test_group_errors_under_logs_answers_in_the_thread(bot: RunningBot) -> None:
    await bot.command("/logs", "orders-api 2h limit 5")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    await bot.click(action_id="logs_group_errors", channel="#alerts", message_ts=message.ts)
    [reply] = await bot.wait_for(lambda: bot.slack.thread("#alerts", message.ts))
    assert "Errors in `/aws/lambda/orders-api`" in str(reply.blocks)


async def test_a_target_matching_several_groups_offers_each_as_a_button(bot_on_own_aws: RunningBot) -> None:
    bot = bot_on_own_aws
    logs = boto3.client("logs", endpoint_url=bot.moto.endpoint, region_name="us-east-1")
    for name in ("/app/web-blue", "/app/web-green"):
        logs.create_log_group(logGroupName=name)
    await bot.command("/logs", "/app/web 1h")
    choice = await bot.wait_for(lambda: [e for e in bot.slack.ephemerals() if "Pick one" in e.text])
    buttons = [el for block in choice[0].blocks if block["type"] == "actions" for el in block["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["/app/web-blue", "/app/web-green"]
    await bot.slack.send_block_action(
        bot.events_url, action_id=buttons[1]["action_id"], value=buttons[1]["value"], channel="#alerts"
    )
    [answer] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "/app/web-green" in str(answer.blocks)


async def test_a_busy_quota_says_how_many_reads_are_queued_ahead(bot: RunningBot) -> None:
    bucket = TokenBucket(2.0, burst=1)
    bot.app.services.aws.logs_quota._buckets[("FilterLogEvents", "default", "us-east-1")] = bucket
    bucket.acquire()
    readers = [threading.Thread(target=bucket.acquire, kwargs={"urgent": True}) for _ in range(3)]
    for reader in readers:
        reader.start()
    await bot.wait_for(lambda: bucket.waiting == 3)
    await bot.command("/logs", "orders-api 1h")
    [ack] = bot.slack.ephemerals(user="U0ALICE")
    assert "Queued, 3 ahead" in ack.text
    for reader in readers:
        await asyncio.to_thread(reader.join)
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))


async def test_with_file_output_off_more_than_a_screenful_is_cut_with_a_note_and_older_pages_to_the_rest(
    seeded_estate_readonly: SeededEstate, database_url: str
) -> None:
    clock = FakeClock(seeded_estate_readonly.seeded_at)
    config = base_config(logs={"file_output": False})
    async with running_bot(moto=seeded_estate_readonly, database_url=database_url, clock=clock, config=config) as bot:
        await bot.command("/logs", "orders-api 2h limit 500")
        [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
        newest, first_answer = event_stamps(message), str(message.blocks)
        await bot.click(action_id="logs_older", channel="#alerts", message_ts=message.ts)
        await bot.wait_for(lambda: event_stamps(bot.slack.message("#alerts", message.ts)) != newest)
        older = event_stamps(bot.slack.message("#alerts", message.ts))
        await bot.drain()

        assert "older ones are left out (file output is off: `logs.file_output`)" in first_answer
        assert 0 < len(newest) <= 40 and older and max(older) < min(newest)
        assert [call.method for call in bot.slack.calls if call.method.startswith("files.")] == []
        assert bot.slack.thread("#alerts", message.ts) == []
