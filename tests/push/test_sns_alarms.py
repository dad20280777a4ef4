"""A CloudWatch alarm pushed through SNS is the alert the `cloudwatch_alarms` poll makes of the same alarm: one
incident, one Slack message, whichever of push and poll sees it first; a pushed OK resolves that alarm only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.store.models import Alert, IncidentEvent
from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot
from tests.push.alarm_messages import alarm_notification, alarm_state_change_event
from tests.push.fake_sns import FakeSns
from tests.push.sns_bot import alarm_in_moto, deliver, stored

FINGERPRINT = "cloudwatch_alarms:123456789012:us-east-1:orders-api-errors"


@pytest.mark.parametrize("version", ["1", "2"])
async def test_a_signed_alarm_notification_opens_the_incident_the_poll_then_keeps(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle, version: str
) -> None:
    await alarm_in_moto(moto, "orders-api-errors")
    pushed = sns.notification(alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now), version=version)

    assert await deliver(bot, pushed) == 200
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "orders-api-errors" in message.text

    await bot.run_checks()
    bot.clock.advance(seconds=30)
    await bot.drain()
    assert [alert[:2] for alert in (await stored(bot)).alerts] == [(FINGERPRINT, "firing")]
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert len(bot.slack.channel_messages("#alerts")) == 1


async def test_an_alarm_the_poll_saw_first_and_push_confirms_stays_one_message(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle
) -> None:
    await alarm_in_moto(moto, "orders-api-errors")
    await bot.run_checks()
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    pushed = sns.notification(alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now))
    assert await deliver(bot, pushed) == 200
    bot.clock.advance(seconds=30)
    await bot.drain()

    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert bot.slack.calls_to("chat.update") == []
    assert [alert[:2] for alert in (await stored(bot)).alerts] == [(FINGERPRINT, "firing")]


async def test_a_pushed_ok_resolves_its_alarm_and_leaves_the_others_of_the_poll_firing(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle
) -> None:
    await alarm_in_moto(moto, "orders-api-errors")
    await alarm_in_moto(moto, "payments-errors", function="payments")
    await bot.run_checks()
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "2 of 2 alerts firing" in str(message.blocks)

    bot.clock.advance(seconds=30)
    cleared = sns.notification(alarm_notification("orders-api-errors", "OK", at=bot.clock.now))
    assert await deliver(bot, cleared) == 200
    bot.clock.advance(seconds=30)
    await bot.drain()

    [message] = bot.slack.channel_messages("#alerts")
    assert "1 of 2 alerts firing" in str(message.blocks)
    assert [alert[:2] for alert in (await stored(bot)).alerts] == [
        (FINGERPRINT, "resolved"),
        ("cloudwatch_alarms:123456789012:us-east-1:payments-errors", "firing"),
    ]


async def test_a_pushed_alarm_and_its_clear_open_and_resolve_the_incident(bot: RunningBot, sns: FakeSns) -> None:
    fired = sns.notification(alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now))
    assert await deliver(bot, fired) == 200
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    bot.clock.advance(minutes=2)
    cleared = sns.notification(alarm_notification("orders-api-errors", "OK", at=bot.clock.now), version="2")
    assert await deliver(bot, cleared) == 200
    [message] = await bot.wait_for(
        lambda: [m for m in bot.slack.channel_messages("#alerts") if "RESOLVED" in m.blocks[0]["text"]["text"]]
    )
    assert "orders-api-errors" in message.text


async def test_a_clear_older_than_the_alarm_it_follows_changes_nothing(bot: RunningBot, sns: FakeSns) -> None:
    """SNS keeps no order: an OK from before the ALARM that arrives after it is news from the past."""
    earlier = bot.clock.now
    bot.clock.advance(minutes=1)
    fired = sns.notification(alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now))
    assert await deliver(bot, fired) == 200
    late = sns.notification(alarm_notification("orders-api-errors", "OK", at=earlier))
    assert await deliver(bot, late) == 200

    assert [alert[:2] for alert in (await stored(bot)).alerts] == [(FINGERPRINT, "firing")]


async def test_an_eventbridge_alarm_state_change_through_sns_is_the_same_alert(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle
) -> None:
    await alarm_in_moto(moto, "orders-api-errors")
    event = alarm_state_change_event("orders-api-errors", "ALARM", at=bot.clock.now)

    assert await deliver(bot, sns.notification(event, version="2")) == 200
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "orders-api-errors" in message.text
    await bot.run_checks()
    bot.clock.advance(seconds=30)
    await bot.drain()

    assert [alert[:2] for alert in (await stored(bot)).alerts] == [(FINGERPRINT, "firing")]
    assert len(bot.slack.calls_to("chat.postMessage")) == 1


async def test_a_pushed_alarm_carries_the_labels_the_poll_gives_it(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle
) -> None:
    """Routes match and group on labels: a pushed alarm labelled otherwise could land in another incident."""
    pushed = sns.notification(alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now))
    assert await deliver(bot, pushed) == 200
    labels_pushed = await bot.app.services.db.run(lambda s: s.scalars(select(Alert.labels)).one())

    await alarm_in_moto(moto, "orders-api-errors")
    await bot.run_checks()
    labels_polled = await bot.app.services.db.run(lambda s: s.scalars(select(Alert.labels)).one())

    assert labels_pushed == labels_polled
    assert labels_pushed["account_name"] == "default" and labels_pushed["function"] == "orders-api"


async def test_the_incident_timeline_says_which_source_saw_each_change_first(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle
) -> None:
    fired = alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now)
    assert await deliver(bot, sns.notification(fired)) == 200
    await alarm_in_moto(moto, "orders-api-errors")
    await alarm_in_moto(moto, "payments-errors", function="payments")
    await bot.run_checks()
    bot.clock.advance(seconds=30)
    cleared = alarm_notification("payments-errors", "OK", at=bot.clock.now, function="payments")
    assert await deliver(bot, sns.notification(cleared)) == 200

    def timeline(session):  # type: ignore[no-untyped-def]
        return [(e.kind, e.detail) for e in session.scalars(select(IncidentEvent).order_by(IncidentEvent.id))]

    assert await bot.app.services.db.run(timeline) == [
        ("opened", "Alarm orders-api-errors, seen first by push"),
        ("alert_firing", "Alarm payments-errors, seen first by poll"),
        ("alert_resolved", "Alarm payments-errors cleared, seen first by push"),
    ]
