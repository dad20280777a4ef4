"""Things that happen to the sandbox estate while the bot watches it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.sandbox.aws.functions import workload_named
from bot.sandbox.aws.lambda_logs import new_request_id, new_stream, write_invocation
from bot.sandbox.aws.lambda_metrics import LambdaMetrics
from bot.sandbox.aws.server import sandbox_client


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
