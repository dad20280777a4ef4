"""End to end with moto's SNS: an alarm notification published to the topic is delivered over HTTP (through the
signing relay) and posted to Slack."""

from __future__ import annotations

import asyncio
import json

import boto3

from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot
from tests.push.alarm_messages import alarm_notification
from tests.push.fake_sns import TOPIC, FakeSns
from tests.push.signing_relay import signing_relay


def publish_through_moto(endpoint: str, relay_url: str, message: str) -> None:
    sns = boto3.client("sns", endpoint_url=endpoint, region_name="us-east-1")
    topic = sns.create_topic(Name=TOPIC.rsplit(":", 1)[1])["TopicArn"]
    assert topic == TOPIC
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=relay_url)
    sns.publish(TopicArn=topic, Message=message, Subject='ALARM: "orders-api-errors" in US East (N. Virginia)')


async def test_an_alarm_published_to_the_topic_reaches_slack(bot: RunningBot, sns: FakeSns, moto: MotoHandle) -> None:
    notification = alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now)
    async with signing_relay(sns, bot.base_url) as relay:
        await asyncio.to_thread(publish_through_moto, moto.endpoint, relay.url, json.dumps(notification))
        [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    assert relay.answers == [200]
    assert "orders-api-errors" in message.text
