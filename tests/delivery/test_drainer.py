"""The outbox drainer against the local Slack, through a real `AsyncWebClient`: one message per incident, posted
once and then edited in place, in order, at Slack's pace, through 429s and 500s (refusals: test_refusals.py)."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.access import Action
from bot.core.incident_actions import act
from bot.delivery.drainer import Notifier
from bot.store import Database
from bot.store.models import Incident
from sandbox.slack import LocalSlack
from tests.alerting import CHANNEL, NOW, finding, incidents, outbox_items, routes, run_check
from tests.harness import FakeClock


@pytest.fixture
def notifier(db: Database, slack: LocalSlack, clock: FakeClock) -> Notifier:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    return Notifier(db=db, client=client, clock=clock, holder="test-drainer")


def click(db: Database, clock: FakeClock, action: Action, incident_id: int = 1) -> None:
    """Bob clicks `action` in the incident's own channel (its id once posted, as Slack would say it)."""
    with db.transaction() as session:
        channel = session.get_one(Incident, incident_id).channel
        outcome = act(session, action=action, incident_id=incident_id, user="U0BOB", channel=channel, rules=[],
                      now=clock.now)  # fmt: skip
    assert outcome.changed, outcome.explanation


async def drain_all(notifier: Notifier, clock: FakeClock) -> None:
    """Drain until nothing is due, a second of the clock per round (Slack's pace per channel)."""
    while await notifier.drain_once():
        clock.advance(seconds=1)


def header(slack: LocalSlack, ts: str) -> str:
    return slack.message(CHANNEL, ts).blocks[0]["text"]["text"]


def statuses(db: Database) -> list[str]:
    return [item.status for item in outbox_items(db)]


async def test_the_first_drain_posts_the_incident_and_records_its_message(
    db: Database, slack: LocalSlack, notifier: Notifier
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)

    assert await notifier.drain_once() == 1

    [message] = slack.channel_messages(CHANNEL)
    [call] = slack.calls_to("chat.postMessage")
    assert "thread_ts" not in call.params and call.params["unfurl_links"] is False
    assert message.text == "OPEN warning: Alarm orders-api"
    [incident] = incidents(db)
    assert (incident.message_ts, incident.channel, incident.last_notified_at) == (message.ts, "C0ALERTS", NOW)
    assert statuses(db) == ["done"] and notifier.sent == 1


async def test_a_later_change_edits_the_same_message_with_chat_update(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    await drain_all(notifier, clock)
    [message] = slack.channel_messages(CHANNEL)

    click(db, clock, Action.ACKNOWLEDGE)
    await drain_all(notifier, clock)

    [update] = slack.calls_to("chat.update")
    assert update.params["ts"] == message.ts and update.params["channel"] == "C0ALERTS"
    assert len(slack.channel_messages(CHANNEL)) == 1
    assert header(slack, message.ts).startswith(":eyes: ACKNOWLEDGED")
    assert [reply.text for reply in slack.thread(CHANNEL, message.ts)] == ["<@U0BOB> acknowledged this incident."]


async def test_a_second_alert_in_the_group_updates_the_message_instead_of_posting(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    await drain_all(notifier, clock)
    run_check(db, [finding("orders-api"), finding("payments")], now=clock.now)
    clock.advance(seconds=10)
    await drain_all(notifier, clock)

    [message] = slack.channel_messages(CHANNEL)
    assert len(slack.calls_to("chat.postMessage")) == 1 and len(slack.calls_to("chat.update")) == 1
    assert "2 of 2 alerts firing" in str(message.blocks)


async def test_the_items_of_one_incident_reach_slack_in_the_order_they_were_queued(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    click(db, clock, Action.ACKNOWLEDGE)
    click(db, clock, Action.RESOLVE)

    await drain_all(notifier, clock)

    calls = [(c.method, c.params.get("thread_ts") is not None, c.params.get("text")) for c in slack.calls]
    assert calls == [
        ("chat.postMessage", False, "RESOLVED warning: Alarm orders-api"),
        ("chat.postMessage", True, "<@U0BOB> acknowledged this incident."),
        ("chat.postMessage", True, "<@U0BOB> resolved this incident."),
    ]


async def test_queued_changes_go_out_as_one_update_showing_the_latest_state(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    await drain_all(notifier, clock)
    [message] = slack.channel_messages(CHANNEL)

    click(db, clock, Action.ACKNOWLEDGE)
    click(db, clock, Action.RESOLVE)
    await drain_all(notifier, clock)

    assert len(slack.calls_to("chat.update")) == 1
    assert header(slack, message.ts).startswith(":white_check_mark: RESOLVED")


async def test_a_429_is_retried_after_its_retry_after_and_not_before(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    slack.inject_faults(method="chat.postMessage", status=429, retry_after=5)

    await notifier.drain_once()
    clock.advance(seconds=4.9)
    assert await notifier.drain_once() == 0
    clock.advance(seconds=0.1)
    assert await notifier.drain_once() == 1

    assert [call.status for call in slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(slack.channel_messages(CHANNEL)) == 1
    [item] = outbox_items(db)
    assert item.status == "done"


async def test_a_429_holds_back_every_incident_of_that_channel(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    slack.inject_faults(method="chat.postMessage", status=429, retry_after=5)
    await notifier.drain_once()
    run_check(db, [finding("orders-api", region="eu-west-1")], now=clock.now)

    clock.advance(seconds=4)
    assert await notifier.drain_once() == 0
    clock.advance(seconds=1)
    await drain_all(notifier, clock)
    assert len(slack.channel_messages(CHANNEL)) == 2


async def test_a_server_error_is_retried_with_backoff_and_posts_once(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    slack.inject_faults(method="chat.postMessage", status=500)

    await notifier.drain_once()
    [failed] = outbox_items(db)
    assert failed.status == "pending" and failed.next_attempt_at > NOW
    clock.advance(seconds=2)
    await drain_all(notifier, clock)

    assert [call.status for call in slack.calls_to("chat.postMessage")] == [500, 200]
    assert len(slack.channel_messages(CHANNEL)) == 1


async def test_a_failed_post_holds_back_the_incidents_thread_replies(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    click(db, clock, Action.ACKNOWLEDGE)
    slack.inject_faults(method="chat.postMessage", status=500)

    assert await notifier.drain_once() == 1
    assert await notifier.drain_once() == 0
    clock.advance(seconds=2)
    await drain_all(notifier, clock)

    [message] = slack.channel_messages(CHANNEL)
    assert [reply.text for reply in slack.thread(CHANNEL, message.ts)] == ["<@U0BOB> acknowledged this incident."]


async def test_an_unreachable_slack_is_retried_later(db: Database, clock: FakeClock) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    nowhere = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/")
    notifier = Notifier(db=db, client=nowhere, clock=clock, holder="test-drainer")

    assert await notifier.drain_once() == 1

    [item] = outbox_items(db)
    assert item.status == "pending" and item.next_attempt_at > NOW


async def test_a_deleted_incident_message_is_posted_again_and_its_new_ts_kept(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW)
    await drain_all(notifier, clock)
    [deleted] = slack.channel_messages(CHANNEL)
    await AsyncWebClient(token=slack.bot_token, base_url=slack.api_url).chat_delete(channel="C0ALERTS", ts=deleted.ts)

    click(db, clock, Action.ACKNOWLEDGE)
    await drain_all(notifier, clock)

    [again] = slack.channel_messages(CHANNEL)
    assert again.ts != deleted.ts and again.text.startswith("ACKNOWLEDGED")
    assert incidents(db)[0].message_ts == again.ts
    assert [reply.text for reply in slack.thread(CHANNEL, again.ts)] == ["<@U0BOB> acknowledged this incident."]


async def test_a_channel_takes_one_message_a_second_while_other_channels_go_at_once(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api"), finding("orders-api", region="eu-west-1")], now=NOW)
    run_check(db, [finding("payments", region="ap-south-1")], now=NOW, routing=routes(channel="#ops"))

    assert await notifier.drain_once() == 2
    assert await notifier.drain_once() == 0
    clock.advance(seconds=1)
    assert await notifier.drain_once() == 1

    assert len(slack.channel_messages(CHANNEL)) == 2 and len(slack.channel_messages("#ops")) == 1


async def test_home_is_told_after_incident_messages_but_not_after_thread_replies(
    db: Database, notifier: Notifier, clock: FakeClock
) -> None:
    told: list[str] = []
    notifier.after_incident_sent = lambda: told.append("incident sent")
    run_check(db, [finding("orders-api")], now=NOW)
    await drain_all(notifier, clock)
    click(db, clock, Action.ACKNOWLEDGE)
    await drain_all(notifier, clock)

    assert told == ["incident sent", "incident sent"]
