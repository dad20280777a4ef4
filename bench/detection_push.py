"""Time to detect by push: `set_alarm_state` on a moto alarm → the alert's post at the local Slack.

The alarm's action is an SNS topic in moto; the topic has an HTTP subscription to the signing relay (the sandbox's
fake SNS: moto signs with a key nobody can fetch, the relay signs each delivery again with a local key whose
certificate the fake SNS serves over HTTPS on 127.0.0.1) which forwards it to the bot's `POST /aws/sns`. The bot
first confirms the subscription (moto sends the confirmation; the fake SNS passes the bot's GET on to moto). The bot
verifies the signature, fetches the certificate (once, then cached), and observes the alarm through the incidents
path; the outbox drainer posts it.

moto (5.2) does not publish an alarm's state change to its SNS actions (CloudWatch does, within seconds): right
after `set_alarm_state` returns, the bench publishes the notification CloudWatch would send to the alarm's topic
itself (`sandbox.aws.alarms.publish_alarm_actions`), and that time is part of every figure.
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import environment
from bot.app import create_app
from bot.config import settings_from_mapping
from sandbox.aws.alarms import publish_alarm_actions
from sandbox.aws.fake_sns import fake_sns, make_keys
from sandbox.aws.server import SANDBOX_ACCOUNT_ID, MotoHandle, sandbox_client, start_moto
from sandbox.aws.sns_relay import signing_relay
from sandbox.slack import ApiCall, LocalSlack

REGION = "us-east-1"
CHANNEL = "#alerts"
TOPIC_NAME = "boltwatch-alarms"
NOTE = (
    "moto does not publish alarm state changes to SNS alarm actions: the bench publishes CloudWatch's notification "
    "to the alarm's topic right after set_alarm_state (counted in the figures)"
)


def config(topic: str, ca_bundle: Path) -> dict[str, Any]:
    return {
        "slack": {"channel": CHANNEL},
        "aws": {"regions": [REGION], "accounts": [{"name": "default", "id": SANDBOX_ACCOUNT_ID}], "max_attempts": 1},
        "checks": [{"type": "cloudwatch_alarms", "name_prefix": "bench-push-"}],
        "routes": [{"name": "detect", "channel": CHANNEL, "group_by": ["check", "alarm"]}],
        "push": {"sns": {"topics": [topic], "cert_hosts": ["127.0.0.1"], "ca_bundle": str(ca_bundle)}},
    }


@dataclass(frozen=True)
class PushTrial:
    number: int
    alarm: str
    set_at: float
    """Wall time just before set_alarm_state was called."""
    delivered_at: float
    """When the publish returned: moto delivers to HTTP subscriptions before it answers, and the bot answers SNS
    once the alert is recorded (the post is still to come)."""
    posted_at: float

    @property
    def seconds(self) -> float:
        return self.posted_at - self.set_at

    @property
    def to_delivery(self) -> float:
        return self.delivered_at - self.set_at


def create_topic(moto: MotoHandle, relay_url: str) -> str:
    sns = sandbox_client(moto.endpoint, "sns", REGION)
    topic = str(sns.create_topic(Name=TOPIC_NAME)["TopicArn"])
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=relay_url)
    return topic


def put_alarm(moto: MotoHandle, name: str, topic: str) -> None:
    sandbox_client(moto.endpoint, "cloudwatch", REGION).put_metric_alarm(
        AlarmName=name, AlarmDescription=f"{name} is failing", Namespace="AWS/Lambda", MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": name}], Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic],
    )  # fmt: skip


def fire(moto: MotoHandle, name: str) -> tuple[float, float]:
    """set_alarm_state to ALARM, then what CloudWatch would publish; (before the call, after the publish)."""
    started = time.time()
    sandbox_client(moto.endpoint, "cloudwatch", REGION).set_alarm_state(
        AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [5.0] >= 1.0"
    )
    publish_alarm_actions(moto.endpoint, name, account_id=SANDBOX_ACCOUNT_ID, region=REGION)
    return started, time.time()


def post_naming(slack: LocalSlack, alarm: str) -> ApiCall | None:
    for call in slack.calls_to("chat.postMessage"):
        if call.ok and "thread_ts" not in call.params and alarm in json.dumps(call.params):
            return call
    return None


async def measure_push(
    trials: int, warmup: int, rng: random.Random, report: Callable[[PushTrial, int], None]
) -> list[PushTrial]:
    keys = await asyncio.to_thread(make_keys)
    measured: list[PushTrial] = []
    async with AsyncExitStack() as stack:
        moto = await asyncio.to_thread(start_moto)
        stack.push_async_callback(asyncio.to_thread, moto.stop)
        stack.enter_context(environment(moto.environment(REGION)))
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-detection-push-")))
        slack = await stack.enter_async_context(LocalSlack())
        slack.add_channel(CHANNEL)
        sns = await stack.enter_async_context(fake_sns(keys, folder))
        env = slack.environment() | {"BOLTWATCH_DATABASE_URL": f"sqlite:///{folder / 'push.db'}"}
        topic = f"arn:aws:sns:{REGION}:{SANDBOX_ACCOUNT_ID}:{TOPIC_NAME}"
        app = create_app(settings_from_mapping(config(topic, folder / "ca.pem"), env), aws_endpoint_url=moto.endpoint,
                         background=True)  # fmt: skip
        port = await app.start(host="127.0.0.1", port=0)
        stack.push_async_callback(app.stop)
        relay = await stack.enter_async_context(signing_relay(sns, f"http://127.0.0.1:{port}", sns_api=moto.endpoint))
        await asyncio.to_thread(create_topic, moto, relay.url)
        if await relay.wait_for_answers(1) != [200]:
            raise RuntimeError(f"the bot did not confirm its subscription: {relay.answers}")
        for number in range(warmup + trials):
            await asyncio.sleep(rng.uniform(0.2, 1.0))
            alarm = f"bench-push-{number:03d}"  # fixed width: no alarm's name is inside another's
            await asyncio.to_thread(put_alarm, moto, alarm, topic)
            set_at, delivered_at = await asyncio.to_thread(fire, moto, alarm)
            call = await slack.wait_for(lambda a=alarm: post_naming(slack, a), timeout=30)  # type: ignore[misc]
            if number >= warmup:
                measured.append(PushTrial(number, alarm, set_at, delivered_at, call.time))
                report(measured[-1], len(measured))
        if any(status != 200 for status in relay.answers):
            raise RuntimeError(f"the bot refused deliveries: {relay.answers}")
    return measured
