"""Refusals are kept, shown and retried: each ends with the incident delivered once the cause is fixed."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.access import Action
from bot.delivery.drainer import Notifier
from bot.store import Database
from bot.store.models import OutboxItem
from sandbox.slack import LocalSlack
from tests.alerting import CHANNEL, NOW, finding, incidents, outbox_items, routes, run_check
from tests.delivery.test_drainer import click, drain_all
from tests.harness import FakeClock


@pytest.fixture
def notifier(db: Database, slack: LocalSlack, clock: FakeClock) -> Notifier:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    return Notifier(db=db, client=client, clock=clock, holder="test-drainer", default_channel=CHANNEL)


def blocked(db: Database) -> list[tuple[str, str | None]]:
    with db.transaction() as session:
        return [(item.status, item.last_error) for item in session.query(OutboxItem).order_by(OutboxItem.id)]


async def later(notifier: Notifier, clock: FakeClock, minutes: float = 6) -> None:
    """Time passes (past the longest backoff) and the drainer runs."""
    clock.advance(minutes=minutes)
    await drain_all(notifier, clock)


async def test_a_public_channel_the_bot_is_not_in_is_joined_and_the_incident_posted(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    slack.add_channel("#db-alerts", bot_is_member=False)
    run_check(db, [finding("orders-api")], now=NOW, routing=routes(channel="#db-alerts"))

    await drain_all(notifier, clock)

    assert [c.params["channel"] for c in slack.calls_to("conversations.join")] == ["C0DBALERTS"]
    [message] = slack.channel_messages("#db-alerts")
    assert incidents(db)[0].message_ts == message.ts
    assert blocked(db) == [("done", "not_in_channel")]


async def test_a_private_channel_the_bot_is_not_in_blocks_its_incident_until_the_bot_is_invited(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    slack.add_channel("#secret", private=True, bot_is_member=False)
    run_check(db, [finding("orders-api")], now=NOW, routing=routes(channel="#secret"))
    await drain_all(notifier, clock)
    click(db, clock, Action.ACKNOWLEDGE)
    await later(notifier, clock)

    assert blocked(db)[0] == ("blocked", "not_in_channel")
    assert slack.channel_messages("#alerts") == []  # the channel exists: nothing to show elsewhere
    slack.invite_bot("#secret")
    await later(notifier, clock)

    [message] = slack.channel_messages("#secret")
    assert message.text.startswith("ACKNOWLEDGED") and incidents(db)[0].message_ts == message.ts
    assert [reply.text for reply in slack.thread("#secret", message.ts)] == ["<@U0BOB> acknowledged this incident."]
    assert {status for status, _ in blocked(db)} == {"done"}


async def test_a_channel_that_does_not_exist_shows_the_incident_in_the_default_channel_until_it_is_created(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW, routing=routes(channel="#db-alerts"))
    await drain_all(notifier, clock)
    await later(notifier, clock)

    [shown] = slack.channel_messages(CHANNEL)
    assert shown.blocks[0]["elements"][0]["text"] == (
        ":warning: Meant for #db-alerts, but Slack answered `channel_not_found`: shown here until it can go there."
    )
    assert [item.status for item in outbox_items(db)] == ["blocked"]
    slack.add_channel("#db-alerts")
    await later(notifier, clock)

    [message] = slack.channel_messages("#db-alerts")
    assert incidents(db)[0].message_ts == message.ts and incidents(db)[0].channel == "C0DBALERTS"
    [copy] = slack.channel_messages(CHANNEL)
    assert copy.text == ":arrow_right: This incident is now in <#C0DBALERTS>."
    assert blocked(db) == [("done", "channel_not_found")]


async def test_an_archived_channel_shows_the_update_in_the_default_channel_until_it_is_unarchived(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api")], now=NOW, routing=routes(channel="#ops"))
    await drain_all(notifier, clock)
    slack.archive_channel("#ops")
    click(db, clock, Action.ACKNOWLEDGE)
    await later(notifier, clock)

    [shown] = slack.channel_messages(CHANNEL)
    assert "Meant for <#C0OPS>, but Slack answered `is_archived`" in shown.blocks[0]["elements"][0]["text"]
    slack.archive_channel("#ops", archived=False)
    await later(notifier, clock)

    [message] = slack.channel_messages("#ops")
    assert message.text.startswith("ACKNOWLEDGED")
    assert [m.text for m in slack.channel_messages(CHANNEL)] == [":arrow_right: This incident is now in <#C0OPS>."]
    assert [reply.text for reply in slack.thread("#ops", message.ts)] == ["<@U0BOB> acknowledged this incident."]


async def test_a_revoked_token_pauses_all_delivery_until_auth_test_passes_then_resumes_in_order(
    db: Database, slack: LocalSlack, notifier: Notifier, clock: FakeClock
) -> None:
    run_check(db, [finding("orders-api"), finding("payments", region="eu-west-1")], now=NOW)
    slack.revoke_token()

    await drain_all(notifier, clock)
    for _ in range(10):
        await later(notifier, clock, minutes=1)

    assert notifier.pause.reason == "token_revoked"
    assert [c.response["error"] for c in slack.calls_to("chat.postMessage")] == ["token_revoked"]
    checks = slack.calls_to("auth.test")
    assert 3 <= len(checks) <= 10 and not any(c.ok for c in checks)  # backing off, not hammering
    assert blocked(db)[0] == ("blocked", "token_revoked")
    slack.restore_token()
    await later(notifier, clock)

    assert notifier.pause.reason is None
    posted = [m.text for m in slack.channel_messages(CHANNEL)]
    assert posted == ["OPEN warning: Alarm orders-api", "OPEN warning: Alarm payments"]
    assert {status for status, _ in blocked(db)} == {"done"}
