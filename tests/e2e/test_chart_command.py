"""`/boltwatch chart TARGET [METRIC] [SINCE]` through the real request path: a chart of any function, queue,
instance, ECS service or alarm posted in the channel as an image block; a mistake gets a private, specific answer
and nothing else."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import boto3
import pytest
from PIL import Image

from bot.charts.render import HEIGHT_PX, WIDTH_PX
from sandbox.aws.server import MotoHandle
from sandbox.slack.faults import Fault
from tests.e2e.test_check_charts import put_minutes
from tests.e2e.test_incident_charts import put_failing_function_alarm
from tests.harness import RunningBot, base_config, running_bot
from tests.runbook import orders_function


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url, config=base_config(charts={"enabled": True})) as bot:
        yield bot


def chart_posts(bot: RunningBot) -> list[dict[str, Any]]:
    return [
        block
        for message in bot.slack.channel_messages("#alerts")
        for block in message.blocks
        if block.get("type") == "image" and block.get("block_id", "").startswith("chart-")
    ]


def decoded_size(bot: RunningBot, block: dict[str, Any]) -> tuple[int, int]:
    png = bot.slack.file_content(block["slack_file"]["id"])
    assert png is not None
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.size


async def chart(bot: RunningBot, text: str) -> dict[str, Any]:
    """Ask for a chart; the one image block it posts in the channel (after a private "Rendering…")."""
    delivery = await bot.command("/boltwatch", f"chart {text}")
    assert delivery.status == 200
    [block] = await bot.wait_for(lambda: chart_posts(bot))
    [rendering] = [e for e in bot.slack.ephemerals(user="U0ALICE") if e.text.startswith("Rendering")]
    assert "the last" in rendering.text
    assert decoded_size(bot, block) == (WIDTH_PX, HEIGHT_PX)
    return block


def orders_with_metrics(moto: MotoHandle, now: Any) -> None:
    orders_function(moto)
    dimensions = {"FunctionName": "orders"}
    put_minutes(moto, "AWS/Lambda", dimensions, "Invocations", [20, 30, 25, 40], end=now)
    put_minutes(moto, "AWS/Lambda", dimensions, "Errors", [0, 2, 5, 1], end=now)
    put_minutes(moto, "AWS/Lambda", dimensions, "Duration", [120, 480, 260, 300], end=now)


async def test_a_functions_chart_shows_its_standard_set(bot: RunningBot) -> None:
    await asyncio.to_thread(orders_with_metrics, bot.moto, bot.clock.now)

    block = await chart(bot, "orders")

    alt = block["alt_text"]
    assert block["title"]["text"] == "Lambda function orders"
    assert "Invocations (Sum): latest 40 at" in alt and "max 40 at" in alt and "4 points" in alt
    assert "Errors (Sum): latest 1 at" in alt and "max 5 at" in alt
    assert "Throttles (Sum): no data." in alt
    assert "Duration (Average): latest 300 ms at" in alt and "Duration (Maximum): latest 300 ms at" in alt
    assert len(bot.slack.channel_messages("#alerts")) == 1


async def test_one_metric_of_a_function_over_a_day(bot: RunningBot) -> None:
    await asyncio.to_thread(orders_with_metrics, bot.moto, bot.clock.now)

    block = await chart(bot, "orders errors 1d")

    alt = block["alt_text"]
    assert block["title"]["text"] == "Lambda function orders: Errors"
    assert "Errors (Sum): latest" in alt and "Invocations" not in alt
    # A day is drawn in 5-minute periods (at most 500 points a line): the four minutes add up to one or two points.
    assert "max 8 at" in alt or "max 7 at" in alt or "max 6 at" in alt


async def test_an_alarms_chart_is_its_own_metric_and_threshold(bot: RunningBot) -> None:
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)

    block = await chart(bot, "orders-api-errors 1h")

    alt = block["alt_text"]
    assert block["title"]["text"] == "Alarm orders-api-errors: AWS/Lambda Errors"
    assert "Errors (Sum): latest 7 at" in alt
    assert "Threshold ≥3: 2 points breach it." in alt
    assert "In ALARM" in alt


def instance_and_service(moto: MotoHandle, now: Any) -> str:
    ec2 = boto3.client("ec2", endpoint_url=moto.endpoint, region_name="us-east-1")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    put_minutes(moto, "AWS/EC2", {"InstanceId": instance}, "CPUUtilization", [12.5, 97.0, 40.0], end=now)
    ecs = boto3.client("ecs", endpoint_url=moto.endpoint, region_name="us-east-1")
    ecs.create_cluster(clusterName="shop")
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster="shop", serviceName="web", taskDefinition="app", desiredCount=1)
    service = {"ClusterName": "shop", "ServiceName": "web"}
    put_minutes(moto, "AWS/ECS", service, "MemoryUtilization", [55.0, 61.0], end=now)
    return str(instance)


async def test_an_instance_and_an_ecs_service_get_their_standard_sets(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(instance_and_service, bot.moto, bot.clock.now)

    ec2 = await chart(bot, instance)
    assert "CPUUtilization (Average): latest 40% at" in ec2["alt_text"] and "max 97%" in ec2["alt_text"]
    assert "StatusCheckFailed (Maximum): no data." in ec2["alt_text"]

    await bot.command("/boltwatch", "chart shop/web")
    ecs = await bot.wait_for(lambda: chart_posts(bot)[1] if len(chart_posts(bot)) == 2 else None)
    assert ecs["title"]["text"] == "ECS service shop/web"
    assert "CPUUtilization (Average): no data." in ecs["alt_text"]
    assert "MemoryUtilization (Average): latest 61% at" in ecs["alt_text"]


def function_and_queue_named_orders(moto: MotoHandle) -> None:
    orders_function(moto)
    boto3.client("sqs", endpoint_url=moto.endpoint, region_name="us-east-1").create_queue(QueueName="orders")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "TARGET is missing"),
        (
            "ordres",
            "No Lambda function, SQS queue, EC2 instance, ECS service or CloudWatch alarm is called `ordres`"
            " in default / us-east-1. Did you mean `orders`?",
        ),
        ("orders Erors", "Lambda function `orders` has no metric `Erors`. Did you mean `Errors`?"),
        ("orders 3x", "`3x` is not a time span like 15m, 2h, 1d."),
        ("orders 30d", "`30d` is longer than 14d, the longest time span there is."),
        ("orders Errors soon", "`soon` is not a time span like 3h or 1d."),
        ("orders-api-errors Errors", "An alarm's chart is its own metric and threshold: leave out `Errors`."),
        ("both", "`both` names a Lambda function and an SQS queue: write `lambda:both` or `sqs:both`."),
        ("lambda:orders-queue", "No Lambda function is called `orders-queue` in default / us-east-1. Did you mean"),
        ("i-0123456789abcdef0", "is called `i-0123456789abcdef0`"),
        ("shop/none", "is called `shop/none`"),
    ],
)
async def test_a_mistake_gets_a_specific_private_answer_and_nothing_else(
    bot: RunningBot, text: str, problem: str
) -> None:
    await asyncio.to_thread(orders_function, bot.moto)
    await asyncio.to_thread(put_failing_function_alarm, bot.moto.endpoint)
    sqs = boto3.client("sqs", endpoint_url=bot.moto.endpoint, region_name="us-east-1")
    await asyncio.to_thread(sqs.create_queue, QueueName="orders-queue")
    if text == "both":
        await asyncio.to_thread(sqs.create_queue, QueueName="both")
        lambdas = boto3.client("lambda", endpoint_url=bot.moto.endpoint, region_name="us-east-1")
        role = (await asyncio.to_thread(lambdas.get_function, FunctionName="orders"))["Configuration"]["Role"]
        await asyncio.to_thread(lambdas.create_function, FunctionName="both", Runtime="python3.12", Role=role,
                                Handler="h.h", Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18})  # fmt: skip

    await bot.command("/boltwatch", f"chart {text}")
    [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    await asyncio.sleep(0.3)  # time for anything else the command might (wrongly) send
    await bot.drain()

    assert problem in answer.text
    assert len(bot.slack.ephemerals(user="U0ALICE")) == 1  # no "Rendering…"
    assert bot.slack.channel_messages("#alerts") == []
    assert not [call for call in bot.slack.calls if call.method.startswith("files.")]


async def test_a_429_on_the_charts_post_delays_it_and_posts_it_once(bot: RunningBot) -> None:
    refused: list[str] = []

    def refuse_the_first_image(method: str, params: dict[str, Any]) -> Fault | None:
        has_image = any(b.get("type") == "image" for b in params.get("blocks") or [] if isinstance(b, dict))
        if method == "chat.postMessage" and has_image and not refused:
            refused.append(method)
            return Fault(429, "ratelimited", 1)
        return None

    bot.slack.add_fault_hook(refuse_the_first_image)
    await asyncio.to_thread(orders_with_metrics, bot.moto, bot.clock.now)
    await chart(bot, "orders")
    for _ in range(3):
        bot.clock.advance(seconds=5)
        await bot.drain()

    assert refused
    assert len(chart_posts(bot)) == 1
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1


async def test_with_charts_off_the_command_says_so(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:  # the harness's config: charts off
        await bot.command("/boltwatch", "chart orders")
        [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
        assert "Charts are off" in answer.text
