"""Check runs step aside while Slack requests arrive: on the event loop between steps, and in their worker threads
before each AWS call; within a budget, so steady traffic delays a run but never starves it."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from bot.runtime.acks_first import AcksFirst, yields_to_acks
from sandbox.aws.server import MotoHandle, sandbox_client


async def keep_arriving(gate: AcksFirst, seconds: float, every: float = 0.005) -> None:
    """Slack requests every `every` seconds for `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        gate.request_arrived()
        await asyncio.sleep(every)


async def test_a_run_goes_on_at_once_when_slack_is_quiet() -> None:
    allowance = AcksFirst(quiet=0.5).run()
    started = time.monotonic()
    await allowance.turn()
    assert time.monotonic() - started < 0.1
    assert allowance.waited == 0


async def test_a_run_waits_for_the_quiet_after_the_last_request() -> None:
    gate = AcksFirst(quiet=0.1)
    allowance = gate.run()
    traffic = asyncio.create_task(keep_arriving(gate, 0.3))
    await asyncio.sleep(0.01)
    await allowance.turn()
    ended = time.monotonic()
    assert traffic.done()  # the run went on only after the requests stopped ...
    assert allowance.waited >= 0.25
    assert ended - gate._last_request >= 0.1 - 0.02  # ... and a quiet period had passed


async def test_steady_traffic_delays_a_run_by_its_budget_at_most() -> None:
    gate = AcksFirst(quiet=0.05, run_budget=0.2)
    allowance = gate.run()
    traffic = asyncio.create_task(keep_arriving(gate, 2.0))
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await allowance.turn()
    await allowance.turn()  # later steps of the same run: the budget is spent, no more waiting
    took = time.monotonic() - started
    assert not traffic.done()  # the run went on while requests kept coming
    traffic.cancel()
    assert 0.2 <= took < 1.0
    assert 0.2 <= allowance.waited < 0.5


async def test_aws_calls_in_a_check_thread_wait_their_turn_and_others_do_not(moto: MotoHandle) -> None:
    gate = AcksFirst(quiet=0.05)
    client = sandbox_client(moto.endpoint, "sts")
    yields_to_acks(client)
    allowance = gate.run()
    loop = asyncio.get_running_loop()

    def call() -> float:
        started = time.monotonic()
        client.get_caller_identity()
        return time.monotonic() - started

    with ThreadPoolExecutor(2) as pool:
        await loop.run_in_executor(pool, call)  # the client's first call (endpoint, credentials) out of the way
        traffic = asyncio.create_task(keep_arriving(gate, 0.4))
        await asyncio.sleep(0.01)
        as_a_command, in_a_check = await asyncio.gather(
            loop.run_in_executor(pool, call), loop.run_in_executor(pool, allowance.in_thread(call))
        )
        await traffic
    assert as_a_command < 0.3  # a command's own AWS work is never held back
    assert in_a_check >= 0.35 and allowance.waited >= 0.35
