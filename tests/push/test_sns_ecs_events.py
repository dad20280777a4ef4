"""ECS events EventBridge delivers through SNS run `ecs_services` for their account and region now: a task that
stopped leaving its service short opens the service's alert, and a service back at its desired count resolves it,
each credited to push in the incident timeline.

The events are in the shapes the ECS developer guide documents ("Amazon ECS events": the task state change event,
whose `detail` is the Task object of DescribeTasks, here of a stopped task of a service; the service steady state
event). moto gives a new service `MOTO_ECS_SERVICE_RUNNING` running tasks, read from this process's environment
(moto runs in it), and update_service(desiredCount=n) makes n run: that is how ECS's state is set here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from sandbox.aws.fake_sns import FakeSns
from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, running_bot
from tests.push.sns_bot import deliver, push_config, stored, timeline

ACCOUNT = "123456789012"
CLUSTER_ARN = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/shop"
FINGERPRINT = f"ecs_services:{ACCOUNT}:us-east-1:shop:orders-api"


def task_stopped(task_id: str) -> dict[str, Any]:
    """ECS Task State Change: a task of service orders-api stopped because its essential container exited."""
    task_arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/shop/{task_id}"
    return {
        "version": "0", "id": "3317b2af-7005-947d-b652-f55e762e571a", "detail-type": "ECS Task State Change",
        "source": "aws.ecs", "account": ACCOUNT, "time": "2026-03-02T09:00:58Z", "region": "us-east-1",
        "resources": [task_arn],
        "detail": {
            "availabilityZone": "us-east-1a", "clusterArn": CLUSTER_ARN,
            "containers": [{
                "containerArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:container/shop/{task_id}/5d6c4c68",
                "exitCode": 137, "lastStatus": "STOPPED", "name": "app", "image": "nginx", "taskArn": task_arn,
                "cpu": "0",
            }],
            "createdAt": "2026-03-02T08:12:34.402Z", "launchType": "FARGATE", "cpu": "256", "memory": "512",
            "desiredStatus": "STOPPED", "group": "service:orders-api", "lastStatus": "STOPPED",
            "overrides": {"containerOverrides": [{"name": "app"}]},
            "connectivity": "CONNECTED", "connectivityAt": "2026-03-02T08:12:38.453Z",
            "pullStartedAt": "2026-03-02T08:12:52.103Z", "pullStoppedAt": "2026-03-02T08:12:55.103Z",
            "startedAt": "2026-03-02T08:12:58.103Z", "startedBy": "ecs-svc/9223370556150183303",
            "stopCode": "EssentialContainerExited", "stoppedReason": "Essential container in task exited",
            "stoppingAt": "2026-03-02T09:00:41.210Z", "executionStoppedAt": "2026-03-02T09:00:45.016Z",
            "stoppedAt": "2026-03-02T09:00:58.103Z", "updatedAt": "2026-03-02T09:00:58.103Z",
            "taskArn": task_arn, "taskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/app:1",
            "version": 5, "platformVersion": "1.4.0",
        },
    }  # fmt: skip


def service_steady_state() -> dict[str, Any]:
    """ECS Service Action SERVICE_STEADY_STATE: orders-api runs its desired count of healthy tasks."""
    return {
        "version": "0", "id": "af3c496d-f4a8-65d1-70f4-a69d52e9b584", "detail-type": "ECS Service Action",
        "source": "aws.ecs", "account": ACCOUNT, "time": "2026-03-02T09:05:22Z", "region": "us-east-1",
        "resources": [f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/shop/orders-api"],
        "detail": {
            "eventType": "INFO", "eventName": "SERVICE_STEADY_STATE", "clusterArn": CLUSTER_ARN,
            "createdAt": "2026-03-02T09:05:22.695Z",
        },
    }  # fmt: skip


def ecs_service(endpoint: str, *, desired: int) -> None:
    """Service shop/orders-api, running as many tasks as MOTO_ECS_SERVICE_RUNNING says."""
    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1")
    ecs.create_cluster(clusterName="shop")
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}])
    ecs.create_service(cluster="shop", serviceName="orders-api", taskDefinition="app", desiredCount=desired)


def scaled_back(endpoint: str, *, desired: int) -> None:
    """ECS replaced the stopped tasks: all `desired` run (moto runs what update_service asks for)."""
    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1")
    ecs.update_service(cluster="shop", service="orders-api", desiredCount=desired)


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """ecs_services polled every hour and the scheduler off: no poll runs unless a test runs one."""
    config = push_config(tmp_path, checks=[{"type": "ecs_services", "every": "1h"}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as running:
        yield running


async def alerts(bot: RunningBot) -> list[tuple[str, str]]:
    return [(fingerprint, status) for fingerprint, status, _seen, _count in (await stored(bot)).alerts]


async def test_a_stopped_task_leaving_its_service_short_opens_the_alert_credited_to_push(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")  # one of two tasks left after the stop
    await asyncio.to_thread(ecs_service, moto.endpoint, desired=2)

    assert await deliver(bot, sns.notification(task_stopped("c13b4cb40f1f4fe4a2971f76ae5a47ad"))) == 200
    await bot.app.sns.rechecks.wait()
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    assert "shop/orders-api: 1 of 2 tasks running" in message.text
    assert await alerts(bot) == [(FINGERPRINT, "firing")]
    assert await timeline(bot) == [("opened", "shop/orders-api: 1 of 2 tasks running, seen first by push")]
    assert (await stored(bot)).deliveries == [("event: ECS Task State Change", "running ecs_services now")]


async def test_a_service_steady_state_resolves_the_alert_the_poll_opened_credited_to_push(
    bot: RunningBot, sns: FakeSns, moto: MotoHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "0")
    await asyncio.to_thread(ecs_service, moto.endpoint, desired=2)
    await bot.run_checks()
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    await asyncio.to_thread(scaled_back, moto.endpoint, desired=2)

    bot.clock.advance(minutes=5)
    assert await deliver(bot, sns.notification(service_steady_state(), version="2")) == 200
    await bot.app.sns.rechecks.wait()
    bot.clock.advance(seconds=30)
    [message] = await bot.wait_for(
        lambda: [m for m in bot.slack.channel_messages("#alerts") if "RESOLVED" in m.blocks[0]["text"]["text"]]
    )

    assert "shop/orders-api" in message.text
    assert await alerts(bot) == [(FINGERPRINT, "resolved")]
    assert await timeline(bot) == [
        ("opened", "shop/orders-api: 0 of 2 tasks running, seen first by poll"),
        ("resolved", "all alerts cleared, the last (shop/orders-api: 0 of 2 tasks running) seen first by push"),
    ]
    assert (await stored(bot)).deliveries == [("event: ECS Service Action", "running ecs_services now")]
