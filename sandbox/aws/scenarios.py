"""Things that happen to the sandbox estate while the bot watches it."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sandbox.aws.functions import workload_named
from sandbox.aws.functions.shop import customer_id, euros, order_id
from sandbox.aws.lambda_logs import new_request_id, new_stream, write_invocation
from sandbox.aws.lambda_metrics import LambdaMetrics
from sandbox.aws.server import sandbox_client


@dataclass(frozen=True)
class BrokenInvocations:
    function: str
    log_group: str
    log_stream: str
    request_ids: tuple[str, ...]


def break_function(
    endpoint: str,
    name: str,
    region: str = "us-east-1",
    *,
    failures: int = 3,
    now: datetime | None = None,
    seed: int | None = None,
) -> BrokenInvocations:
    """Make sandbox function `name` fail `failures` times in the seconds before `now`.

    The failures land in a fresh log stream (a new execution environment, so a cold start) of the function's
    log group, in its runtime's own words, and in its Invocations, Errors and Duration metrics.
    """
    workload = workload_named(name)
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    stream = new_stream(now, rng)
    metrics = LambdaMetrics(name)
    request_ids = tuple(new_request_id(rng) for _ in range(failures))
    for index, request_id in enumerate(request_ids):
        start = now - timedelta(seconds=2 * (failures - index))
        invocation = workload.failure(rng)
        write_invocation(
            stream, workload.platform, invocation, request_id=request_id, start=start, region=region, rng=rng
        )
        metrics.record(start, invocation)
    log_group = f"/aws/lambda/{name}"
    stream.upload(sandbox_client(endpoint, "logs", region), log_group)
    metrics.put(sandbox_client(endpoint, "cloudwatch", region))
    return BrokenInvocations(function=name, log_group=log_group, log_stream=stream.name, request_ids=request_ids)


def drop_dead_letter(endpoint: str, dlq_url: str, region: str = "us-east-1", *, seed: int | None = None) -> str:
    """Put one more failed order into the dead-letter queue; returns the order id."""
    rng = random.Random(seed)
    order = {"orderId": order_id(rng), "customerId": customer_id(rng), "total": euros(rng), "currency": "EUR"}
    sandbox_client(endpoint, "sqs", region).send_message(QueueUrl=dlq_url, MessageBody=json.dumps(order))
    return order["orderId"]


def set_instance_running(endpoint: str, instance_id: str, running: bool, region: str = "us-east-1") -> str:
    """Start or stop an instance and wait until it gets there; returns the state it reached."""
    ec2 = sandbox_client(endpoint, "ec2", region)
    if running:
        ec2.start_instances(InstanceIds=[instance_id])
        waiter = ec2.get_waiter("instance_running")
    else:
        ec2.stop_instances(InstanceIds=[instance_id])
        waiter = ec2.get_waiter("instance_stopped")
    waiter.wait(InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    return "running" if running else "stopped"
