"""Ack latency: 200 concurrent signed slash commands during a check cycle, the bot against a bare Bolt app.

`/boltwatch help` (answered in the ack, which is what Slack's 3 s deadline measures) is sent to the real bot while
a `lambda_errors` check runs, and to a bare Bolt app answering the same commands, in the same run. Target: p99 ≤
1.3 × the bare app's and under 150 ms, with every request answered 200.

Layout (one process each, so neither app shares a GIL or an event loop with the load generator or the other app):

- infra:     moto (seeded with `seed_estate`) and the local Slack the bot posts to;
- bare:      `slack_bolt.async_app.AsyncApp`, one `/boltwatch` listener that acks a short text, behind aiohttp;
- boltwatch: the real bot from `create_app` (SQLite in a temporary directory, the real clock, scheduler and
             outbox drainer running) with a `lambda_errors` check every 5 s against moto;
- this process sends the commands: signed and encoded ahead of time, then 200 at once, each over a new connection
  (`--keep-alive`: over connections opened by the warm-up burst), timing each from the connect to the last byte of
  the answer (bench/raw_http.py; `--sender aiohttp` uses aiohttp's client, which costs ~0.6 ms of CPU a request on
  the same two cores as the apps). The sender runs on uvloop when it is installed.

The bot runs on the event loop `boltwatch run` picks (uvloop when installed); the bare app on the standard
library's, as a bare Bolt app does (`--bare-loop uvloop` for like against like). Both listen with the bot's
accept queue (1,024), so that neither loses SYNs in a burst.

The bot runs its checks once at start-up on its own scheduler; then the scheduler is paused so that check runs
happen only when the benchmark starts them: before each bot burst a cycle is started in the bot
(`runner.run_all_now()` as a task) and the burst is sent as soon as it has begun, and no cycle runs while the bare
app is measured. The bot reports when its runs happened, so the table shows how much of each burst they covered,
and how long they waited for a pause in the commands: a run steps aside while Slack requests keep arriving
(bot/runtime/acks_first.py), up to 1 s a run, so a burst pays for at most the step under way when it came.
Each app child also samples its own event-loop lag (a 5 ms sleep that wakes late) and its CPU time for the burst
windows. After a warm-up (20 sequential commands, then one unmeasured burst) bursts alternate which app goes
first. Exit status 1 when a target is missed.

`--mode distributed` (issue 20) adds a third app, `web`: the bot's web role (`scheduler.engine: procrastinate`,
`--role web`, PostgreSQL in a schema of its own) answering the same bursts while the check cycle runs in a separate
`boltwatch worker` process (bench/ack_servers.py `worker`: `WorkerProcess`, as the CLI builds it). The estate gets
`--functions` (1,000) more functions, so every cycle, the embedded bot's and the worker's alike, is a 1,000-function
`lambda_errors` cycle. The worker's check runs once a day, so it runs cycles only when the bench defers a tick
(before each web burst, as the periodic deferrer would; the burst is sent once the target's run has begun). Its rows
and verdicts follow the bot's; the default run's output is unchanged.

    .venv/bin/python -m bench.ack_latency [--requests 200] [--repeats 3] [--warmup 20] [--check lambda_errors]
    BOLTWATCH_TEST_DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench ack_latency --mode distributed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from bench import raw_http
from bench.ack_report import Burst, cpu_pressure, overlap, percentile, print_table
from bench.common import postgres_schema
from bot.runtime import event_loop

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
SENDERS = {
    "raw": "pre-encoded requests over bare asyncio protocols (bench/raw_http.py)",
    "aiohttp": "aiohttp's client",
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
        help="keep connections open between bursts, so measured bursts ride connections opened by the warm-up burst"
        " (default: 200 new connections per burst)",
    )
    parser.add_argument(
        "--sender",
        choices=sorted(SENDERS),
        default="raw",
        help="how the commands are sent (default raw: pre-encoded bytes over bare asyncio protocols, so the sender"
        " takes as little of the shared CPUs as it can; aiohttp: aiohttp's client, ~0.6 ms of CPU per request)",
    )
    parser.add_argument(
        "--bare-loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="event loop of the bare app (default asyncio, as a bare Bolt app runs; the bot runs on uvloop when"
        " installed, as `boltwatch run` does)",
    )
    parser.add_argument(
        "--gc-freeze",
        choices=["listening", "after-first-run"],
        help="what-if: gc.collect() and gc.freeze() in the bot once it listens (as a patch to BoltwatchApp.start"
        " would), or after its first check run too (once boto3 has loaded its service models), so that full"
        " collections no longer walk the start-up heap",
    )
    parser.add_argument(
        "--baseline",
        choices=["bare", "stock-bot", "stock-bot-acks-first"],
        default="bare",
        help="what the bot is compared with (default bare: a bare Bolt app; stock-bot: the same bot on Bolt's own"
        " listener runner, with a check cycle before its bursts too; stock-bot-acks-first: the same, with check runs"
        " still stepping aside for Slack requests, told by a Bolt middleware)",
    )
    parser.add_argument(
        "--mode",
        choices=["embedded", "distributed"],
        default="embedded",
        help="embedded (default): the bot against the bare app; distributed: also the web role (`--role web`,"
        " PostgreSQL) while the check cycle runs on a separate `boltwatch worker`, over --functions more functions"
        " (needs BOLTWATCH_BENCH_DATABASE_URL or BOLTWATCH_TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--functions",
        type=int,
        default=1000,
        help="--mode distributed: Lambda functions added to the estate, so a cycle is a 1,000-function one for the"
        " embedded bot and the worker alike (default 1000)",
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


def signed_requests(n: int, *, first: int = 0) -> list[tuple[bytes, dict[str, str]]]:
    """`n` distinct slash-command requests, as Slack signs them (form body, v0 HMAC over timestamp and body)."""
    timestamp = str(int(time.time()))
    return [signed_command(COMMAND, TEXT, i, timestamp) for i in range(first, first + n)]


def signed_command(
    command: str, text: str, i: int, timestamp: str, response_url: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """Request number `i`: `command text` from alice in #alerts, signed as Slack signs it at `timestamp`."""
    from sandbox.slack import signature
    from sandbox.slack.payloads import VERIFICATION_TOKEN
    from sandbox.slack.workspace import APP_ID, TEAM_DOMAIN, TEAM_ID

    body = urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": "C0ALERTS",
            "channel_name": "alerts",
            "user_id": "U0ALICE",
            "user_name": "alice",
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or f"http://127.0.0.1:9/response_url/bench-{i}",
            "trigger_id": f"bench.{i}.{timestamp}",
        }
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(SECRET, timestamp, body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    return body.encode(), headers


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


class Sender:
    """Sends a burst to one app: with the light raw sender (default) or aiohttp's client; over new connections
    per burst, or over connections kept alive from the warm-up burst."""

    def __init__(self, url: str, *, kind: str, keep_alive: bool) -> None:
        parsed = urlsplit(url)
        self.url, self.kind, self.keep_alive = url, kind, keep_alive
        self.host, self.port, self.path = parsed.hostname or "127.0.0.1", parsed.port or 80, parsed.path
        self.session: aiohttp.ClientSession | None = None
        self.pool = raw_http.Pool(self.host, self.port)

    async def burst(self, app: str, n: int, first: int) -> Burst:
        """`n` commands at once."""
        requests = signed_requests(n, first=first)
        if self.kind == "raw":
            payloads = [
                raw_http.encode(self.host, self.port, self.path, body, headers, keep_alive=self.keep_alive)
                for body, headers in requests
            ]
            started = time.monotonic()
            if self.keep_alive:
                answers = await self.pool.burst(payloads)
            else:
                answers = await asyncio.gather(*(raw_http.one_shot(self.host, self.port, p) for p in payloads))
            ended = time.monotonic()
            return Burst(app, [a.elapsed_ms for a in answers], [a.status for a in answers], started, ended)
        async with AsyncExitStack() as stack:
            if self.keep_alive:
                if self.session is None:
                    self.session = new_session()
                session = self.session
            else:
                session = await stack.enter_async_context(new_session())
            started = time.monotonic()
            results = await asyncio.gather(*(_one(session, self.url, body, headers) for body, headers in requests))
            ended = time.monotonic()
        return Burst(app, [r[0] for r in results], [r[1] for r in results], started, ended)

    async def close(self) -> None:
        self.pool.close()
        if self.session is not None:
            await self.session.close()


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
        "bench.ack_servers",
        role,
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


async def measure(args: argparse.Namespace, database_url: str | None = None) -> int:
    checks = args.check or ["lambda_errors"]
    distributed = database_url is not None
    load = os.getloadavg()
    print(f"ack latency: {args.requests} concurrent `{COMMAND} {TEXT}` x {args.repeats} bursts per app")
    print(
        f"machine: {os.cpu_count()} cpus, load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f},"
        f" {cpu_pressure()}"
    )
    print(f"bot checks: {', '.join(json.dumps(CHECKS[c]) for c in checks)}")
    connections = "kept alive from the warm-up burst" if args.keep_alive else f"{args.requests} new ones per burst"
    print(f"sender: {SENDERS[args.sender]} on {event_loop.running_loop_name()}; connections: {connections}")
    children: list[Child] = []
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as workdir:
        stack = AsyncExitStack()
        try:
            infra = await spawn("infra", {"bench_functions": args.functions} if distributed else {})
            children.append(infra)
            slack = {"slack_api": infra.info["slack_api"], "bot_token": infra.info["bot_token"]}
            bot_spec = slack | {
                "moto": infra.info["moto"],
                "database_url": f"sqlite:///{Path(workdir) / 'boltwatch.db'}",
                "checks": [CHECKS[c] for c in checks],
                "loop_debug": args.loop_debug,
                "gc_freeze": args.gc_freeze,
                "event_loop": "auto",
            }
            bare_spec = slack | {"event_loop": args.bare_loop}
            if args.baseline.startswith("stock-bot"):
                stock_db = f"sqlite:///{Path(workdir) / 'stock.db'}"
                bare_spec = bot_spec | {
                    "database_url": stock_db,
                    "stock_runner": args.baseline.removeprefix("stock-bot-") or "plain",
                }
                bare, bot = await asyncio.gather(spawn("boltwatch", bare_spec), spawn("boltwatch", bot_spec))
            else:
                bare, bot = await asyncio.gather(spawn("bare", bare_spec), spawn("boltwatch", bot_spec))
            children += [bare, bot]
            apps = {"bare": bare, "boltwatch": bot}
            # Whose check runs each app's bursts get, and whose /runs tell when they ran.
            cyclers = {"boltwatch": bot} | ({"bare": bare} if args.baseline.startswith("stock-bot") else {})
            if distributed:
                # A day: the worker runs no periodic tick by itself; its cycles come when the bench defers a tick.
                daily = [CHECKS[c] | {"every": "1d"} for c in checks]
                web_spec = bot_spec | {"database_url": database_url, "engine": "procrastinate", "role": "web"}
                web = await spawn("boltwatch", web_spec | {"checks": daily})
                children.append(web)
                worker = await spawn("worker", slack | {"moto": infra.info["moto"], "database_url": database_url,
                                                        "checks": daily, "event_loop": "auto"})  # fmt: skip
                children.append(worker)
                apps["web"] = web
                cyclers["web"] = worker
                print(
                    f"distributed: web role pid {web.process.pid} on {web.info['event_loop']}, boltwatch worker pid"
                    f" {worker.process.pid} on {worker.info['event_loop']}, both on PostgreSQL"
                )
            print(
                f"processes: infra pid {infra.process.pid} (moto, local Slack; seeded {infra.info['functions']}"
                f" functions), bare pid {bare.process.pid} on {bare.info['event_loop']},"
                f" boltwatch pid {bot.process.pid} on {bot.info['event_loop']}, sender pid {os.getpid()}"
            )

            if args.baseline.startswith("stock-bot"):
                print("baseline: the rows named bare are the same bot on Bolt's stock listener runner (--baseline)")
            senders = {
                name: Sender(child.info["url"], kind=args.sender, keep_alive=args.keep_alive)
                for name, child in apps.items()
            }
            for sender in senders.values():
                stack.push_async_callback(sender.close)
            for name, child in apps.items():
                await warm_up(child.info["url"], args.warmup)
                for extra in range(args.warmup_bursts):
                    await senders[name].burst("warm-up", args.requests, 50_000_000 + extra * 100_000)
            bursts: list[Burst] = []
            profiles: dict[str, str] = {}
            async with aiohttp.ClientSession() as http:
                # The scheduler has run the check once at start-up; now only the bursts decide when it runs,
                # so that no bot cycle competes for the CPUs while the bare app is measured.
                tracked = (await control(http, bot, "/quiet", first=True))["objects"]
                bots = [bot, bare] if args.baseline.startswith("stock-bot") else [bot]
                for other in bots[1:]:
                    await control(http, other, "/quiet", first=True)
                if distributed:
                    bots += [apps["web"], cyclers["web"]]
                    # A first cycle in the worker, as the bot's start-up run: boto3 clients made, models loaded.
                    await control(http, cyclers["web"], "/cycle")
                    await control(http, cyclers["web"], "/quiet")
                print(
                    f"objects tracked by the garbage collector after start-up: bare {bare.info['objects']},"
                    f" boltwatch {bot.info['objects']} when listening, {tracked} after its start-up check run"
                    + (f"; gc.freeze() in the bot: {args.gc_freeze}" if args.gc_freeze else "")
                )
                for repeat in range(args.repeats):
                    names = list(apps)
                    order = names[repeat % len(names) :] + names[: repeat % len(names)]
                    for name in order:
                        child = apps[name]
                        for each in bots:
                            await control(http, each, "/quiet")
                        await asyncio.sleep(0.5)
                        if name in cyclers and not args.no_cycle:
                            await control(http, cyclers[name], "/cycle")
                        profiling = args.profile and repeat == args.repeats - 1
                        if profiling:
                            await control(http, child, "/profile", on=True)
                        cpu_before = await control(http, child, "/cpu")
                        sender_before = resource.getrusage(resource.RUSAGE_SELF)
                        burst = await senders[name].burst(name, args.requests, repeat * 100_000)
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
                        runs = await control(http, cyclers["web"] if name == "web" else bot, "/runs")
                        burst.cycle_cover = overlap(runs["runs"], burst.started, burst.ended)
                        bursts.append(burst)
                for each in bots:  # the runs under way end, so that their times are whole
                    await control(http, each, "/quiet")
                runs = await control(http, bot, "/runs")
                worker_runs = await control(http, cyclers["web"], "/runs") if distributed else None
        finally:
            await stack.aclose()
            for child in reversed(children):
                await child.stop()
    print()
    shown = ["bare", "boltwatch"] + (["web"] if distributed else [])
    medians = print_table(bursts, shown)
    for app in shown:
        mine = [b for b in bursts if b.app == app]
        loop_ms = statistics.median(b.loop_cpu_s * 1000 / len(b.latencies_ms) for b in mine)
        sender_ms = statistics.median(b.sender_cpu_s * 1000 / len(b.latencies_ms) for b in mine)
        print(
            f"{app}: CPU per request, median over bursts: {loop_ms:.2f} ms on the app's event-loop thread"
            f" (the rest of cpu/req is its other threads), {sender_ms:.2f} ms in the sender"
        )
    print_runs("the bot", runs)
    if worker_runs is not None:
        print_runs("the worker (for the web role's bursts)", worker_runs, "the worker")
    passed = True
    for app in shown[1:]:
        passed &= judge(app, bursts, medians)
    load = os.getloadavg()
    print(f"load average after the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {cpu_pressure()}")
    for app, top in profiles.items():
        print(f"\n--- profile of the {app} event-loop thread during its last burst (cProfile, by own time)")
        print(top.strip())
    print("RESULT:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


def print_runs(where: str, runs: dict[str, Any], logger: str = "the bot") -> None:
    durations = [end - start for start, end in runs["runs"]]
    if durations:
        print(
            f"check runs in {where}: {len(durations)}, each {min(durations) * 1000:.0f}-{max(durations) * 1000:.0f} ms"
            f" (median {statistics.median(durations) * 1000:.0f} ms), of which {runs['yielded'] * 1000:.0f} ms in all"
            f" waiting for a pause in the commands (acks first); warnings logged by {logger}: {runs['errors']}"
        )


def judge(app: str, bursts: list[Burst], medians: dict[str, dict[str, float]]) -> bool:
    """`app` against the bare app: p99 ratio, p99 and non-200 answers, each with its verdict."""
    bare_p99, app_p99 = medians["bare"]["p99"], medians[app]["p99"]
    ratio = app_p99 / bare_p99
    pairs = [
        with_app.pct(99) / with_bare.pct(99)
        for with_bare, with_app in zip(
            [b for b in bursts if b.app == "bare"], [b for b in bursts if b.app == app], strict=True
        )
    ]
    print(
        f"p99 ratio of each adjacent (bare, {app}) pair of bursts: "
        + ", ".join(f"{r:.2f}" for r in pairs)
        + f"; median {statistics.median(pairs):.2f}"
    )
    pooled = {name: percentile([x for b in bursts if b.app == name for x in b.latencies_ms], 99) for name in medians}
    print(
        f"p99 over every request (not judged): {app} / bare = {pooled[app]:.1f} / {pooled['bare']:.1f}"
        f" = {pooled[app] / pooled['bare']:.2f}"
    )
    ratio_ok = ratio <= RATIO_TARGET
    p99_ok = app_p99 < P99_TARGET_MS
    errors_ok = medians["bare"]["non_200"] == 0 and medians[app]["non_200"] == 0
    print(
        f"p99 {app} / bare = {app_p99:.1f} / {bare_p99:.1f} = {ratio:.2f}"
        f" (target <= {RATIO_TARGET}): {'PASS' if ratio_ok else 'FAIL'}"
    )
    print(f"p99 {app} {app_p99:.1f} ms (target < {P99_TARGET_MS:.0f} ms): {'PASS' if p99_ok else 'FAIL'}")
    print(f"non-200 answers: {'PASS' if errors_ok else 'FAIL'}")
    return ratio_ok and p99_ok and errors_ok


def run(args: argparse.Namespace | None = None) -> int:
    if args is None:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        args = parser.parse_args([])
    # The sender on uvloop too (when installed): the less CPU it takes, the less it competes with the app it measures.
    if args.mode == "embedded":
        return event_loop.run(measure(args))
    base = os.environ.get("BOLTWATCH_BENCH_DATABASE_URL") or os.environ.get("BOLTWATCH_TEST_DATABASE_URL")
    if not base:
        print("ack_latency --mode distributed: set BOLTWATCH_BENCH_DATABASE_URL (or BOLTWATCH_TEST_DATABASE_URL)")
        return 1
    with postgres_schema(base, "bw_ack") as url:
        return event_loop.run(measure(args, url))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ack_latency", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
