"""A Live Tail session names its log groups by ARN, in the partition of its region (botocore's partition data):
moto's sandbox Live Tail finds a group only by its exact ARN, as AWS does."""

from __future__ import annotations

import threading

import pytest

from bot.aws.live_tail import TailRequest, tail
from sandbox.aws.server import MotoHandle, sandbox_client

GROUP = "/aws/lambda/orders"


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"), ("cn-north-1", "aws-cn"),
     ("us-gov-west-1", "aws-us-gov"), ("us-east-1", "aws")],
)  # fmt: skip
def test_a_session_streams_a_log_group_of_any_partition(moto: MotoHandle, region: str, partition: str) -> None:
    logs = sandbox_client(moto.endpoint, "logs", region)
    logs.create_log_group(logGroupName=GROUP)
    [group] = logs.describe_log_groups()["logGroups"]
    account = group["arn"].split(":")[4]
    request = TailRequest((GROUP,), account, region, renew_after=30)
    assert request.arn(GROUP) == f"arn:{partition}:logs:{region}:{account}:log-group:{GROUP}"

    stop, started = threading.Event(), threading.Event()

    def on_start() -> None:
        started.set()
        stop.set()

    tail(logs, request, stop=stop, on_start=on_start, on_events=lambda _events: None)  # raises SessionEnded if not
    assert started.is_set()
