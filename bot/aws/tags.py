"""Resource tags for every ARN of an account and region: one paginated Resource Groups Tagging API scan,
cached between check cycles, never one call per resource."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

TAGS_TTL_SECONDS = 300.0


class TagCache:
    def __init__(self, ttl: float = TAGS_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._scans: dict[tuple[str, str], tuple[float, dict[str, dict[str, str]]]] = {}
        self._lock = threading.Lock()

    def tags(self, account: str, region: str, client: Any) -> dict[str, dict[str, str]]:
        """ARN → tags for `account` and `region`; rescanned at most once per TTL (a blocking call)."""
        key = (account, region)
        with self._lock:
            cached = self._scans.get(key)
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        scanned = scan_tags(client)
        with self._lock:
            self._scans[key] = (self._clock(), scanned)
        return scanned


def scan_tags(client: Any) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for page in client.get_paginator("get_resources").paginate(ResourcesPerPage=100):
        for mapping in page.get("ResourceTagMappingList", []):
            found[mapping["ResourceARN"]] = {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}
    return found
