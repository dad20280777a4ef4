"""The daemon pool behind AWS calls and database transactions: work stuck in I/O never keeps the process alive."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import textwrap
import time
import weakref

from bot.runtime.daemon_pool import DaemonPool


def test_a_process_whose_database_stopped_answering_still_exits_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = textwrap.dedent(
        f"""
        import asyncio, threading
        from bot.store import Database
        db = Database.from_url("sqlite:///{tmp_path / 'db.sqlite'}")
        hung = threading.Event()

        async def main():
            stuck = asyncio.ensure_future(db.run(lambda session: hung.wait()))  # a transaction that never returns
            await asyncio.sleep(0.2)
            db.close()
            print("closed", flush=True)

        asyncio.run(main())
        """
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "closed" in done.stdout
    assert time.monotonic() - started < 10, "the stuck transaction's thread was joined at exit"


async def test_calls_run_off_the_loop_and_queued_ones_are_cancelled_at_shutdown() -> None:
    pool = DaemonPool(1, name="test-pool")
    assert await pool.run(lambda: 41 + 1) == 42
    assert pool.in_flight == 0
    pool.shutdown()
    try:
        await pool.run(lambda: None)
    except RuntimeError as exc:
        assert "test-pool is shut down" in str(exc)
    else:
        raise AssertionError("a shut-down pool took a call")


async def test_an_idle_worker_keeps_no_finished_calls_result_alive() -> None:
    class Findings:
        """Stands in for a check run's result: large, and garbage once its caller is done with it."""

    pool = DaemonPool(2, name="test-pool")
    result = await pool.run(Findings)
    gone = weakref.ref(result)
    del result
    await asyncio.sleep(0.05)  # the worker is back waiting for its next call
    gc.collect()

    assert gone() is None
    pool.shutdown()
