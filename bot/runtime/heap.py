"""Keep full garbage collections short: move the long-lived start-up heap out of the collector's sight; and keep the
heap's resident size bounded (few malloc arenas, free memory given back after each check run).

The bot's process holds ~180k objects after start-up (SQLAlchemy, boto3 models and clients, Slack SDK); a full
collection walks them all and stops the event loop for ~200 ms, so every ack in flight waits
(bench/ack_latency.py measured it). Frozen objects are still freed when unreferenced; only cycles among them are
never collected, which for import-time and client objects that live as long as the process costs nothing.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import sys
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def freeze_heap(reason: str) -> None:
    gc.collect()
    gc.freeze()
    log.info("froze %d long-lived objects (%s)", gc.get_freeze_count(), reason)


M_ARENA_MAX = -8
"""glibc's `mallopt` parameter for the number of malloc arenas (malloc.h)."""
ARENAS = 2
M_MMAP_THRESHOLD = -3
"""glibc's `mallopt` parameter for the size from which an allocation gets pages of its own (malloc.h)."""
MMAP_THRESHOLD = 128 * 1024


def _libc() -> ctypes.CDLL | None:
    """glibc, where the process runs on it (Linux); elsewhere None, and the calls below do nothing."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_malloc_arenas() -> None:
    """Few malloc arenas, before the worker threads start. glibc gives each thread that allocates concurrently an
    arena of its own, up to 8 a core; what one check run's thread freed stays in its arena, as RSS nobody else
    reuses (MALLOC_ARENA_MAX in mallopt(3)). Two arenas keep threads from contending while bounding that.

    And allocations of 128 KiB and more (a run's lists and dicts of ten thousand entries, fetched result sets) in
    pages of their own, returned when freed. glibc starts there but raises the threshold each time such a block is
    freed, up to 32 MiB, after which those blocks come from the heap and leave holes in it that `malloc_trim` cannot
    return (M_MMAP_THRESHOLD in mallopt(3); setting it keeps it fixed). Measured in `python -m bench soak`: the heap
    after two minutes 35 MB rather than 38, 3.6 MB of it free rather than 5.9."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, ARENAS)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_free_memory() -> None:
    """Give the memory malloc holds free back to the system (malloc_trim(3)): a check run over ten thousand alerts
    allocates tens of MB that are free once it is written, and glibc keeps them mapped unless asked."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


class ThrottledRelease:
    """`release_free_memory` after work, at most once every `seconds`: a worker ends many small jobs a second, and
    malloc_trim walks the whole heap (a few ms), while what a big job freed is given back within `seconds` of the
    next job's end."""

    def __init__(self, seconds: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._last: float | None = None

    def __call__(self) -> bool:
        """Release now unless it was done less than `seconds` ago; True when it did."""
        now = self._clock()
        if self._last is not None and now - self._last < self._seconds:
            return False
        self._last = now
        release_free_memory()
        return True
