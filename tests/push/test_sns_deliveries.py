"""Verified deliveries: taken in once by MessageId (SNS retries, and every replica shares the record), subscriptions
confirmed only when everything checks out, and what the bot does not act on recorded and answered 200."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws.fake_sns import TOPIC, FakeSns
from sandbox.aws.server import MotoHandle
from scheduler.push.sns_receiver import IGNORED
from tests.harness import FakeClock, RunningBot, running_bot
from tests.push.alarm_messages import alarm_notification, alarm_state_change_event
from tests.push.sns_bot import deliver, metrics, push_config, stored


@pytest.mark.parametrize("version", ["1", "2"])
async def test_an_sns_retry_is_answered_and_changes_nothing(bot: RunningBot, sns: FakeSns, version: str) -> None:
    pushed = sns.notification(alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now), version=version)
    assert await deliver(bot, pushed) == 200
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    before = await stored(bot)

    bot.clock.advance(seconds=30)
    assert await deliver(bot, pushed) == 200
    await bot.drain()

    assert await stored(bot) == before  # not even the alert's last_seen moved
    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert 'boltwatch_sns_deliveries_total{outcome="duplicate"} 1.0' in await metrics(bot)


async def test_a_retry_reaching_another_replica_changes_nothing(
    moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path
) -> None:
    clock = FakeClock()
    config = push_config(tmp_path)
    async with (
        running_bot(moto=moto, database_url=database_url, config=config, clock=clock, holder="a") as one,
        running_bot(moto=moto, database_url=database_url, config=config, clock=clock, holder="b") as other,
    ):
        pushed = sns.notification(alarm_notification("orders-api-errors", "ALARM", at=clock.now))
        assert await deliver(one, pushed) == 200
        before = await stored(one)
        clock.advance(seconds=30)
        assert await deliver(other, pushed) == 200
        assert await stored(other) == before
        assert 'boltwatch_sns_deliveries_total{outcome="duplicate"} 1.0' in await metrics(other)


async def test_a_subscription_confirmation_gets_its_url_once(
    bot: RunningBot, sns: FakeSns, caplog: pytest.LogCaptureFixture
) -> None:
    confirmation = sns.confirmation()
    with caplog.at_level(logging.INFO, logger="scheduler.push"):
        assert await deliver(bot, confirmation) == 200
        assert await deliver(bot, confirmation) == 200

    assert sns.confirmations == [confirmation["Token"]]
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("scheduler.push")]
    assert "confirmed this endpoint's subscription" in lines[0] and "seen before" in lines[1]
    assert not any(confirmation["Token"] in line for line in lines)  # the token confirms a subscription: a secret


def _forged_token(sns: FakeSns, version: str) -> dict[str, Any]:
    return sns.confirmation(version=version) | {"Token": "0" * 32}


def _url_elsewhere(sns: FakeSns, version: str) -> dict[str, Any]:
    return _confirm_url(sns, version, base=f"https://localhost:{sns.port}")


def _url_over_http(sns: FakeSns, version: str) -> dict[str, Any]:
    return _confirm_url(sns, version, base=f"http://127.0.0.1:{sns.port}")


def _other_path(sns: FakeSns, version: str) -> dict[str, Any]:
    return _confirm_url(sns, version, path="/confirm")


def _other_action(sns: FakeSns, version: str) -> dict[str, Any]:
    return _confirm_url(sns, version, action="Unsubscribe")


def _other_topic(sns: FakeSns, version: str) -> dict[str, Any]:
    return _confirm_url(sns, version, topic=TOPIC.replace("boltwatch-alarms", "someone-elses"))


def _other_token(sns: FakeSns, version: str) -> dict[str, Any]:
    return _confirm_url(sns, version, token="f" * 32)


def _more_in_the_query(sns: FakeSns, version: str) -> dict[str, Any]:
    return _confirm_url(sns, version, extra="&Action=Unsubscribe")


def _confirm_url(
    sns: FakeSns,
    version: str,
    *,
    base: str | None = None,
    path: str = "/",
    action: str = "ConfirmSubscription",
    topic: str = TOPIC,
    token: str | None = None,
    extra: str = "",
) -> dict[str, Any]:
    """A signed confirmation whose SubscribeURL is SNS's ConfirmSubscription call but for one part."""
    own = "a" * 32
    url = f"{base or sns.base_url}{path}?Action={action}&TopicArn={topic}&Token={token or own}{extra}"
    return sns.confirmation(subscribe_url=url, token=own, version=version)


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    "forgery",
    [_forged_token, _url_elsewhere, _url_over_http, _other_path, _other_action, _other_topic, _other_token,
     _more_in_the_query],
)  # fmt: skip
async def test_a_confirmation_that_does_not_check_out_gets_nothing(
    bot: RunningBot, sns: FakeSns, forgery: Any, version: str
) -> None:
    assert await deliver(bot, forgery(sns, version)) == 403
    assert sns.confirmations == []
    assert (await stored(bot)).deliveries == []


async def test_a_confirmation_url_written_as_sns_writes_it_is_confirmed(bot: RunningBot, sns: FakeSns) -> None:
    """SNS leaves the topic's colons as they are; encoded, they are the same TopicArn."""
    own = "b" * 32
    url = f"{sns.base_url}/?Action=ConfirmSubscription&TopicArn={TOPIC.replace(':', '%3A')}&Token={own}"
    assert await deliver(bot, sns.confirmation(subscribe_url=url, token=own)) == 200
    assert sns.confirmations == [own]


async def test_an_unsubscribe_confirmation_is_logged_and_nothing_else(
    bot: RunningBot, sns: FakeSns, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="scheduler.push"):
        assert await deliver(bot, sns.confirmation(kind="UnsubscribeConfirmation")) == 200
    assert sns.confirmations == []
    assert any("unsubscribed" in r.getMessage() for r in caplog.records if r.name.startswith("scheduler.push"))
    assert (await stored(bot)).deliveries == [("unsubscribe confirmation", "logged")]


EC2_STATE_CHANGE = {
    "version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "account": "123456789012",
    "time": "2026-03-02T09:00:00Z", "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"],
    "detail": {"instance-id": "i-0123456789abcdef0", "state": "stopped"},
}  # fmt: skip
NOW = datetime.now(UTC)


@pytest.mark.parametrize(
    ("message", "recorded"),
    [
        ("a person wrote this", ("unknown", IGNORED)),
        (
            EC2_STATE_CHANGE,
            ("event: EC2 Instance State-change Notification", "ignored: no ec2_status check is configured"),
        ),
        (
            EC2_STATE_CHANGE | {"detail-type": "EC2 Spot Instance Interruption Warning"},
            ("event: EC2 Spot Instance Interruption Warning", IGNORED),
        ),
        (
            alarm_notification("orders-api-errors", "ALARM", at=NOW, account="999999999999"),
            ("alarm notification", "ignored: account 999999999999 is not one of aws.accounts"),
        ),
        (
            alarm_state_change_event("orders-api-errors", "ALARM", at=NOW, account="999999999999"),
            ("event: CloudWatch Alarm State Change", "ignored: account 999999999999 is not one of aws.accounts"),
        ),
        (
            alarm_notification("orders-api-errors", "ALARM", at=NOW, region="eu-west-1",
                               region_name="EU (Ireland)"),
            ("alarm notification", "ignored: region eu-west-1 is not one of aws.regions"),
        ),
    ],
)  # fmt: skip
async def test_what_it_does_not_act_on_is_recorded_and_ignored(
    bot: RunningBot, sns: FakeSns, message: Any, recorded: tuple[str, str]
) -> None:
    assert await deliver(bot, sns.notification(message)) == 200
    await bot.drain()

    held = await stored(bot)
    assert (held.alerts, held.incidents, held.deliveries) == ([], [], [recorded])
    assert bot.slack.channel_messages("#alerts") == []


async def test_an_alarm_outside_the_configured_checks_prefix_is_ignored(
    moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path
) -> None:
    """Its poll would resolve what push opened, every interval."""
    config = push_config(tmp_path, checks=[{"type": "cloudwatch_alarms", "every": "1h", "name_prefix": "prod-"}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        for name in ("staging-errors", "prod-errors"):
            assert await deliver(bot, sns.notification(alarm_notification(name, "ALARM", at=bot.clock.now))) == 200
        assert [a[0] for a in (await stored(bot)).alerts] == ["cloudwatch_alarms:123456789012:us-east-1:prod-errors"]


async def test_a_confirmation_that_fails_says_so_without_its_token(
    bot: RunningBot, sns: FakeSns, caplog: pytest.LogCaptureFixture
) -> None:
    sns.confirmation_status = 404  # SNS knows no such subscription
    confirmation = sns.confirmation()
    secret = confirmation["Token"]
    with caplog.at_level(logging.INFO, logger="scheduler.push"):
        assert await deliver(bot, confirmation) == 502
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("scheduler.push")]
    assert "could not confirm the subscription" in line and "HTTP 404" in line
    assert secret not in line
    assert (await stored(bot)).deliveries == []  # SNS may send it again; it is confirmed then
