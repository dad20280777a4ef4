from __future__ import annotations

import asyncio

import pytest

from bot.aws.executor import AwsExecutor
from bot.aws.loop_guard import BlockingCallOnEventLoop
from bot.aws.sessions import AwsSessions
from sandbox.aws import MotoHandle
from tests.aws.settings_for_moto import fast_settings


@pytest.fixture
def sessions(moto_session: MotoHandle) -> AwsSessions:
    return AwsSessions(fast_settings(), endpoint_url=moto_session.endpoint)


async def test_boto3_call_on_the_event_loop_raises(sessions: AwsSessions) -> None:
    client = sessions.client("sts")

    with pytest.raises(BlockingCallOnEventLoop, match=r"sts\.GetCallerIdentity was called on the asyncio event loop"):
        client.get_caller_identity()


async def test_paginated_boto3_call_on_the_event_loop_raises(sessions: AwsSessions) -> None:
    pages = sessions.client("logs").get_paginator("describe_log_groups").paginate()

    with pytest.raises(BlockingCallOnEventLoop):
        list(pages)


async def test_boto3_call_through_the_executor_runs(sessions: AwsSessions) -> None:
    executor = AwsExecutor(2)
    try:
        identity = await executor.run(sessions.client("sts").get_caller_identity)
    finally:
        executor.shutdown()

    assert identity["Account"] == "123456789012"


async def test_boto3_call_through_to_thread_runs(sessions: AwsSessions) -> None:
    identity = await asyncio.to_thread(sessions.client("sts").get_caller_identity)

    assert identity["Account"] == "123456789012"


def test_boto3_call_outside_any_event_loop_runs(sessions: AwsSessions) -> None:
    assert sessions.client("sts").get_caller_identity()["Account"] == "123456789012"


async def test_guard_can_be_turned_off(moto_session: MotoHandle) -> None:
    unguarded = AwsSessions(fast_settings(), endpoint_url=moto_session.endpoint, guard_event_loop=False)

    assert unguarded.client("sts").get_caller_identity()["Account"] == "123456789012"
