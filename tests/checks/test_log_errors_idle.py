"""log_errors at scale against moto: idle log groups cost a DescribeLogStreams call, not a FilterLogEvents one, and
are read all the same every `idle_reread`; a quiet error group still resolves while its log group is skipped."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from bot.core.findings import CheckResult, LogCursorState
from sandbox.aws.server import MotoHandle
from scheduler.checks.log_errors import LogErrorsParams, log_errors
from scheduler.registry import CheckContext

BUSY, IDLE = "/aws/lambda/busy", "/aws/lambda/idle"
# moto stamps an event's ingestion with the real time. The check's clock starts three minutes on, so that its first
# read is more than the overlap after the events put before it, as for a log group that has been quiet a while;
# news after that read is stamped after it (CloudWatch Logs takes events up to two hours ahead).
REAL_NOW = datetime.now(UTC).replace(microsecond=0)
START = REAL_NOW + timedelta(minutes=3)


@pytest.fixture(autouse=True)
def real_now() -> None:
    """Each test's own real time (not the module's import time, minutes earlier in a whole-suite run)."""
    global REAL_NOW, START
    REAL_NOW = datetime.now(UTC).replace(microsecond=0)
    START = REAL_NOW + timedelta(minutes=3)


class Reads:
    """A logs client on moto that counts its FilterLogEvents calls per log group."""

    def __init__(self, moto: MotoHandle) -> None:
        self.client = boto3.client("logs", endpoint_url=moto.endpoint, region_name="us-east-1")
        self.filtered: Counter[str] = Counter()
        self.client.meta.events.register("before-parameter-build.logs.FilterLogEvents", self._count)

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        self.filtered[params["logGroupName"]] += 1

    def put(self, group: str, *messages: str, at: datetime | None = None) -> None:
        ms = int((at or REAL_NOW - timedelta(minutes=1)).timestamp() * 1000)
        events = [{"timestamp": ms + n, "message": m} for n, m in enumerate(messages)]
        self.client.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)

    def run(self, now: datetime, cursors: dict[str, LogCursorState]) -> tuple[CheckResult, dict[str, LogCursorState]]:
        ctx = CheckContext(
            account="default", account_id="123456789012", region="us-east-1", now=now,
            client_for=lambda service: self.client, cursors=cursors,
        )  # fmt: skip
        params = LogErrorsParams(log_groups=["/aws/lambda/*"], quiet_after=timedelta(minutes=3))
        result = log_errors(ctx, params)
        return result, {key[2]: state for key, state in result.cursors.items()}


def estate(moto: MotoHandle) -> Reads:
    reads = Reads(moto)
    for group in (BUSY, IDLE):
        reads.client.create_log_group(logGroupName=group)
        reads.client.create_log_stream(logGroupName=group, logStreamName="s")
    return reads


def test_an_idle_log_group_is_not_read_again_until_something_arrives_or_idle_reread_passes(moto: MotoHandle) -> None:
    reads = estate(moto)
    reads.put(IDLE, "INFO started")
    _, cursors = reads.run(START, {})
    assert reads.filtered == {BUSY: 1, IDLE: 1}

    reads.put(BUSY, "INFO request served", at=START + timedelta(seconds=30))
    _, cursors = reads.run(START + timedelta(minutes=1), cursors)
    assert reads.filtered == {BUSY: 2, IDLE: 1}  # the busy group has news; the idle one has none

    _, cursors = reads.run(START + timedelta(minutes=5), cursors)
    assert reads.filtered[IDLE] == 2  # five minutes since its last read: read all the same


def test_an_error_group_goes_quiet_and_resolves_while_its_log_group_is_skipped(moto: MotoHandle) -> None:
    reads = estate(moto)
    reads.put(IDLE, "[ERROR] KeyError: 'id'")
    result, cursors = reads.run(START, {})
    assert [(f.title, f.firing) for f in result.findings] == [("idle: KeyError: <*>", True)]

    result, cursors = reads.run(START + timedelta(minutes=1), cursors)
    assert [f.firing for f in result.findings] == [True]
    result, cursors = reads.run(START + timedelta(minutes=4), cursors)
    assert [f.firing for f in result.findings] == [False]
    assert reads.filtered[IDLE] == 1
