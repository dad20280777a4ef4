"""Time to detect: an error event written to a moto log group (`--source poll`), an alarm's state change pushed
through SNS (`--source push`, bench/detection_push.py), or an error event streamed by Live Tail to a `log_errors`
check in `mode: live` (`--source live`, bench/detection_live.py), → the alert arriving at the local Slack.

Targets: poll p95 ≤ the check's interval + 2 s (`every: 5s`, so 7 s); push and live p95 ≤ 2 s; 20 trials each. All
three run by default, one after the other, and the summary line gives every figure of the same run.

The real bot (`create_app`, `background=True`: the scheduler runs the check and the outbox drainer posts by
themselves, on the real clock), SQLite in a temporary directory, the sandbox's `LocalSlack` and moto, all in this
process. One `log_errors` check, `every: 5s` on `/aws/lambda/*`, `notify: all`; one route grouping by
`[check, error_group]`, so each new error group is an incident of its own and gets a Slack post of its own.

Each trial writes one Lambda-style Python traceback whose exception type is new (`DetectTrial07Error`), so it
is a new error group: it alerts whatever `notify` says, and its post cannot be taken for another trial's. A trial
starts at a random moment (seeded) after the previous trial's post, so that the put lands at a random point of
the check's 5 s cycle. Detection time runs from put_log_events returning to the local Slack recording the
`chat.postMessage` that names the trial's exception. It is split at the start of the first FilterLogEvents call
that returned the event (seen through a hook on the bot's own logs client): "wait" is time until the check's next
scan, "scan→post" is the scan, the database work, the outbox and the Slack call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import tempfile
import threading
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from botocore.client import BaseClient
from botocore.model import OperationModel

from bench import detection_live, detection_push
from bench.common import environment, positive_int
from bot.app import create_app
from bot.config import settings_from_mapping
from sandbox.aws.server import SANDBOX_ACCOUNT_ID, MotoHandle, sandbox_client, start_moto
from sandbox.slack import ApiCall, LocalSlack

REGION = "us-east-1"
FUNCTION = "bench-detect"
LOG_GROUP = f"/aws/lambda/{FUNCTION}"
LOG_STREAM = "2026/11/28/[$LATEST]0123456789abcdef0123456789abcdef"
CHANNEL = "#alerts"
SLACK_MARGIN_SECONDS = 2.0
"""The target is p95 ≤ every + this."""
PUSH_TARGET_SECONDS = 2.0
SOURCES = ("poll", "push", "live")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trials", type=positive_int, default=20, help="measured trials (default 20)")
    parser.add_argument("--every", type=positive_int, default=5, help="the check's interval in seconds (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="trials run first and not counted (default 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--source",
        choices=SOURCES,
        action="append",
        help="poll (log_errors on its interval), push (an alarm through SNS) or live (log_errors streaming with Live "
        "Tail); repeat for several (default: all three)",
    )
    parser.add_argument(
        "--engine",
        choices=("embedded", "procrastinate"),
        default="embedded",
        help="procrastinate: push only; the bot as a web replica and a worker on PostgreSQL (--postgres), alarms "
        "alternating with EC2 state changes whose ec2_status run is a worker's job",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BOLTWATCH_TEST_DATABASE_URL"),
        help="PostgreSQL URL for --engine procrastinate (a schema of its own is made and dropped; default "
        "$BOLTWATCH_TEST_DATABASE_URL)",
    )


def config(every: int) -> dict[str, Any]:
    return {
        "slack": {"channel": CHANNEL},
        "aws": {"regions": [REGION], "accounts": [{"name": "default", "id": SANDBOX_ACCOUNT_ID}], "max_attempts": 1},
        "checks": [{"type": "log_errors", "every": f"{every}s", "log_groups": ["/aws/lambda/*"], "notify": "all"}],
        "routes": [{"name": "detect", "channel": CHANNEL, "group_by": ["check", "error_group"]}],
    }


def error_message(marker: str, trial: int) -> str:
    """A Python Lambda's unhandled exception, as the runtime logs it; `marker` is the exception's type."""
    return (
        f"[ERROR] {marker}: charge for order {40_000 + trial} failed\n"
        "Traceback (most recent call last):\n"
        '  File "/var/task/app.py", line 42, in handler\n'
        "    charge(order)\n"
        '  File "/var/task/payments.py", line 17, in charge\n'
        f"    raise {marker}(order.id)\n"
    )


@dataclass
class Scans:
    """FilterLogEvents calls of the bot's logs client: (started, ended, messages returned), in wall time."""

    calls: list[tuple[float, float, list[str]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hook(self, client: BaseClient) -> None:
        def before(model: OperationModel, context: dict[str, Any], **_: Any) -> None:
            if model.name == "FilterLogEvents":
                context["bench_started"] = time.time()

        def after(model: OperationModel, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            if model.name == "FilterLogEvents" and "bench_started" in context:
                messages = [event.get("message", "") for event in parsed.get("events", [])]
                with self._lock:
                    self.calls.append((context["bench_started"], time.time(), messages))

        client.meta.events.register_last("before-call", before, unique_id="bench-detect-before")
        client.meta.events.register_last("after-call", after, unique_id="bench-detect-after")

    def first_returning(self, marker: str) -> tuple[float, float] | None:
        with self._lock:
            return next(((s, e) for s, e, messages in self.calls if any(marker in m for m in messages)), None)

    def started_between(self, after: float, before: float) -> int:
        with self._lock:
            return sum(1 for started, _ended, _messages in self.calls if after < started < before)

    def gaps(self) -> list[float]:
        """Seconds between the starts of consecutive scans: the check's real cadence."""
        with self._lock:
            starts = sorted(started for started, _ended, _messages in self.calls)
        return [later - earlier for earlier, later in pairwise(starts)]

    def count(self) -> int:
        with self._lock:
            return len(self.calls)


@dataclass(frozen=True)
class Trial:
    number: int
    marker: str
    put_at: float
    posted_at: float
    scan: tuple[float, float] | None
    scans_before: int
    """FilterLogEvents calls that started after the put and did not return the event (should be 0)."""

    @property
    def seconds(self) -> float:
        return self.posted_at - self.put_at

    @property
    def wait(self) -> float | None:
        return None if self.scan is None else self.scan[0] - self.put_at

    @property
    def scan_to_post(self) -> float | None:
        return None if self.scan is None else self.posted_at - self.scan[0]


def put_error(moto: MotoHandle, marker: str, trial: int) -> float:
    """Write the trial's error event (blocking); returns the wall time at which put_log_events returned."""
    logs = sandbox_client(moto.endpoint, "logs", REGION)
    event = {"timestamp": int(time.time() * 1000), "message": error_message(marker, trial)}
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=LOG_STREAM, logEvents=[event])
    return time.time()


def post_naming(slack: LocalSlack, marker: str) -> ApiCall | None:
    for call in slack.calls_to("chat.postMessage"):
        if call.ok and "thread_ts" not in call.params and marker in json.dumps(call.params):
            return call
    return None


async def one_trial(slack: LocalSlack, moto: MotoHandle, scans: Scans, number: int, patience: float) -> Trial:
    marker = f"DetectTrial{number:02d}Error"
    put_at = await asyncio.to_thread(put_error, moto, marker, number)
    call = await slack.wait_for(lambda: post_naming(slack, marker), timeout=patience)
    scan = scans.first_returning(marker)
    return Trial(number, marker, put_at, call.time, scan, scans.started_between(put_at, scan[0] if scan else math.inf))


async def measure(args: argparse.Namespace) -> tuple[list[Trial], float, list[float]]:
    """The trials (warm-up ones dropped), the seconds until the first check run, and the gaps between scans."""
    rng = random.Random(args.seed)
    moto = start_moto()
    trials: list[Trial] = []
    try:
        with environment(moto.environment(REGION)):
            logs = sandbox_client(moto.endpoint, "logs", REGION)
            logs.create_log_group(logGroupName=LOG_GROUP)
            logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=LOG_STREAM)
            async with LocalSlack() as slack:
                slack.add_channel(CHANNEL)
                with tempfile.TemporaryDirectory(prefix="bench-detection-") as folder:
                    env = slack.environment() | {"BOLTWATCH_DATABASE_URL": f"sqlite:///{Path(folder) / 'detection.db'}"}
                    settings = settings_from_mapping(config(args.every), env)
                    app = create_app(settings, aws_endpoint_url=moto.endpoint, background=True)
                    scans = Scans()
                    scans.hook(app.services.aws.client("logs", account="default", region=REGION))
                    started = time.time()
                    await app.start(host="127.0.0.1", port=0)
                    try:
                        while not scans.count():
                            if time.time() - started > 60:
                                raise TimeoutError("the log_errors check never ran")
                            await asyncio.sleep(0.01)
                        first_scan = time.time() - started
                        timeout = 6 * args.every + 30
                        for number in range(args.warmup + args.trials):
                            await asyncio.sleep(rng.uniform(0.5, 0.5 + args.every))
                            trial = await one_trial(slack, moto, scans, number, timeout)
                            if number >= args.warmup:
                                trials.append(trial)
                                print_trial(trial, len(trials))
                    finally:
                        await app.stop()
    finally:
        moto.stop()
    return trials, first_scan, scans.gaps()


def print_trial(trial: Trial, index: int) -> None:
    wait = "   ?" if trial.wait is None else f"{trial.wait:5.2f}"
    after = "   ?" if trial.scan_to_post is None else f"{trial.scan_to_post:5.2f}"
    extra = f"  ({trial.scans_before} earlier scans missed it)" if trial.scans_before else ""
    print(
        f"  trial {index:2d}  {trial.marker}  detect {trial.seconds:5.2f} s  = wait for scan {wait} s"
        f" + scan→post {after} s{extra}",
        flush=True,
    )


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def run(args: argparse.Namespace) -> int:
    sources = list(dict.fromkeys(args.source or SOURCES))
    if args.engine == "procrastinate" and (sources != ["push"] or not args.postgres):
        print("--engine procrastinate measures --source push only, and needs --postgres URL (or "
              "$BOLTWATCH_TEST_DATABASE_URL)")  # fmt: skip
        return 2
    runs = {"poll": run_poll, "push": run_push, "live": run_live}
    results = {source: runs[source](args) for source in sources}
    if len(results) > 1:
        print("summary: " + "; ".join(f"{source} p50 {p50:.2f} s p95 {p95:.2f} s" for source, (p50, p95, _) in
                                        results.items()))  # fmt: skip
    load = os.getloadavg()
    print(f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0 if all(met for _p50, _p95, met in results.values()) else 1


def run_push(args: argparse.Namespace) -> tuple[float, float, bool]:
    postgres = args.postgres if args.engine == "procrastinate" else None
    if postgres is None:
        print(f"detection, push: {args.trials} trials (+{args.warmup} warm-up), set_alarm_state → SNS topic → "
              f"signing relay → POST /aws/sns → Slack post; real clock", flush=True)  # fmt: skip
    else:
        print(f"detection, push, distributed engine: {args.trials} trials (+{args.warmup} warm-up) alternating "
              "set_alarm_state → SNS → relay → web replica → Slack post, and an EC2 instance AWS stops → its "
              "EventBridge event through SNS → web replica queues ec2_status for its target → worker runs it → "
              "Slack post; ec2_status also every 30 s over 4 regions (us-east-1's job of each tick waits 11.25 s); "
              "PostgreSQL; real clock", flush=True)  # fmt: skip
    print(f"  note: {detection_push.NOTE}", flush=True)

    def report(trial: detection_push.PushTrial, index: int) -> None:
        after = trial.seconds - trial.to_delivery
        waited = "" if trial.waiting is None else f"  (its target's job waited, due {trial.waiting:.1f} s later)"
        print(
            f"  trial {index:2d}  {trial.kind:5s} {trial.alarm}  detect {trial.seconds:5.2f} s  = set→delivered "
            f"{trial.to_delivery:5.2f} s + delivered→post {after:5.2f} s{waited}",
            flush=True,
        )

    trials = asyncio.run(detection_push.measure_push(args.trials, args.warmup, random.Random(args.seed), report,
                                                     postgres=postgres))  # fmt: skip
    seconds = [t.seconds for t in trials]
    p50, p95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
    delivery = [t.to_delivery for t in trials]
    print(f"push detect p50 {p50:.2f} s  p95 {p95:.2f} s  max {max(seconds):.2f} s  (nearest rank, n={len(seconds)})")
    print(f"  set→delivered p50 {percentile(delivery, 0.5):.2f} s  p95 {percentile(delivery, 0.95):.2f} s")
    if postgres is not None:
        for kind in ("alarm", "ec2"):
            of_kind = [t.seconds for t in trials if t.kind == kind]
            if of_kind:
                print(f"  {kind:5s} p50 {percentile(of_kind, 0.5):.2f} s  p95 {percentile(of_kind, 0.95):.2f} s  "
                      f"max {max(of_kind):.2f} s  (n={len(of_kind)})")  # fmt: skip
        behind = [t.seconds for t in trials if t.waiting is not None]
        print(f"  ec2 events that came while the target's job waited: {len(behind)}"
              + (f", detect max {max(behind):.2f} s" if behind else ""))  # fmt: skip
    met = p95 <= PUSH_TARGET_SECONDS
    print(f"push target p95 ≤ {PUSH_TARGET_SECONDS:g} s: {'PASS' if met else 'FAIL'}", flush=True)
    return p50, p95, met


def run_live(args: argparse.Namespace) -> tuple[float, float, bool]:
    print(
        f"detection, live: {args.trials} trials (+{args.warmup} warm-up), put_log_events → Live Tail session → "
        "log_errors (mode: live, every 1h) → Slack post; one new error group a trial; real clock",
        flush=True,
    )
    print(f"  note: {detection_live.NOTE}", flush=True)

    def report(trial: detection_live.LiveTrial, index: int) -> None:
        print(f"  trial {index:2d}  {trial.marker}  detect {trial.seconds:5.2f} s", flush=True)

    trials = asyncio.run(
        detection_live.measure_live(
            args.trials, args.warmup, random.Random(args.seed), error_message, post_naming, report
        )
    )
    seconds = [t.seconds for t in trials]
    p50, p95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
    print(f"live detect p50 {p50:.2f} s  p95 {p95:.2f} s  max {max(seconds):.2f} s  (nearest rank, n={len(seconds)})")
    met = p95 <= PUSH_TARGET_SECONDS
    print(f"live target p95 ≤ {PUSH_TARGET_SECONDS:g} s: {'PASS' if met else 'FAIL'}", flush=True)
    return p50, p95, met


def run_poll(args: argparse.Namespace) -> tuple[float, float, bool]:
    load = os.getloadavg()
    print(
        f"detection, poll: {args.trials} trials (+{args.warmup} warm-up), log_errors every {args.every} s on "
        f"/aws/lambda/*, notify all, one new error group a trial; real clock; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    trials, first_scan, gaps = asyncio.run(measure(args))
    seconds = [t.seconds for t in trials]
    p50, p95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
    target = args.every + SLACK_MARGIN_SECONDS
    waits = [t.wait for t in trials if t.wait is not None]
    after = [t.scan_to_post for t in trials if t.scan_to_post is not None]
    print(f"first check run {first_scan:.2f} s after start")
    if gaps:
        print(
            f"check cadence: {len(gaps) + 1} scans, gap between scans min {min(gaps):.2f} s  "
            f"p50 {percentile(gaps, 0.5):.2f} s  max {max(gaps):.2f} s (every {args.every} s ± jitter)"
        )
    print(f"poll detect p50 {p50:.2f} s  p95 {p95:.2f} s  max {max(seconds):.2f} s  (nearest rank, n={len(seconds)})")
    if waits and after:
        print(
            f"  wait     p50 {percentile(waits, 0.5):.2f} s  p95 {percentile(waits, 0.95):.2f} s  "
            f"max {max(waits):.2f} s"
        )
        print(
            f"  scan→post p50 {percentile(after, 0.5):.2f} s  p95 {percentile(after, 0.95):.2f} s  "
            f"max {max(after):.2f} s"
        )
    met = p95 <= target
    print(f"poll target p95 ≤ {target:g} s: {'PASS' if met else 'FAIL'}", flush=True)
    return p50, p95, met
