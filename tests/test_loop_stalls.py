"""The suite's guard against blocking the event loop (tests/loop_stalls.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.loop_stalls import STALL_SECONDS, WATCHDOG, Watchdog


def hold_the_loop(seconds: float) -> None:
    time.sleep(seconds)  # what a blocking call on the loop does


@pytest.mark.blocks_loop
async def test_a_loop_held_past_the_limit_is_caught_with_the_code_that_held_it() -> None:
    hold_the_loop(STALL_SECONDS + 0.2)
    await asyncio.sleep(0.1)  # the heartbeat is answered

    stalls = WATCHDOG.peek()
    assert len(stalls) == 1
    assert stalls[0].seconds > STALL_SECONDS
    assert "hold_the_loop" in stalls[0].stack


async def test_a_loop_that_keeps_turning_is_not_a_stall() -> None:
    for _ in range(20):
        hold_the_loop(0.02)
        await asyncio.sleep(0)

    assert WATCHDOG.peek() == []


def test_time_between_runs_of_a_stopped_loop_is_not_a_stall() -> None:
    watchdog = Watchdog(threshold=0.1, tick=0.01)
    loop = asyncio.new_event_loop()
    watchdog.watch(loop)
    try:
        loop.run_until_complete(asyncio.sleep(0.05))  # heartbeats flow
        time.sleep(0.3)  # pytest-asyncio between two fixtures: the loop is stopped, a heartbeat may be pending
        loop.run_until_complete(asyncio.sleep(0.05))
    finally:
        loop.close()

    assert watchdog.take() == []


@pytest.mark.blocks_loop
def test_loops_made_by_asyncio_run_in_a_plain_test_are_watched_too() -> None:
    async def blocks() -> None:
        hold_the_loop(STALL_SECONDS + 0.2)
        await asyncio.sleep(0.1)

    asyncio.run(blocks())

    assert [stall.seconds > STALL_SECONDS for stall in WATCHDOG.peek()] == [True]
