"""A check type for engine tests and `python -m bench scale`: each target sleeps a fixed time of its own (by
default 0.2–2 s; I/O-bound, like a slow AWS call) and reports one finding, so that runs take long enough for a
worker to be killed or stopped in the middle of them.

Registered only by `python -m sandbox.sleepy_check worker --config …`, which is `boltwatch worker` with this check
type known (the tests' and the benchmark's worker processes): importing the module (for SLEEPY) registers nothing,
so the registry the rest of a test run sees (IAM policies, the config reference) stays the product's."""

from __future__ import annotations

import sys
import time
import zlib

from pydantic import BaseModel, ConfigDict

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from scheduler.registry import REGISTRY, CheckContext, check

SLEEPY = "sleepy_targets"


class SleepyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_seconds: float = 0.2
    max_seconds: float = 2.0


def seconds_for(account: str, region: str, params: SleepyParams) -> float:
    """Each target's own duration, the same in every process."""
    spread = zlib.crc32(f"{account}/{region}".encode()) % 1000 / 999
    return params.min_seconds + spread * (params.max_seconds - params.min_seconds)


def sleepy(ctx: CheckContext, params: SleepyParams) -> CheckResult:
    """Sleep as long as a slow target takes, then report it seen."""
    time.sleep(seconds_for(ctx.account, ctx.region, params))
    fingerprint = f"{SLEEPY}:{ctx.account}:{ctx.region}"
    finding = Finding(
        fingerprint=fingerprint, firing=False, title=f"{ctx.account}/{ctx.region} seen", severity=Severity.INFO,
        summary="", resource=ctx.account, region=ctx.region,
    )  # fmt: skip
    return CheckResult.of([finding], scope=f"{SLEEPY}:{ctx.account}:{ctx.region}:")


def register() -> None:
    if SLEEPY not in REGISTRY:
        check(SLEEPY, service="sts", permissions=[], every="10s", params=SleepyParams)(sleepy)


def main() -> int:
    """`boltwatch` with this check type known."""
    from bot.cli import main as boltwatch

    register()
    return boltwatch(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
