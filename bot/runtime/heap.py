"""Keep full garbage collections short: move the long-lived start-up heap out of the collector's sight.

The bot's process holds ~180k objects after start-up (SQLAlchemy, boto3 models and clients, Slack SDK); a full
collection walks them all and stops the event loop for ~200 ms, so every ack in flight waits
(bench/ack_latency.py measured it). Frozen objects are still freed when unreferenced; only cycles among them are
never collected, which for import-time and client objects that live as long as the process costs nothing.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_heap(reason: str) -> None:
    gc.collect()
    gc.freeze()
    log.info("froze %d long-lived objects (%s)", gc.get_freeze_count(), reason)
