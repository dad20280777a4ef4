"""A busy Lambda function's log group for `/errors` under load: N events over the last hour, about half of them
errors in a few dozen shapes with varying details (ids, hosts, counts, tracebacks), the rest platform lines.

Written with `put_log_events` in batches CloudWatch Logs (and moto) accept: at most 10,000 events and 1 MB a call,
oldest first within a stream, all within the last 14 days.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from botocore.client import BaseClient

FUNCTION = "bulk-importer"
LOG_GROUP = f"/aws/lambda/{FUNCTION}"
BATCH = 2_500  # ~400 KB of these events: under put_log_events' 1 MB
STREAMS = 8
SPAN = timedelta(minutes=55)

ERRORS = [
    "[ERROR] ValueError: order {n} has no line items",
    "[ERROR] KeyError: 'customer_{n}'\nTraceback (most recent call last):\n"
    '  File "/var/task/importer/handler.py", line {line}, in handler\n    row = customers[key]\n'
    "KeyError: 'customer_{n}'",
    "[ERROR] ConnectionError: HTTPSConnectionPool(host='api.{host}.example.com', port=443): Max retries exceeded"
    " with url: /v2/items/{n}",
    "[ERROR] botocore.exceptions.ClientError: An error occurred (ThrottlingException) when calling the PutItem"
    " operation (reached max retries: {small}): Rate exceeded",
    "Task timed out after {small}.0{small} seconds",
    "[ERROR] TimeoutError: read from s3://imports-{host}/batch-{n}.csv timed out after {small}s",
    'ERROR psycopg.OperationalError: connection to server at "10.0.{small}.{line}" failed: Connection refused',
    "[ERROR] json.decoder.JSONDecodeError: Expecting value: line {small} column {line} (char {n})",
    "Exception in thread worker-{small}: RuntimeError: batch {n} failed validation ({line} rows rejected)",
    "[ERROR] PermissionError: [Errno 13] Permission denied: '/tmp/import-{n}.lock'",
    "FATAL out of memory while sorting {n} rows",
]
INFO = [
    "START RequestId: {rid} Version: $LATEST",
    "END RequestId: {rid}",
    "REPORT RequestId: {rid}\tDuration: {line}.{small} ms\tBilled Duration: {line} ms\tMemory Size: 512 MB",
    "[INFO] imported {n} rows from s3://imports-{host}/batch-{n}.csv",
    "[INFO] batch {n} queued for {host}",
]
HOSTS = ["eu", "us", "ap", "orders", "payments", "billing", "legacy", "partner"]


def message(rng: random.Random, template: str) -> str:
    return template.format(
        n=rng.randrange(1, 10_000_000),
        line=rng.randrange(10, 999),
        small=rng.randrange(1, 9),
        host=rng.choice(HOSTS),
        rid=f"{rng.getrandbits(128):032x}",
    )


def bulk_events(count: int, *, now: datetime | None = None, seed: int = 14) -> list[list[dict[str, object]]]:
    """`count` events, as one list per stream, each oldest first."""
    rng = random.Random(seed)
    end_ms = int((now or datetime.now(UTC)).timestamp() * 1000) - 1_000
    start_ms = end_ms - int(SPAN.total_seconds() * 1000)
    # A few shapes are much noisier than the rest, as in real logs.
    weights = [rng.paretovariate(1.2) for _ in ERRORS]
    streams: list[list[dict[str, object]]] = [[] for _ in range(STREAMS)]
    for _ in range(count):
        if rng.random() < 0.5:
            text = message(rng, rng.choices(ERRORS, weights)[0])
        else:
            text = message(rng, rng.choice(INFO))
        streams[rng.randrange(STREAMS)].append({"timestamp": rng.randint(start_ms, end_ms), "message": text})
    for events in streams:
        events.sort(key=lambda event: event["timestamp"])  # type: ignore[arg-type, return-value]
    return streams


def seed_bulk_log_group(logs: BaseClient, count: int, *, now: datetime | None = None) -> int:
    """Create LOG_GROUP with `count` events; returns how many were written."""
    logs.create_log_group(logGroupName=LOG_GROUP)
    written = 0
    for index, events in enumerate(bulk_events(count, now=now)):
        stream = f"2026/12/04/[$LATEST]{index:032x}"
        logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
        for first in range(0, len(events), BATCH):
            batch = events[first : first + BATCH]
            logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=batch)
            written += len(batch)
    return written
