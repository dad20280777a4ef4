"""End to end with moto's SNS delivering over HTTP (through the signing relay): the bot confirms its subscription
from the SubscriptionConfirmation moto sends, moto shows it confirmed, and an alarm notification published to the
topic then reaches Slack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import boto3

from sandbox.aws.fake_sns import TOPIC, FakeSns
from sandbox.aws.server import MotoHandle
from sandbox.aws.sns_relay import Relay, signing_relay
from tests.harness import RunningBot
from tests.push.alarm_messages import alarm_notification

SUBJECT = 'ALARM: "orders-api-errors" in US East (N. Virginia)'


def sns_client(endpoint: str) -> Any:
    return boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1")


def subscribe(endpoint: str, relay_url: str, version: str = "1") -> str:
    """Subscribe the relay to the topic; the ARN of the subscription (pending until the bot confirms it)."""
    sns = sns_client(endpoint)
    topic = sns.create_topic(Name=TOPIC.rsplit(":", 1)[1], Attributes={"SignatureVersion": version})["TopicArn"]
    assert topic == TOPIC
    answer = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=relay_url, ReturnSubscriptionArn=True)
    return str(answer["SubscriptionArn"])


def subscription_state(endpoint: str, arn: str) -> tuple[str, str]:
    """(PendingConfirmation, the SubscriptionArn ListSubscriptionsByTopic shows)."""
    sns = sns_client(endpoint)
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    [listed] = sns.list_subscriptions_by_topic(TopicArn=TOPIC)["Subscriptions"]
    return attributes["PendingConfirmation"], listed["SubscriptionArn"]


def publish(endpoint: str, message: str) -> None:
    sns_client(endpoint).publish(TopicArn=TOPIC, Message=message, Subject=SUBJECT)


async def confirmed_subscription(bot: RunningBot, sns: FakeSns, moto: MotoHandle, relay: Relay) -> str:
    """Subscribe through moto and wait until the bot has answered the confirmation moto sent."""
    arn = await asyncio.to_thread(subscribe, moto.endpoint, relay.url)
    await relay.wait_for_answers(1)
    return arn


async def test_the_bot_confirms_its_subscription_through_moto_then_alarms_reach_slack(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle
) -> None:
    notification = alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now)
    async with signing_relay(sns, bot.base_url, sns_api=moto.endpoint) as relay:
        arn = await confirmed_subscription(bot, sns, moto, relay)
        state = await asyncio.to_thread(subscription_state, moto.endpoint, arn)
        await asyncio.to_thread(publish, moto.endpoint, json.dumps(notification))
        [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    assert list(zip(relay.kinds, relay.answers, strict=True)) == [
        ("SubscriptionConfirmation", 200),
        ("Notification", 200),
    ]
    assert len(sns.confirmations) == 1
    assert state == ("false", arn)
    assert "orders-api-errors" in message.text


async def test_an_unconfirmed_subscription_gets_no_alarms(bot: RunningBot, sns: FakeSns, moto: MotoHandle) -> None:
    """Without the fake SNS passing the bot's confirmation on to moto, the bot's GET fails: moto keeps the
    subscription pending and publishes nothing to it."""
    notification = alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now)
    async with signing_relay(sns, bot.base_url) as relay:
        arn = await confirmed_subscription(bot, sns, moto, relay)
        state = await asyncio.to_thread(subscription_state, moto.endpoint, arn)
        await asyncio.to_thread(publish, moto.endpoint, json.dumps(notification))

    assert relay.kinds == ["SubscriptionConfirmation"]
    assert relay.answers == [403]  # a SubscribeURL that is not https is not fetched
    assert state == ("true", "PendingConfirmation")
