"""Time to detect by Live Tail: `put_log_events` into a moto log group → the alert's post at the local Slack, with a
`log_errors` check in `mode: live`.

The check's interval is an hour, so no scheduled read can be what finds a trial's error: only the Live Tail session
(moto taught to stream it, sandbox/aws/live_tail.py, which sends an update a second as CloudWatch does) delivers it,
the check's code decides it, and the outbox drainer posts it. A trial's figure includes the wait for the next
one-second update, as on AWS.
"""

from __future__ import annotations

import asyncio
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
from bot.aws.sessions import AwsTarget
from bot.config import settings_from_mapping
from sandbox.aws.server import SANDBOX_ACCOUNT_ID, MotoHandle, sandbox_client, start_moto
from sandbox.slack import ApiCall, LocalSlack

REGION = "us-east-1"
CHANNEL = "#alerts"
LOG_GROUP = "/aws/lambda/bench-live"
LOG_STREAM = "2026/12/05/[$LATEST]0123456789abcdef0123456789abcdef"
NOTE = "moto streams Live Tail with one update a second, as CloudWatch does; the check's interval is 1 h"


def config() -> dict[str, Any]:
    check = {"type": "log_errors", "every": "1h", "log_groups": ["/aws/lambda/*"], "notify": "all", "mode": "live"}
    return {
        "slack": {"channel": CHANNEL},
        "aws": {"regions": [REGION], "accounts": [{"name": "default", "id": SANDBOX_ACCOUNT_ID}], "max_attempts": 1},
        "checks": [check],
        "routes": [{"name": "detect", "channel": CHANNEL, "group_by": ["check", "error_group"]}],
    }


@dataclass(frozen=True)
class LiveTrial:
    number: int
    marker: str
    put_at: float
    posted_at: float

    @property
    def seconds(self) -> float:
        return self.posted_at - self.put_at


def put_error(moto: MotoHandle, marker: str, message: str) -> float:
    logs = sandbox_client(moto.endpoint, "logs", REGION)
    event = {"timestamp": int(time.time() * 1000), "message": message}
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=LOG_STREAM, logEvents=[event])
    return time.time()


def create_group(moto: MotoHandle) -> None:
    logs = sandbox_client(moto.endpoint, "logs", REGION)
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=LOG_STREAM)


async def measure_live(
    trials: int,
    warmup: int,
    rng: random.Random,
    message: Callable[[str, int], str],
    posted: Callable[[LocalSlack, str], ApiCall | None],
    report: Callable[[LiveTrial, int], None],
) -> list[LiveTrial]:
    measured: list[LiveTrial] = []
    async with AsyncExitStack() as stack:
        moto = await asyncio.to_thread(start_moto)
        stack.push_async_callback(asyncio.to_thread, moto.stop)
        await asyncio.to_thread(moto.reset)  # moto's state is the process's: the poll run's log group is still there
        stack.enter_context(environment(moto.environment(REGION)))
        await asyncio.to_thread(create_group, moto)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-detection-live-")))
        slack = await stack.enter_async_context(LocalSlack())
        slack.add_channel(CHANNEL)
        env = slack.environment() | {"BOLTWATCH_DATABASE_URL": f"sqlite:///{folder / 'live.db'}"}
        app = create_app(settings_from_mapping(config(), env), aws_endpoint_url=moto.endpoint, background=True)
        await app.start(host="127.0.0.1", port=0)
        stack.push_async_callback(app.stop)
        target = AwsTarget("default", REGION)
        deadline = time.time() + 60
        while LOG_GROUP not in app.live_tails.live_groups("log_errors", target):
            if time.time() > deadline:
                raise TimeoutError("the Live Tail session never started")
            await asyncio.sleep(0.05)
        for number in range(warmup + trials):
            await asyncio.sleep(rng.uniform(0.2, 1.2))  # a random point of the session's one-second cycle
            marker = f"LiveTrial{number:02d}Error"
            put_at = await asyncio.to_thread(put_error, moto, marker, message(marker, number))
            call = await slack.wait_for(lambda m=marker: posted(slack, m), timeout=30)  # type: ignore[misc]
            if number >= warmup:
                measured.append(LiveTrial(number, marker, put_at, call.time))
                report(measured[-1], len(measured))
    return measured
