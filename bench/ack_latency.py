"""Ack latency: 200 concurrent signed slash commands during a check cycle, the bot against a bare Bolt app.

`/boltwatch help` (answered in the ack, which is what Slack's 3 s deadline measures) is sent to the real bot while
a `lambda_errors` check runs, and to a bare Bolt app answering the same commands, in the same run. Target: p99 ≤
1.3 × the bare app's and under 150 ms, with every request answered 200.

Layout (one process each, so neither app shares a GIL or an event loop with the load generator or the other app):

- infra:     moto (seeded with `seed_estate`) and the local Slack the bot posts to;
- bare:      `slack_bolt.async_app.AsyncApp`, one `/boltwatch` listener that acks a short text, behind aiohttp;
- boltwatch: the real bot from `create_app` (SQLite in a temporary directory, the real clock, scheduler and
             outbox drainer running) with a `lambda_errors` check every 5 s against moto;
- this process sends the commands: signed ahead of time, then 200 at once with `asyncio.gather` over a fresh
  aiohttp session (no connector limit), timing each one from `post()` to the end of the response body.

The bot runs its checks once at start-up on its own scheduler; then the scheduler is paused so that check runs
happen only when the benchmark starts them: before each bot burst a cycle is started in the bot
(`runner.run_all_now()` as a task) and the burst is sent as soon as it has begun, and no cycle runs while the bare
app is measured. The bot reports when its runs happened, so the table shows how much of each burst they covered.
Each app child also samples its own event-loop lag (a 5 ms sleep that wakes late) and its CPU time for the burst
windows. After a warm-up (20 sequential commands, then one unmeasured burst) bursts alternate which app goes
first. Exit status 1 when a target is missed.

    .venv/bin/python -m bench.ack_latency [--requests 200] [--repeats 3] [--warmup 20] [--check lambda_errors]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import logging
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

SECRET = "bench-ack-latency-signing-secret"
COMMAND = "/boltwatch"
TEXT = "help"
RATIO_TARGET = 1.3
P99_TARGET_MS = 150.0
LAG_PROBE_SECONDS = 0.005
CHECKS: dict[str, dict[str, Any]] = {
    "lambda_errors": {"type": "lambda_errors", "every": "5s"},
    "cloudwatch_alarms": {"type": "cloudwatch_alarms", "every": "5s"},
    "log_errors": {"type": "log_errors", "every": "5s", "log_groups": ["/aws/lambda/*"], "first_look_back": "2h"},
}
READY_TIMEOUT = 180.0
ROOT = Path(__file__).resolve().parent.parent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=200, help="concurrent commands per burst (default 200)")
    parser.add_argument("--repeats", type=int, default=3, help="bursts per app (default 3)")
    parser.add_argument("--warmup", type=int, default=20, help="sequential commands per app first (default 20)")
    parser.add_argument(
        "--warmup-bursts",
        type=int,
        default=1,
        help="unmeasured concurrent bursts per app after the warm-up (default 1: the first burst of each app"
        " after start-up is several times slower, for both apps alike)",
    )
    parser.add_argument(
        "--check",
        action="append",
        choices=sorted(CHECKS),
        help="check(s) the bot runs every 5 s (default lambda_errors; repeat the option for more)",
    )
    parser.add_argument(
        "--no-cycle", action="store_true", help="don't start a check cycle before each bot burst (for comparison)"
    )
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="reuse one client session per app, so measured bursts ride connections opened by the warm-up burst"
        " (default: a fresh session and 200 new connections per burst)",
    )
    parser.add_argument(
        "--gc-freeze",
        choices=["listening", "after-first-run"],
        help="what-if: gc.collect() and gc.freeze() in the bot once it listens (as a patch to BoltwatchApp.start"
        " would), or after its first check run too (once boto3 has loaded its service models), so that full"
        " collections no longer walk the start-up heap",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each app's event-loop thread during its last burst and print the top functions",
    )
    parser.add_argument(
        "--loop-debug",
        action="store_true",
        help="run the bot's loop in asyncio debug mode and log callbacks slower than 20 ms (slows it down)",
    )


# --- the load generator ---------------------------------------------------------------------------------------


@dataclass
class Burst:
    app: str
    latencies_ms: list[float]
    statuses: list[int]
    started: float
    ended: float
    cycle_cover: float | None = None
    loop_lag_ms: float = 0.0
    gc_ms: float = 0.0
    gc_max_ms: float = 0.0
    cpu_s: float = 0.0
    loop_cpu_s: float = 0.0
    sender_cpu_s: float = 0.0

    @property
    def non_200(self) -> int:
        return sum(1 for status in self.statuses if status != 200)

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / len(self.latencies_ms)

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def signed_requests(n: int, *, first: int = 0) -> list[tuple[bytes, dict[str, str]]]:
    """`n` distinct slash-command requests, as Slack signs them (form body, v0 HMAC over timestamp and body)."""
    from bot.sandbox.slack import signature
    from bot.sandbox.slack.payloads import VERIFICATION_TOKEN
    from bot.sandbox.slack.workspace import APP_ID, TEAM_DOMAIN, TEAM_ID

    timestamp = str(int(time.time()))
    requests = []
    for i in range(first, first + n):
        body = urlencode(
            {
                "token": VERIFICATION_TOKEN,
                "team_id": TEAM_ID,
                "team_domain": TEAM_DOMAIN,
                "channel_id": "C0ALERTS",
                "channel_name": "alerts",
                "user_id": "U0ALICE",
                "user_name": "alice",
                "command": COMMAND,
                "text": TEXT,
                "api_app_id": APP_ID,
                "is_enterprise_install": "false",
                "response_url": f"http://127.0.0.1:9/response_url/bench-{i}",
                "trigger_id": f"bench.{i}.{timestamp}",
            }
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature(SECRET, timestamp, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        requests.append((body.encode(), headers))
    return requests


async def _one(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        status = 0
    return (time.perf_counter() - started) * 1000, status


def new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=10))


async def send_burst(app: str, url: str, n: int, first: int, session: aiohttp.ClientSession | None = None) -> Burst:
    """`n` commands at once; over `session` when given, else over a fresh session (so n new connections)."""
    requests = signed_requests(n, first=first)
    async with AsyncExitStack() as stack:
        if session is None:
            session = await stack.enter_async_context(new_session())
        started = time.monotonic()
        results = await asyncio.gather(*(_one(session, url, body, headers) for body, headers in requests))
        ended = time.monotonic()
    return Burst(app, [r[0] for r in results], [r[1] for r in results], started, ended)


async def warm_up(url: str, n: int) -> None:
    async with aiohttp.ClientSession() as session:
        for body, headers in signed_requests(n, first=10_000_000):
            _elapsed, status = await _one(session, url, body, headers)
            if status != 200:
                raise RuntimeError(f"warm-up request to {url} answered {status}")


@dataclass
class Child:
    role: str
    process: asyncio.subprocess.Process
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.info['control_port']}"

    async def stop(self) -> None:
        if self.process.returncode is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def spawn(role: str, spec: dict[str, Any]) -> Child:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.ack_latency",
        "--serve",
        role,
        "--spec",
        json.dumps(spec),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
    )
    child = Child(role, process)
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT)
    if not line:
        await process.wait()
        raise RuntimeError(f"the {role} process exited with {process.returncode} before it was ready")
    child.info = json.loads(line)
    return child


async def control(session: aiohttp.ClientSession, child: Child, path: str, **params: Any) -> Any:
    async with session.post(child.control + path, json=params) as response:
        response.raise_for_status()
        return await response.json()


def overlap(cycles: list[list[float]], start: float, end: float) -> float:
    """The fraction of [start, end] during which some check run was in flight."""
    covered, cursor = 0.0, start
    for c_start, c_end in sorted(cycles):
        lo, hi = max(c_start, cursor), min(c_end, end)
        if hi > lo:
            covered += hi - lo
            cursor = hi
    return covered / (end - start) if end > start else 0.0


def cpu_pressure() -> str:
    """The kernel's CPU pressure (PSI): the share of time some runnable task waited for a CPU."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return "cpu pressure n/a"
    fields = dict(item.split("=") for item in some[1:])
    return f"cpu pressure (some) avg10 {fields['avg10']}% avg60 {fields['avg60']}%"


def print_table(bursts: list[Burst]) -> dict[str, dict[str, float]]:
    header = (
        f"{'app':<10} {'burst':>5} {'requests':>8} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'non-200':>7}"
        f" {'loop lag':>8} {'cpu/req':>7} {'gc':>6} {'gc max':>6} {'cycle':>6}"
    )
    print(header)
    print("-" * len(header))
    medians: dict[str, dict[str, float]] = {}
    for app in ("bare", "boltwatch"):
        mine = [b for b in bursts if b.app == app]
        for index, b in enumerate(mine, 1):
            cover = "-" if b.cycle_cover is None else f"{b.cycle_cover:.0%}"
            print(
                f"{app:<10} {index:>5} {len(b.latencies_ms):>8} {b.pct(50):>8.1f} {b.pct(90):>8.1f} {b.pct(99):>8.1f}"
                f" {max(b.latencies_ms):>8.1f} {b.non_200:>7} {b.loop_lag_ms:>8.1f} {b.cpu_ms_per_request:>7.2f}"
                f" {b.gc_ms:>6.1f} {b.gc_max_ms:>6.1f} {cover:>6}"
            )
        stats = {
            "requests": statistics.median(len(b.latencies_ms) for b in mine),
            "p50": statistics.median(b.pct(50) for b in mine),
            "p90": statistics.median(b.pct(90) for b in mine),
            "p99": statistics.median(b.pct(99) for b in mine),
            "max": statistics.median(max(b.latencies_ms) for b in mine),
            "non_200": sum(b.non_200 for b in mine),
        }
        medians[app] = stats
        print(
            f"{app:<10} {'med':>5} {stats['requests']:>8.0f} {stats['p50']:>8.1f} {stats['p90']:>8.1f}"
            f" {stats['p99']:>8.1f} {stats['max']:>8.1f} {stats['non_200']:>7.0f}"
        )
        pooled = [latency for b in mine for latency in b.latencies_ms]
        print(
            f"{app:<10} {'all':>5} {len(pooled):>8} {percentile(pooled, 50):>8.1f} {percentile(pooled, 90):>8.1f}"
            f" {percentile(pooled, 99):>8.1f} {max(pooled):>8.1f} {stats['non_200']:>7.0f}"
        )
    print("(ms; med = median over bursts, all = every request of every burst; loop lag = worst late wake-up of")
    print(" the app's event loop during the burst; cpu/req = the app process's CPU time during the burst / requests;")
    print(" gc, gc max = total and longest garbage collection pause in the app process during the burst;")
    print(" cycle = share of the burst during which a check run was in flight in the bot)")
    return medians


async def measure(args: argparse.Namespace) -> int:
    checks = args.check or ["lambda_errors"]
    load = os.getloadavg()
    print(f"ack latency: {args.requests} concurrent `{COMMAND} {TEXT}` x {args.repeats} bursts per app")
    print(
        f"machine: {os.cpu_count()} cpus, load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f},"
        f" {cpu_pressure()}"
    )
    print(f"bot checks: {', '.join(json.dumps(CHECKS[c]) for c in checks)}")
    connections = "kept alive from the warm-up burst" if args.keep_alive else f"{args.requests} new ones per burst"
    print(f"connections: {connections}")
    children: list[Child] = []
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as workdir:
        stack = AsyncExitStack()
        try:
            infra = await spawn("infra", {})
            children.append(infra)
            slack = {"slack_api": infra.info["slack_api"], "bot_token": infra.info["bot_token"]}
            bot_spec = slack | {
                "moto": infra.info["moto"],
                "database_url": f"sqlite:///{Path(workdir) / 'boltwatch.db'}",
                "checks": [CHECKS[c] for c in checks],
                "loop_debug": args.loop_debug,
                "gc_freeze": args.gc_freeze,
            }
            bare, bot = await asyncio.gather(spawn("bare", slack), spawn("boltwatch", bot_spec))
            children += [bare, bot]
            print(
                f"processes: infra pid {infra.process.pid} (moto, local Slack; seeded {infra.info['functions']}"
                f" functions), bare pid {bare.process.pid}, boltwatch pid {bot.process.pid}, sender pid {os.getpid()}"
            )

            apps = {"bare": bare, "boltwatch": bot}
            sessions: dict[str, aiohttp.ClientSession | None] = {name: None for name in apps}
            if args.keep_alive:
                sessions = {name: await stack.enter_async_context(new_session()) for name in apps}
            for name, child in apps.items():
                await warm_up(child.info["url"], args.warmup)
                for extra in range(args.warmup_bursts):
                    await send_burst(
                        "warm-up", child.info["url"], args.requests, 50_000_000 + extra * 100_000, sessions[name]
                    )
            bursts: list[Burst] = []
            profiles: dict[str, str] = {}
            async with aiohttp.ClientSession() as http:
                # The scheduler has run the check once at start-up; now only the bursts decide when it runs,
                # so that no bot cycle competes for the CPUs while the bare app is measured.
                tracked = (await control(http, bot, "/quiet", first=True))["objects"]
                print(
                    f"objects tracked by the garbage collector after start-up: bare {bare.info['objects']},"
                    f" boltwatch {bot.info['objects']} when listening, {tracked} after its start-up check run"
                    + (f"; gc.freeze() in the bot: {args.gc_freeze}" if args.gc_freeze else "")
                )
                for repeat in range(args.repeats):
                    order = ["bare", "boltwatch"] if repeat % 2 == 0 else ["boltwatch", "bare"]
                    for name in order:
                        child = apps[name]
                        await control(http, bot, "/quiet")
                        await asyncio.sleep(0.5)
                        if name == "boltwatch" and not args.no_cycle:
                            await control(http, child, "/cycle")
                        profiling = args.profile and repeat == args.repeats - 1
                        if profiling:
                            await control(http, child, "/profile", on=True)
                        cpu_before = await control(http, child, "/cpu")
                        sender_before = resource.getrusage(resource.RUSAGE_SELF)
                        burst = await send_burst(
                            name, child.info["url"], args.requests, repeat * 100_000, sessions[name]
                        )
                        sender_after = resource.getrusage(resource.RUSAGE_SELF)
                        cpu_after = await control(http, child, "/cpu")
                        if profiling:
                            profiles[name] = (await control(http, child, "/profile", on=False))["top"]
                        burst.cpu_s = cpu_after["cpu"] - cpu_before["cpu"]
                        burst.loop_cpu_s = cpu_after["loop_cpu"] - cpu_before["loop_cpu"]
                        burst.sender_cpu_s = (sender_after.ru_utime + sender_after.ru_stime) - (
                            sender_before.ru_utime + sender_before.ru_stime
                        )
                        lag = await control(http, child, "/lag", start=burst.started, end=burst.ended)
                        burst.loop_lag_ms = lag["max_ms"]
                        burst.gc_ms, burst.gc_max_ms = lag["gc_ms"], lag["gc_max_ms"]
                        await asyncio.sleep(0.2)
                        runs = await control(http, bot, "/runs")
                        burst.cycle_cover = overlap(runs["runs"], burst.started, burst.ended)
                        bursts.append(burst)
                runs = await control(http, bot, "/runs")
        finally:
            await stack.aclose()
            for child in reversed(children):
                await child.stop()
    print()
    medians = print_table(bursts)
    for app in ("bare", "boltwatch"):
        mine = [b for b in bursts if b.app == app]
        loop_ms = statistics.median(b.loop_cpu_s * 1000 / len(b.latencies_ms) for b in mine)
        sender_ms = statistics.median(b.sender_cpu_s * 1000 / len(b.latencies_ms) for b in mine)
        print(
            f"{app}: CPU per request, median over bursts: {loop_ms:.2f} ms on the app's event-loop thread"
            f" (the rest of cpu/req is its other threads), {sender_ms:.2f} ms in the sender"
        )
    bare_p99, bot_p99 = medians["bare"]["p99"], medians["boltwatch"]["p99"]
    ratio = bot_p99 / bare_p99
    durations = [end - start for start, end in runs["runs"]]
    if durations:
        print(
            f"check runs in the bot: {len(durations)}, each {min(durations) * 1000:.0f}-{max(durations) * 1000:.0f} ms"
            f" (median {statistics.median(durations) * 1000:.0f} ms); warnings logged by the bot: {runs['errors']}"
        )
    pairs = [
        with_bot.pct(99) / with_bare.pct(99)
        for with_bare, with_bot in zip(
            [b for b in bursts if b.app == "bare"], [b for b in bursts if b.app == "boltwatch"], strict=True
        )
    ]
    print(
        "p99 ratio of each adjacent (bare, boltwatch) pair of bursts: "
        + ", ".join(f"{r:.2f}" for r in pairs)
        + f"; median {statistics.median(pairs):.2f}"
    )
    pooled = {app: percentile([x for b in bursts if b.app == app for x in b.latencies_ms], 99) for app in medians}
    print(
        f"p99 over every request (not judged): boltwatch / bare = {pooled['boltwatch']:.1f} / {pooled['bare']:.1f}"
        f" = {pooled['boltwatch'] / pooled['bare']:.2f}"
    )
    ratio_ok = ratio <= RATIO_TARGET
    p99_ok = bot_p99 < P99_TARGET_MS
    errors_ok = medians["bare"]["non_200"] == 0 and medians["boltwatch"]["non_200"] == 0
    print(
        f"p99 boltwatch / bare = {bot_p99:.1f} / {bare_p99:.1f} = {ratio:.2f}"
        f" (target <= {RATIO_TARGET}): {'PASS' if ratio_ok else 'FAIL'}"
    )
    print(f"p99 boltwatch {bot_p99:.1f} ms (target < {P99_TARGET_MS:.0f} ms): {'PASS' if p99_ok else 'FAIL'}")
    print(f"non-200 answers: {'PASS' if errors_ok else 'FAIL'}")
    load = os.getloadavg()
    print(f"load average after the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {cpu_pressure()}")
    for app, top in profiles.items():
        print(f"\n--- profile of the {app} event-loop thread during its last burst (cProfile, by own time)")
        print(top.strip())
    passed = ratio_ok and p99_ok and errors_ok
    print("RESULT:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


def run(args: argparse.Namespace | None = None) -> int:
    if args is None:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        args = parser.parse_args([])
    return asyncio.run(measure(args))


# --- the child processes --------------------------------------------------------------------------------------


class LagProbe:
    """Samples how late a short sleep wakes up: a blocked or starved event loop shows up as lag."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=200_000)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._probe())

    async def _probe(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            after = time.monotonic()
            self.samples.append((after, after - before - LAG_PROBE_SECONDS))

    def worst(self, start: float, end: float) -> float:
        return max((lag for at, lag in self.samples if start <= at <= end + 0.05), default=0.0)


class GcProbe:
    """Records every garbage collection: when it ended, how long it stopped the process, which generation."""

    def __init__(self) -> None:
        self.collections: deque[tuple[float, float, int]] = deque(maxlen=100_000)
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections.append((time.monotonic(), time.perf_counter() - self._started, info["generation"]))

    def during(self, start: float, end: float) -> tuple[float, float]:
        """Total and longest pause (seconds) of the collections that ended in [start, end]."""
        pauses = [pause for at, pause, _gen in self.collections if start <= at <= end]
        return sum(pauses), max(pauses, default=0.0)


async def serve_control(routes: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]) -> int:
    async def handle(request: web.Request) -> web.Response:
        params = await request.json() if request.can_read_body else {}
        return web.json_response(await routes[request.path](params))

    webapp = web.Application()
    for path in routes:
        webapp.router.add_post(path, handle)
    runner = web.AppRunner(webapp, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def until_stdin_closes() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()


def objects() -> int:
    """Objects the cyclic garbage collector tracks: what a full collection has to walk."""
    return len(gc.get_objects())


def ready(info: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()


def common_routes(probe: LagProbe, collector: GcProbe) -> dict[str, Callable[[dict[str, Any]], Awaitable[Any]]]:
    async def lag(params: dict[str, Any]) -> dict[str, float]:
        total, longest = collector.during(params["start"], params["end"])
        return {
            "max_ms": probe.worst(params["start"], params["end"]) * 1000,
            "gc_ms": total * 1000,
            "gc_max_ms": longest * 1000,
        }

    async def cpu(_params: dict[str, Any]) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"cpu": usage.ru_utime + usage.ru_stime, "loop_cpu": time.thread_time()}

    profiler = cProfile.Profile()

    async def profile(params: dict[str, Any]) -> dict[str, str]:
        """Profile the event-loop thread (where acks are made) between `on` and `off`; answer the top functions."""
        if params["on"]:
            profiler.enable()
            return {"top": ""}
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(params.get("lines", 25))
        return {"top": out.getvalue()}

    return {"/lag": lag, "/cpu": cpu, "/profile": profile}


async def serve_infra(_spec: dict[str, Any]) -> None:
    from bot.sandbox.aws import seed_estate, start_moto
    from bot.sandbox.slack import LocalSlack

    moto = start_moto()
    slack = await LocalSlack(signing_secret=SECRET).start()
    estate = await asyncio.to_thread(seed_estate, moto.endpoint)
    ready(
        {
            "moto": moto.endpoint,
            "slack_api": slack.api_url,
            "bot_token": slack.bot_token,
            "functions": len(estate.functions),
            "control_port": 0,
        }
    )
    try:
        await until_stdin_closes()
    finally:
        await slack.stop()
        moto.stop()


async def serve_bare(spec: dict[str, Any]) -> None:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    # Wired to the local Slack like the bot, so that Bolt's one auth.test (cached) has somewhere to go.
    client = AsyncWebClient(token=spec["bot_token"], base_url=spec["slack_api"])
    bolt = AsyncApp(signing_secret=SECRET, client=client)

    @bolt.command(COMMAND)
    async def answer(ack: Any) -> None:
        await ack(response_type="ephemeral", text="Boltwatch: /boltwatch help|status|incidents|checks|mute")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    webapp = web.Application()
    webapp.router.add_post("/slack/events", events)
    runner = web.AppRunner(webapp, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    probe = LagProbe()
    probe.start()
    collector = GcProbe()
    control_port = await serve_control(common_routes(probe, collector))
    ready({"url": f"http://127.0.0.1:{port}/slack/events", "control_port": control_port, "objects": objects()})
    try:
        await until_stdin_closes()
    finally:
        await runner.cleanup()


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def serve_boltwatch(spec: dict[str, Any]) -> None:
    from bot.app import create_app
    from bot.config import settings_from_mapping

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    loop = asyncio.get_running_loop()
    if spec["loop_debug"]:
        loop.set_debug(True)
        loop.slow_callback_duration = 0.02
        logging.getLogger("asyncio").setLevel(logging.WARNING)
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    config = {
        "slack": {"channel": "#alerts"},
        "aws": {"regions": ["us-east-1"], "max_attempts": 1},
        "checks": spec["checks"],
    }
    env = {
        "SLACK_BOT_TOKEN": spec["bot_token"],
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": spec["slack_api"],
        "BOLTWATCH_DATABASE_URL": spec["database_url"],
    }
    app = create_app(settings_from_mapping(config, env), aws_endpoint_url=spec["moto"])
    runs: list[list[float]] = []
    run_check = app.runner.run_check

    async def timed_run_check(configured: Any) -> Any:
        started = time.monotonic()
        try:
            return await run_check(configured)
        finally:
            runs.append([started, time.monotonic()])

    # Recorded so the load generator can tell whether a run was in flight during a burst; the scheduler's
    # jobs are added in start(), so they pick this wrapper up too.
    app.runner.run_check = timed_run_check  # type: ignore[method-assign]
    port = await app.start(host="127.0.0.1", port=0)
    if spec["gc_freeze"] == "listening":
        gc.collect()
        gc.freeze()
    probe = LagProbe()
    probe.start()
    collector = GcProbe()
    cycles: set[asyncio.Task[None]] = set()

    async def cycle(_params: dict[str, Any]) -> dict[str, bool]:
        task = asyncio.create_task(app.runner.run_all_now())
        cycles.add(task)
        task.add_done_callback(cycles.discard)
        await asyncio.sleep(0)  # let it begin before the burst is sent
        return {"started": True}

    async def list_runs(_params: dict[str, Any]) -> dict[str, Any]:
        return {"runs": runs, "errors": errors.count}

    async def quiet(params: dict[str, Any]) -> dict[str, int]:
        """Stop scheduled runs and wait for those in flight: from here on, runs happen only on `/cycle`."""
        app.scheduler.pause()
        await app.runner.finish_running(60)
        await asyncio.gather(*cycles, return_exceptions=True)
        tracked = objects()
        if params.get("first") and spec["gc_freeze"] == "after-first-run":
            gc.collect()
            gc.freeze()
        return {"objects": tracked}

    routes = common_routes(probe, collector) | {"/cycle": cycle, "/runs": list_runs, "/quiet": quiet}
    control_port = await serve_control(routes)
    ready({"url": f"http://127.0.0.1:{port}/slack/events", "control_port": control_port, "objects": objects()})
    try:
        await until_stdin_closes()
    finally:
        await app.stop()


SERVERS = {"infra": serve_infra, "bare": serve_bare, "boltwatch": serve_boltwatch}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ack_latency", description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--serve", choices=sorted(SERVERS), help=argparse.SUPPRESS)
    parser.add_argument("--spec", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        asyncio.run(SERVERS[args.serve](json.loads(args.spec)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
