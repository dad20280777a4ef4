"""Exactly once, by asking Slack: a post whose outcome is unknown (the process died, the client timed out, another
replica took over an expired claim) is looked up by its message metadata and adopted, never posted twice. Each test
ends with one top-level message, updated in place afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.access import Action
from bot.delivery.drainer import Notifier
from bot.delivery.outbox import CLAIM_SECONDS
from bot.store import Database
from bot.store.models import OutboxItem
from sandbox.slack import LocalSlack
from tests.alerting import CHANNEL, NOW, finding, incidents, outbox_items, run_check
from tests.delivery.test_drainer import click, drain_all, header
from tests.harness import FakeClock

Replica = Callable[..., Notifier]


@pytest.fixture
def replica(db: Database, slack: LocalSlack, clock: FakeClock) -> Replica:
    """A drainer of its own (a process, or a replica), with its own Slack client."""

    def start(holder: str, *, timeout: int = 30) -> Notifier:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, timeout=timeout)
        return Notifier(db=db, client=client, clock=clock, holder=holder)

    return start


async def acknowledged_afterwards(db: Database, slack: LocalSlack, clock: FakeClock, notifier: Notifier) -> str:
    """A little later Bob acknowledges; the one message is updated in place. Returns its ts."""
    clock.advance(seconds=1)
    click(db, clock, Action.ACKNOWLEDGE)
    await drain_all(notifier, clock)
    [message] = slack.channel_messages(CHANNEL)
    assert header(slack, message.ts).startswith(":eyes: ACKNOWLEDGED")
    assert incidents(db)[0].message_ts == message.ts
    return message.ts


async def test_every_post_and_update_carries_its_outbox_item_in_message_metadata(
    db: Database, slack: LocalSlack, clock: FakeClock, replica: Replica
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    notifier = replica("replica-a")
    await drain_all(notifier, clock)
    await acknowledged_afterwards(db, slack, clock, notifier)

    sent = [c.params["metadata"] for c in slack.calls if c.method.startswith("chat.")]
    with db.transaction() as session:
        ids = {item.operation: item.id for item in session.query(OutboxItem)}
    assert sent == [
        {"event_type": "boltwatch_item", "event_payload": {"key": "incident:1", "item_id": ids[operation]}}
        for operation in ("post_incident", "update_incident", "thread_reply")
    ]


async def test_a_post_slack_made_before_the_process_died_is_adopted_by_the_next_process(
    db: Database, slack: LocalSlack, clock: FakeClock, replica: Replica
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    hold = slack.hold_answers(method="chat.postMessage")
    dying = asyncio.create_task(replica("replica-a").drain_once())
    await slack.wait_for(lambda: hold.held)
    dying.cancel()  # killed: the message is in Slack, its ts never reached the database
    await asyncio.gather(dying, return_exceptions=True)
    assert incidents(db)[0].message_ts is None

    clock.advance(seconds=CLAIM_SECONDS + 1)
    restarted = replica("replica-b")
    await drain_all(restarted, clock)

    [message] = slack.channel_messages(CHANNEL)
    assert incidents(db)[0].message_ts == message.ts
    assert [item.status for item in outbox_items(db)] == ["done"]
    [lookup] = slack.calls_to("conversations.history")
    assert lookup.params["include_all_metadata"] in (True, "1", "true") and lookup.params["channel"] == "C0ALERTS"
    assert await acknowledged_afterwards(db, slack, clock, restarted) == message.ts


async def test_a_post_slack_made_after_the_client_timed_out_is_adopted_on_retry(
    db: Database, slack: LocalSlack, clock: FakeClock, replica: Replica
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    slack.hold_answers(method="chat.postMessage", seconds=2)
    impatient = replica("replica-a", timeout=1)

    await impatient.drain_once()
    [item] = outbox_items(db)
    assert item.status == "pending" and incidents(db)[0].message_ts is None  # the client gave up; Slack posted
    clock.advance(seconds=5)
    await drain_all(impatient, clock)

    [message] = slack.channel_messages(CHANNEL)
    assert incidents(db)[0].message_ts == message.ts
    assert await acknowledged_afterwards(db, slack, clock, impatient) == message.ts


async def test_a_replica_taking_over_an_expired_claim_adopts_the_post_still_in_flight(
    db: Database, slack: LocalSlack, clock: FakeClock, replica: Replica
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    hold = slack.hold_answers(method="chat.postMessage")
    slow = asyncio.create_task(replica("replica-a").drain_once())
    await slack.wait_for(lambda: hold.held)

    clock.advance(seconds=CLAIM_SECONDS + 1)
    other = replica("replica-b")
    assert await other.drain_once() == 1
    hold.release()  # the first replica's answer arrives at last, and it records the same message
    await slow

    [message] = slack.channel_messages(CHANNEL)
    assert incidents(db)[0].message_ts == message.ts
    assert await acknowledged_afterwards(db, slack, clock, other) == message.ts


async def test_an_attempt_slack_never_saw_is_looked_up_then_posted_once(
    db: Database, slack: LocalSlack, clock: FakeClock, replica: Replica
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    slack.inject_faults(method="chat.postMessage", status=503)
    notifier = replica("replica-a")

    await notifier.drain_once()
    clock.advance(seconds=5)
    await drain_all(notifier, clock)

    assert [c.status for c in slack.calls_to("chat.postMessage")] == [503, 200]
    assert len(slack.calls_to("conversations.history")) == 1
    [message] = slack.channel_messages(CHANNEL)
    assert await acknowledged_afterwards(db, slack, clock, notifier) == message.ts


async def test_a_thread_reply_slack_made_before_the_process_died_is_not_replied_twice(
    db: Database, slack: LocalSlack, clock: FakeClock, replica: Replica
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    first = replica("replica-a")
    await drain_all(first, clock)
    click(db, clock, Action.ACKNOWLEDGE)
    hold = slack.hold_answers(method="chat.postMessage")
    dying = asyncio.create_task(drain_all(first, clock))
    await slack.wait_for(lambda: hold.held)
    dying.cancel()
    await asyncio.gather(dying, return_exceptions=True)

    clock.advance(seconds=CLAIM_SECONDS + 1)
    await drain_all(replica("replica-b"), clock)

    [message] = slack.channel_messages(CHANNEL)
    assert [reply.text for reply in slack.thread(CHANNEL, message.ts)] == ["<@U0BOB> acknowledged this incident."]
    assert len(slack.calls_to("conversations.replies")) == 1
    assert header(slack, message.ts).startswith(":eyes: ACKNOWLEDGED")


async def test_a_post_slack_refused_outright_is_sent_again_without_looking_for_it(
    db: Database, slack: LocalSlack, clock: FakeClock, replica: Replica
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    slack.inject_faults(method="chat.postMessage", status=429, retry_after=2)
    notifier = replica("replica-a")

    await notifier.drain_once()
    clock.advance(seconds=2)
    await drain_all(notifier, clock)

    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert slack.calls_to("conversations.history") == []  # a 429 means nothing was posted
    [message] = slack.channel_messages(CHANNEL)
    assert await acknowledged_afterwards(db, slack, clock, notifier) == message.ts
