"""The sandbox estate seeded once per test session, for the tests that only read it.

Seeding costs seconds, and moto keeps its state per process: `MotoHandle.reset()`, which the per-test `moto`
fixture calls, empties every moto server of the test process. So the shared estate lives in a moto of its own, in
a child process that no reset reaches. A test that changes AWS in any way (breaks a function, puts an alarm, a
metric or a log group) must use the `moto` fixture and seed its own estate instead: this one is shared.

Run as `python -m tests.readonly_estate`: prints the endpoint, serves until its stdin closes (the parent ended).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sandbox.aws.estate import Estate, seed_estate
from sandbox.aws.server import start_moto

ROOT = Path(__file__).resolve().parent.parent
STOP_SECONDS = 10


@dataclass(frozen=True)
class SeededEstate:
    """Where the shared estate is (`endpoint`, as a `MotoHandle` has), what it holds, and the time it was seeded
    at: its logs and metrics cover the hour before `seeded_at`, so a bot reading it runs on a clock set there."""

    endpoint: str
    estate: Estate
    seeded_at: datetime


@contextmanager
def seeded_estate() -> Iterator[SeededEstate]:
    with moto_process() as endpoint:
        seeded_at = datetime.now(UTC)
        yield SeededEstate(endpoint=endpoint, estate=seed_estate(endpoint, now=seeded_at), seeded_at=seeded_at)


@contextmanager
def moto_process() -> Iterator[str]:
    """Start moto in a child process on 127.0.0.1 and yield its endpoint; the child ends with the block."""
    command = [sys.executable, "-m", "tests.readonly_estate"]
    child = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    try:
        endpoint = child.stdout.readline().strip()
        if not endpoint.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"moto's child process did not start (exit code {child.poll()})")
        yield endpoint
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main() -> None:
    with start_moto() as moto:
        print(moto.endpoint, flush=True)
        # Nobody reads our stdout after the endpoint: anything more printed there could fill the pipe and stall moto.
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        # Serve until the parent closes our stdin, on purpose or by ending: a crashed run leaves no orphan.
        sys.stdin.read()


if __name__ == "__main__":
    main()
