from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest

from bot.aws.executor import AwsExecutor
from bot.aws.settings import AwsSettings

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


@pytest.fixture
def executor() -> Iterator[AwsExecutor]:
    pool = AwsExecutor(2)
    yield pool
    pool.shutdown()


def test_pool_size_comes_from_settings() -> None:
    executor = AwsExecutor.from_settings(AwsSettings(max_workers=7))
    executor.shutdown()

    assert executor.max_workers == 7


async def test_run_passes_arguments_and_returns_the_result(executor: AwsExecutor) -> None:
    def describe(name: str, *, region: str) -> str:
        return f"{name}@{region}"

    assert await executor.run(describe, "orders-api", region="eu-west-1") == "orders-api@eu-west-1"


async def test_run_raises_what_the_call_raised(executor: AwsExecutor) -> None:
    def fail() -> None:
        raise ValueError("no such alarm")

    with pytest.raises(ValueError, match="no such alarm"):
        await executor.run(fail)


async def test_calls_run_off_the_event_loop_thread(executor: AwsExecutor) -> None:
    worker = await executor.run(threading.current_thread)

    assert worker is not threading.current_thread()
    assert worker.name.startswith("boltwatch-aws")


async def test_no_more_than_max_workers_calls_run_at_once(executor: AwsExecutor) -> None:
    release = threading.Event()
    lock = threading.Lock()
    running = peak = 0

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(5)
        with lock:
            running -= 1

    calls = [asyncio.ensure_future(executor.run(work)) for _ in range(5)]
    await asyncio.sleep(0.2)
    release.set()
    await asyncio.gather(*calls)

    assert peak == 2


async def test_in_flight_counts_queued_and_running_calls_until_they_end(executor: AwsExecutor) -> None:
    release = threading.Event()
    calls = [asyncio.ensure_future(executor.run(release.wait, 5)) for _ in range(3)]
    await asyncio.sleep(0.05)

    assert executor.in_flight == 3

    release.set()
    await asyncio.gather(*calls)
    assert executor.in_flight == 0


async def test_cancelled_wait_keeps_counting_the_call_until_its_thread_ends(executor: AwsExecutor) -> None:
    release = threading.Event()
    call = asyncio.ensure_future(executor.run(release.wait, 5))
    await asyncio.sleep(0.05)

    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert executor.in_flight == 1

    release.set()
    for _ in range(100):
        if executor.in_flight == 0:
            break
        await asyncio.sleep(0.01)
    assert executor.in_flight == 0


async def test_context_variables_travel_with_the_call(executor: AwsExecutor) -> None:
    request_id.set("cmd-42")

    assert await executor.run(request_id.get) == "cmd-42"


async def test_shutdown_refuses_new_calls() -> None:
    executor = AwsExecutor(1)
    executor.shutdown()

    with pytest.raises(RuntimeError):
        await executor.run(print)
    assert executor.in_flight == 0


async def test_shutdown_cancels_queued_calls() -> None:
    executor = AwsExecutor(1)
    release = threading.Event()
    running = asyncio.ensure_future(executor.run(release.wait, 5))
    queued = asyncio.ensure_future(executor.run(print))
    await asyncio.sleep(0.05)

    executor.shutdown()
    release.set()

    assert await running is True
    with pytest.raises(asyncio.CancelledError):
        await queued


def test_a_call_still_running_at_shutdown_is_abandoned_not_joined() -> None:
    """The interpreter exits at once although a call (a boto3 call that hangs) never ends: its thread is a daemon."""
    program = textwrap.dedent(
        """
        import asyncio, threading
        from bot.aws.executor import AwsExecutor

        async def main():
            executor = AwsExecutor(1)
            call = asyncio.ensure_future(executor.run(threading.Event().wait))
            await asyncio.sleep(0.1)
            executor.shutdown()
            call.cancel()

        asyncio.run(main())
        """
    )
    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-c", program], timeout=30, capture_output=True, text=True)

    assert finished.returncode == 0, finished.stderr
    assert time.monotonic() - started < 5
