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

With `postgres` (`--engine procrastinate`) the bot runs as under the distributed engine: a `--role web` replica takes
the deliveries and a `boltwatch worker` runs the checks, both on a schema of their own in that PostgreSQL. Trials then
alternate between an alarm (observed by the web replica, as above) and an EC2 instance that AWS stops: its
"EC2 Instance State-change Notification" (EventBridge through SNS, published by the bench as EventBridge would)
makes the web replica queue an `ec2_status` run of its target, which the worker takes. `ec2_status` also runs every
30 s over four regions, a tick's jobs spread over its first 15 s: us-east-1's, the last of four, waits 11.25 s of
every 30. An event in that time finds it waiting, and the figures say how often that happened.
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

from sqlalchemy import text

from bench.common import environment, postgres_schema
from bot.app import create_app
from bot.aws.sessions import AwsTarget
from bot.config import settings_from_mapping
from bot.worker import WorkerProcess
from sandbox.aws.alarms import publish_alarm_actions
from sandbox.aws.ec2_events import launch, state_change, stop_for_retirement
from sandbox.aws.fake_sns import fake_sns, make_keys
from sandbox.aws.server import SANDBOX_ACCOUNT_ID, MotoHandle, sandbox_client, start_moto
from sandbox.aws.sns_relay import signing_relay
from sandbox.slack import ApiCall, LocalSlack
from scheduler.engines.distributed import target_key

REGION = "us-east-1"
CHANNEL = "#alerts"
TOPIC_NAME = "boltwatch-alarms"
NOTE = (
    "moto does not publish alarm state changes to SNS alarm actions: the bench publishes CloudWatch's notification "
    "to the alarm's topic right after set_alarm_state (counted in the figures)"
)


DISTRIBUTED_REGIONS = ["ap-northeast-1", "ap-southeast-2", "eu-west-1", REGION]
"""Sorted: a tick's job for REGION is the last of four, due 3/4 of the 30 s spread after the tick."""
WAITING_JOB = text(
    "SELECT EXTRACT(EPOCH FROM scheduled_at - now()) FROM procrastinate_jobs"
    " WHERE queueing_lock = :lock AND status = 'todo' AND scheduled_at > now()"
)
"""Seconds until the job waiting under a queueing lock is due; none when no job waits for a later time."""


def config(topic: str, ca_bundle: Path, *, distributed: bool = False) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "slack": {"channel": CHANNEL},
        "aws": {"regions": [REGION], "accounts": [{"name": "default", "id": SANDBOX_ACCOUNT_ID}], "max_attempts": 1},
        "checks": [{"type": "cloudwatch_alarms", "name_prefix": "bench-push-"}],
        "routes": [{"name": "detect", "channel": CHANNEL, "group_by": ["check", "alarm", "instance"]}],
        "push": {"sns": {"topics": [topic], "cert_hosts": ["127.0.0.1"], "ca_bundle": str(ca_bundle)}},
    }
    if distributed:
        settings["aws"]["regions"] = DISTRIBUTED_REGIONS
        settings["checks"].append({"type": "ec2_status", "every": "30s"})
        settings["scheduler"] = {"engine": "procrastinate"}
    return settings


@dataclass(frozen=True)
class PushTrial:
    number: int
    alarm: str
    """The alarm's name, or the instance's id (kind "ec2")."""
    set_at: float
    """Wall time just before set_alarm_state was called."""
    delivered_at: float
    """When the publish returned: moto delivers to HTTP subscriptions before it answers, and the bot answers SNS
    once the alert is recorded (the post is still to come)."""
    posted_at: float
    kind: str = "alarm"
    """alarm, or ec2: an instance's state change, which runs ec2_status as a job (distributed engine)."""
    waiting: float | None = None
    """ec2: the seconds until the target's waiting job was due when the event was published (None: none waited)."""

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


def instance_stopped(moto: MotoHandle, topic: str, instance: str) -> tuple[float, float]:
    """AWS stops `instance` (a scheduled retirement), then EventBridge publishes its state change to `topic`, as an
    EventBridge rule with an SNS target does; (before the stop, after the publish)."""
    started = time.time()
    stop_for_retirement(moto.endpoint, instance, account=SANDBOX_ACCOUNT_ID, region=REGION)
    event = state_change(instance, "stopped", account=SANDBOX_ACCOUNT_ID, region=REGION)
    sandbox_client(moto.endpoint, "sns", REGION).publish(TopicArn=topic, Message=json.dumps(event))
    return started, time.time()


def post_naming(slack: LocalSlack, alarm: str) -> ApiCall | None:
    for call in slack.calls_to("chat.postMessage"):
        if call.ok and "thread_ts" not in call.params and alarm in json.dumps(call.params):
            return call
    return None


async def measure_push(
    trials: int, warmup: int, rng: random.Random, report: Callable[[PushTrial, int], None], *,
    postgres: str | None = None,
) -> list[PushTrial]:  # fmt: skip
    """The trials, warm-up ones dropped. With `postgres`, the distributed engine (a web replica and a worker) on a
    schema of its own there, and trials alternate between an alarm and an EC2 state change."""
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
        database = f"sqlite:///{folder / 'push.db'}"
        if postgres is not None:
            database = stack.enter_context(postgres_schema(postgres, "bw_detect"))
        env = slack.environment() | {"BOLTWATCH_DATABASE_URL": database}
        topic = f"arn:aws:sns:{REGION}:{SANDBOX_ACCOUNT_ID}:{TOPIC_NAME}"
        settings = settings_from_mapping(config(topic, folder / "ca.pem", distributed=postgres is not None), env)
        app = create_app(settings, aws_endpoint_url=moto.endpoint, background=True,
                         role="all" if postgres is None else "web")  # fmt: skip
        port = await app.start(host="127.0.0.1", port=0)
        stack.push_async_callback(app.stop)
        if postgres is not None:
            worker = WorkerProcess(settings, name="bench-worker", concurrency=4, aws_endpoint_url=moto.endpoint)
            await worker.start(host="127.0.0.1", port=0)
            stack.push_async_callback(worker.stop)
        relay = await stack.enter_async_context(signing_relay(sns, f"http://127.0.0.1:{port}", sns_api=moto.endpoint))
        await asyncio.to_thread(create_topic, moto, relay.url)
        if await relay.wait_for_answers(1) != [200]:
            raise RuntimeError(f"the bot did not confirm its subscription: {relay.answers}")
        ec2_lock = target_key("ec2_status", AwsTarget("default", REGION))
        for number in range(warmup + trials):
            waiting: float | None = None
            if postgres is not None and number % 2:
                # At random points of the 30 s ticks, so that some events come while the target's job waits.
                await asyncio.sleep(rng.uniform(0.5, 4.0))
                kind, name = "ec2", await asyncio.to_thread(launch, moto.endpoint, REGION)
                due = await app.services.db.run(lambda s: s.scalar(WAITING_JOB, {"lock": ec2_lock}))
                waiting = None if due is None else float(due)
                set_at, delivered_at = await asyncio.to_thread(instance_stopped, moto, topic, name)
            else:
                await asyncio.sleep(rng.uniform(0.2, 1.0))
                kind, name = "alarm", f"bench-push-{number:03d}"  # fixed width: no alarm's name is inside another's
                await asyncio.to_thread(put_alarm, moto, name, topic)
                set_at, delivered_at = await asyncio.to_thread(fire, moto, name)
            call = await slack.wait_for(lambda n=name: post_naming(slack, n), timeout=60)  # type: ignore[misc]
            if number >= warmup:
                measured.append(PushTrial(number, name, set_at, delivered_at, call.time, kind, waiting))
                report(measured[-1], len(measured))
        if any(status != 200 for status in relay.answers):
            raise RuntimeError(f"the bot refused deliveries: {relay.answers}")
    return measured
