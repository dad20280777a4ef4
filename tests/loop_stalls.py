"""The loop never blocks: a test fails when an event loop it ran was held longer than STALL_SECONDS (issue 14).

Every event loop the tests create (pytest-asyncio's and `asyncio.run`'s, in whatever thread) comes from a policy
that hands it to one watchdog thread. While a loop runs, the watchdog posts it a heartbeat every TICK_SECONDS
(`call_soon_threadsafe`, which wakes a loop waiting in `select`) and the loop answers when it gets to it; an answer
more than STALL_SECONDS late means nothing else ran on that loop for that long. When a heartbeat is overdue the
watchdog copies the loop thread's stack, so the failure names the code that held the loop.

Why a heartbeat rather than asyncio's debug mode and its "Executing <Handle …> took X seconds" log: debug mode
records where every handle and future was created (a stack walk each) and turns on coroutine origin tracking,
which made the suite markedly slower; it reports the callback (often just "<Task …>") rather than the line that
blocked; and it needs its own switch on uvloop. The heartbeat costs 40 tiny callbacks a second.

A heartbeat posted just before pytest-asyncio stops the loop between two fixtures is answered when the loop runs
again; the watchdog saw the loop stopped meanwhile, and such an answer does not count. Garbage collections are
subtracted from a late answer: a full collection walks the whole test session's heap (hundreds of ms late in the
run), which says nothing about the code under test (the bot freezes its own heap at start-up; the load benchmark
counts its collections).

A stall is charged to the test when the loop's own thread was the cause: the watchdog got a turn while the loop was
late and copied a stack inside a callback (the loop ran Python code, or waited in a blocking call that let go of the
GIL), or the loop's thread burnt more than the limit in CPU time. A stall in which neither happened (no stack, or the
loop's thread still in `select`) means the process as a whole got no turn: another thread held the GIL in one long
C call, or the machine was busy elsewhere (other test suites on the same two cores). Those are listed at the end of
the run, not failed.

`@pytest.mark.blocks_loop` opts a test out (a test that blocks on purpose; there should be almost none).
The threshold is far above the bot's 100 ms target (bench/command_load.py measures that) so that a loaded 2-core
machine does not fail the suite for reasons that are not the code's.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

STALL_SECONDS = 0.25
TICK_SECONDS = 0.025
NO_TURN = "(none: the watchdog got no turn until the loop was free: a C call held the GIL)\n"
IDLE = "(idle: the loop's thread was back from select and waiting for the GIL)\n"


@dataclass(frozen=True)
class Stall:
    seconds: float
    stack: str
    gc_seconds: float = 0.0
    loop_cpu_seconds: float | None = None

    @property
    def starved(self) -> bool:
        """The loop's thread neither held the loop (no stack) nor burnt the time: it got no turn."""
        no_turn = self.stack == NO_TURN or self.stack.startswith(IDLE)
        return no_turn and self.loop_cpu_seconds is not None and self.loop_cpu_seconds < STALL_SECONDS


class GcClock:
    """Seconds this process has spent in garbage collections so far."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._started


class _Watched:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = weakref.ref(loop)
        self.posted_at: float | None = None
        self.gc_at_post = 0.0
        self.cpu_at_post: float | None = None
        self.stopped_since_posted = False
        self.thread_id = threading.get_ident()  # where a loop is made it usually runs; each answer says for sure
        self.stack = ""


class Watchdog:
    """Posts heartbeats to the loops it watches and records the ones answered late."""

    def __init__(self, threshold: float = STALL_SECONDS, tick: float = TICK_SECONDS) -> None:
        self.threshold = threshold
        self.tick = tick
        self._watched: list[_Watched] = []
        self._stalls: list[Stall] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._gc = GcClock()

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._watched.append(_Watched(loop))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="loop-stall-watchdog", daemon=True)
                self._thread.start()

    def take(self) -> list[Stall]:
        """The stalls recorded since the last call."""
        with self._lock:
            stalls, self._stalls = self._stalls, []
        return stalls

    def peek(self) -> list[Stall]:
        with self._lock:
            return list(self._stalls)

    def _run(self) -> None:
        while True:
            time.sleep(self.tick)
            with self._lock:
                watched = list(self._watched)
            for each in watched:
                self._visit(each)

    def _visit(self, watched: _Watched) -> None:
        loop = watched.loop()
        if loop is None or loop.is_closed():
            with self._lock:
                self._watched.remove(watched)
            return
        with self._lock:
            if not loop.is_running():
                watched.stopped_since_posted = True
                return
            if watched.posted_at is None:
                watched.posted_at, watched.stopped_since_posted, watched.stack = time.monotonic(), False, ""
                watched.gc_at_post = self._gc.total
                watched.cpu_at_post = _thread_cpu(watched.thread_id)
                post = True
            else:
                post = False
                overdue = time.monotonic() - watched.posted_at
                if overdue > self.threshold / 2 and not watched.stack:
                    watched.stack = _stacks(watched.thread_id)
        if post:
            try:
                loop.call_soon_threadsafe(self._answer, watched)
            except RuntimeError:  # closed in the meantime
                watched.posted_at = None

    def _answer(self, watched: _Watched) -> None:
        """Runs on the watched loop."""
        now = time.monotonic()
        with self._lock:
            same_thread = watched.thread_id == threading.get_ident()
            watched.thread_id = threading.get_ident()
            late = now - (watched.posted_at or now)
            collecting = self._gc.total - watched.gc_at_post
            if late - collecting > self.threshold and not watched.stopped_since_posted:
                cpu = None
                if same_thread and watched.cpu_at_post is not None:
                    cpu = time.thread_time() - watched.cpu_at_post
                self._stalls.append(Stall(late - collecting, watched.stack or NO_TURN, collecting, cpu))
            watched.posted_at = None


def _thread_cpu(thread_id: int) -> float | None:
    """CPU time of another thread of this process (Linux: its pthread id names its CPU clock)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread_id))
    except (OSError, ValueError, AttributeError):
        return None


def _stacks(loop_thread: int) -> str:
    """The loop thread's stack, then where each other thread is (one of them may hold the GIL)."""
    frames = sys._current_frames()
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    loop_frame = frames.pop(loop_thread, None)
    text = "".join(traceback.format_stack(loop_frame)) if loop_frame else "(loop thread not found)\n"
    if loop_frame is not None and loop_frame.f_code.co_filename.endswith("selectors.py"):
        text = IDLE + text  # no callback held the loop: another thread held the GIL
    others = [
        f"  {names.get(ident, ident)}: {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        for ident, frame in frames.items()
        if ident != threading.get_ident()
    ]
    return text + "Other threads were at:\n" + "\n".join(others) + "\n"


WATCHDOG = Watchdog()
STARVED: list[tuple[str, Stall]] = []


class WatchedLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """The standard event loops, each watched for stalls."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        WATCHDOG.watch(loop)
        return loop


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "blocks_loop: the test blocks its event loop on purpose (no stall guard)")
    asyncio.set_event_loop_policy(WatchedLoopPolicy())


@pytest.fixture(autouse=True)
def _loop_never_blocks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Set up first, torn down last: covers the test's async fixtures, the test, and their teardown."""
    WATCHDOG.take()
    yield
    stalls = WATCHDOG.take()
    STARVED.extend((request.node.nodeid, stall) for stall in stalls if stall.starved)
    stalls = [stall for stall in stalls if not stall.starved]
    if stalls and request.node.get_closest_marker("blocks_loop") is None:
        worst = max(stalls, key=lambda s: s.seconds)
        pytest.fail(
            f"the event loop was held for {worst.seconds * 1000:.0f} ms, garbage collections not counted"
            f" (limit {STALL_SECONDS * 1000:.0f} ms; {len(stalls)} stall(s) in this test)."
            f" The loop's thread was here:\n{worst.stack}",
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STARVED:
        nodeid, worst = max(STARVED, key=lambda item: item[1].seconds)
        terminalreporter.write_line(
            f"loop stalls not charged to a test (the process got no turn): {len(STARVED)},"
            f" longest {worst.seconds * 1000:.0f} ms in {nodeid}"
        )
