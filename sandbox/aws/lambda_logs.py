"""How one Lambda invocation reads in CloudWatch Logs: platform lines around what the code printed.

The shapes follow what the Lambda platform and each runtime print: INIT_START on a cold start, START, the
function's own lines, `Task timed out after N seconds`, `Runtime exited with error`, END and REPORT.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.client import BaseClient

Voice = Callable[[str, str, datetime, str], str]
"""Formats one line the function logged: (level, text, time, request id) -> message, as its runtime does."""

Line = tuple[str | None, str]
"""(level, text) logged through the runtime's logger, or (None, text) written raw, as runtimes print crashes."""


class Outcome(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    CRASH = "crash"


FAILED = frozenset({Outcome.ERROR, Outcome.TIMEOUT, Outcome.OUT_OF_MEMORY, Outcome.CRASH})
"""Outcomes that Lambda counts in the `Errors` metric."""


@dataclass(frozen=True)
class Invocation:
    lines: tuple[Line, ...]
    outcome: Outcome = Outcome.OK
    duration_ms: float = 100.0
    memory_used_mb: int = 64


@dataclass(frozen=True)
class FunctionRuntime:
    """What the platform prints about a function: its runtime and configured limits."""

    runtime_version: str
    voice: Voice
    memory_mb: int
    timeout_s: int
    init_ms: tuple[float, float] = (150.0, 450.0)


@dataclass
class LogStream:
    """One execution environment's stream; the first invocation in it is a cold start."""

    name: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def upload(self, logs: BaseClient, log_group: str) -> None:
        """Create this stream in `log_group` and put its events, oldest first."""
        logs.create_log_stream(logGroupName=log_group, logStreamName=self.name)
        events = sorted(self.events, key=lambda event: event["timestamp"])
        logs.put_log_events(logGroupName=log_group, logStreamName=self.name, logEvents=events)


def iso_millis(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def new_request_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_stream(at: datetime, rng: random.Random) -> LogStream:
    return LogStream(f"{at:%Y/%m/%d}/[$LATEST]{rng.getrandbits(128):032x}")


def write_invocation(
    stream: LogStream,
    function: FunctionRuntime,
    invocation: Invocation,
    *,
    request_id: str,
    start: datetime,
    region: str,
    rng: random.Random,
) -> None:
    """Append the events of one invocation that started at `start` to `stream`."""
    cold = not stream.events
    events = stream.events
    duration_ms = invocation.duration_ms
    memory_used = invocation.memory_used_mb
    if invocation.outcome is Outcome.TIMEOUT:
        duration_ms = function.timeout_s * 1000.0
    if invocation.outcome is Outcome.OUT_OF_MEMORY:
        memory_used = function.memory_mb
    end = start + timedelta(milliseconds=duration_ms)
    init_ms = rng.uniform(*function.init_ms)

    def add(at: datetime, message: str) -> None:
        events.append({"timestamp": millis(at), "message": message})

    if cold:
        add(
            start - timedelta(milliseconds=init_ms),
            f"INIT_START Runtime Version: {function.runtime_version}\tRuntime Version ARN: "
            f"arn:aws:lambda:{region}::runtime:{rng.getrandbits(256):064x}\n",
        )
    add(start, f"START RequestId: {request_id} Version: $LATEST\n")
    for index, (level, text) in enumerate(invocation.lines, start=1):
        at = start + timedelta(milliseconds=duration_ms * index / (len(invocation.lines) + 1))
        add(at, function.voice(level, text, at, request_id) if level else text + "\n")
    if invocation.outcome is Outcome.TIMEOUT:
        add(end, f"{iso_millis(end)} {request_id} Task timed out after {function.timeout_s:.2f} seconds\n\n")
    if invocation.outcome in (Outcome.OUT_OF_MEMORY, Outcome.CRASH):
        reason = "signal: killed" if invocation.outcome is Outcome.OUT_OF_MEMORY else "exit status 2"
        add(end, f"RequestId: {request_id} Error: Runtime exited with error: {reason}\nRuntime.ExitError\n")
    add(end, f"END RequestId: {request_id}\n")
    add(end, _report_line(function, invocation.outcome, request_id, duration_ms, memory_used, cold, init_ms))


def _report_line(
    function: FunctionRuntime,
    outcome: Outcome,
    request_id: str,
    duration_ms: float,
    memory_used_mb: int,
    cold: bool,
    init_ms: float,
) -> str:
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(duration_ms)} ms",
        f"Memory Size: {function.memory_mb} MB",
        f"Max Memory Used: {memory_used_mb} MB",
    ]
    if cold:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    if outcome is Outcome.TIMEOUT:
        parts.append("Status: timeout")
    elif outcome is Outcome.OUT_OF_MEMORY:
        parts += ["Status: error", "Error Type: Runtime.OutOfMemory"]
    return "\t".join(parts) + "\t\n"


def python_voice(level: str, text: str, at: datetime, request_id: str) -> str:
    return f"[{level}]\t{iso_millis(at)}\t{request_id}\t{text}\n"


def node_voice(level: str, text: str, at: datetime, request_id: str) -> str:
    return f"{iso_millis(at)}\t{request_id}\t{level}\t{text}\n"


def java_voice(level: str, text: str, at: datetime, request_id: str) -> str:
    """log4j2 with the Lambda appender's documented pattern."""
    return f"{at:%Y-%m-%d %H:%M:%S} {request_id} {level:<5} {text}\n"


def go_voice(level: str, text: str, at: datetime, request_id: str) -> str:
    """log/slog's text handler; `text` carries msg= and the other attributes."""
    return f"time={iso_millis(at)} level={level} {text} request_id={request_id}\n"
