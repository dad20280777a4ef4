"""Command load: 1,000 concurrent signed slash commands with one `/errors` over 50,000 events among them, the bot
against a bare Bolt app in the same run (issue 14).

Target: the bot's ack p99 within 1.3 × the bare app's, and no event-loop stall in the bot over 100 ms.

Layout (bench/ack_servers.py, one process each, as bench/ack_latency.py runs them):

- infra:     moto seeded with `seed_estate` and a log group of 50,000 events (bench/bulk_logs.py), and the local
             Slack, which tells when the `/errors` answer was posted;
- bare:      `slack_bolt.async_app.AsyncApp` with a listener per command that acks a short text, behind aiohttp;
- boltwatch: the real bot from `create_app` (SQLite in a temporary directory, its outbox drainer running; its
             scheduler paused after the start-up check run, so that only the commands load it).

This process sends the commands, each over a new connection, all at once (bench/raw_http.py), timing each from
the connect to the last byte of the ack. The mix (seeded, the same for both apps) is mostly `/boltwatch` (help,
status, incidents, checks), a tenth `/logs` and `/errors` over the seeded functions' small log groups, and usage
errors; `/boltwatch status` and friends answer through response_urls the local Slack issued. The one `/errors` over
the 50,000 events goes in the middle. The bot first answers that `/errors` alone, so that its answer time under
load can be read against it, and after a warm-up (20 sequential commands each) each app takes the burst in turn.

The bot measures its own event loop from the burst until the `/errors` answer is posted: the longest single
callback (bench/ack_servers.py's CallbackProbe, timing each of the standard loop's handles — the stall judged
against the target, what asyncio debug's slow-callback log reports), how late a 5 ms sleep wakes (LagProbe: that
also counts callbacks queued behind others, so a burst of 1,000 connections shows there even in the bare app), and
its garbage collections. Both apps run on the standard library's loop, whose handles the bench can time.

    .venv/bin/python -m bench command_load [--commands 1000] [--events 50000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from bench import raw_http
from bench.ack_latency import Child, control, signed_command, spawn, warm_up
from bench.ack_report import cpu_pressure, percentile
from bench.bulk_logs import FUNCTION, LOG_GROUP
from bot.ids import Command
from bot.runtime import event_loop

RATIO_TARGET = 1.3
STALL_TARGET_MS = 100.0
SLACK_DEADLINE_MS = 3000.0
ANSWER_TIMEOUT = 180.0
BIG_ERRORS = ("/errors", f"{FUNCTION} 1h")
# (share of the burst, command, text)
MIX: list[tuple[int, str, str]] = [
    (35, "/boltwatch", "help"),
    (20, "/boltwatch", "status"),
    (10, "/boltwatch", "incidents"),
    (10, "/boltwatch", "checks"),
    (6, "/logs", "orders-api 1h"),
    (3, "/errors", "payments-worker 1h"),
    (3, "/logs", "no-such-function 1h"),
    (4, "/logs", "orders-api 99999999999d"),
    (3, "/wait", ""),
    (3, "/boltwatch", "frobnicate"),
    (3, "/errors", ""),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--commands", type=int, default=1000, help="concurrent commands per burst (default 1000)")
    parser.add_argument("--events", type=int, default=50_000, help="events in the big log group (default 50000)")
    parser.add_argument("--repeats", type=int, default=1, help="bursts per app (default 1)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the command mix")


def mix(n: int, seed: int) -> list[tuple[str, str]]:
    """`n` commands drawn from MIX, with the big `/errors` in the middle."""
    rng = random.Random(seed)
    weights = [share for share, _c, _t in MIX]
    drawn = [(c, t) for _s, c, t in rng.choices(MIX, weights, k=n - 1)]
    return [*drawn[: n // 2], BIG_ERRORS, *drawn[n // 2 :]]


async def answered(http: aiohttp.ClientSession, infra: Child, since: float) -> float | None:
    """When the `/errors` answer over the big log group was posted (monotonic), waiting up to ANSWER_TIMEOUT."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while time.monotonic() < deadline:
        at = (await control(http, infra, "/answered", containing=LOG_GROUP, since=since))["at"]
        if at is not None:
            return at
        await asyncio.sleep(0.05)
    return None


class Run:
    """One app's burst: what was sent, the acks, and for the bot the answer and its event loop."""

    def __init__(self, app: str, commands: list[tuple[str, str]], answers: list[raw_http.Answer], started: float):
        self.app, self.commands, self.answers, self.started = app, commands, answers, started
        self.latencies = [a.elapsed_ms for a in answers]
        self.answer_s: float | None = None
        self.stall_ms = self.lag_ms = self.gc_ms = self.gc_max_ms = 0.0
        self.stall_where = ""

    def pct(self, q: float) -> float:
        return percentile(self.latencies, q)

    @property
    def late(self) -> int:
        return sum(1 for a in self.answers if a.status != 200 or a.elapsed_ms > SLACK_DEADLINE_MS)

    @property
    def big_ack_ms(self) -> float:
        return self.latencies[self.commands.index(BIG_ERRORS)]


async def burst(
    http: aiohttp.ClientSession, infra: Child, child: Child, commands: list[tuple[str, str]], first: int
) -> Run:
    port = urlsplit(child.info["url"]).port
    host = "127.0.0.1"
    urls = (await control(http, infra, "/response_urls", n=len(commands)))["urls"]
    timestamp = str(int(time.time()))
    payloads = [
        raw_http.encode(host, port, "/slack/events", *signed_command(c, t, first + i, timestamp, url), keep_alive=False)
        for i, ((c, t), url) in enumerate(zip(commands, urls, strict=True))
    ]
    started = time.monotonic()
    answers = await asyncio.gather(*(raw_http.one_shot(host, port, p) for p in payloads))
    run = Run(child.role, commands, list(answers), started)
    end = time.monotonic()
    if child.role == "boltwatch":
        at = await answered(http, infra, started)
        run.answer_s = None if at is None else at - started
        end = max(end, at or end)
    lag = await control(http, child, "/lag", start=started, end=end)
    run.lag_ms, run.gc_ms, run.gc_max_ms = lag["max_ms"], lag["gc_ms"], lag["gc_max_ms"]
    run.stall_ms, run.stall_where = lag["callback_max_ms"], lag["callback_where"]
    return run


async def errors_alone(http: aiohttp.ClientSession, infra: Child, bot: Child) -> tuple[float | None, float]:
    """The big `/errors` sent on its own: seconds to its answer, and the bot's longest stall meanwhile (ms)."""
    run = await burst(http, infra, bot, [BIG_ERRORS], 90_000_000)
    return run.answer_s, run.stall_ms


def report(runs: list[Run], alone: tuple[float | None, float]) -> int:
    print()
    print("app        | acks | p50 ms | p99 ms | max ms | > 3 s or not 200 | longest callback ms | loop lag ms"
          " | GC ms (longest) | /errors ack ms | /errors answer s")  # fmt: skip
    for run in runs:
        answer = "-" if run.app == "bare" else (f"{run.answer_s:.1f}" if run.answer_s is not None else "none")
        print(
            f"{run.app:<10} | {len(run.answers):>4} | {run.pct(50):>6.0f} | {run.pct(99):>6.0f} | {run.pct(100):>6.0f}"
            f" | {run.late:>16} | {run.stall_ms:>19.0f} | {run.lag_ms:>11.0f} | {run.gc_ms:>5.0f} ({run.gc_max_ms:.0f})"
            f" | {run.big_ack_ms:>14.0f} | {answer:>16}"
        )
    bare = [r for r in runs if r.app == "bare"]
    bot = [r for r in runs if r.app == "boltwatch"]
    bare_p99 = percentile([x for r in bare for x in r.latencies], 99)
    bot_p99 = percentile([x for r in bot for x in r.latencies], 99)
    ratio = bot_p99 / bare_p99
    stall = max(r.stall_ms for r in bot)
    answers = [r.answer_s for r in bot]
    alone_s, alone_stall = alone
    if alone_s is None:
        print("/errors over the big log group alone: no answer")
    else:
        print(f"/errors over the big log group alone: answered in {alone_s:.1f} s, longest stall {alone_stall:.0f} ms")
    ratio_ok = ratio <= RATIO_TARGET
    stall_ok = stall <= STALL_TARGET_MS
    answered_ok = all(a is not None for a in answers) and alone_s is not None
    late_ok = all(r.late == 0 for r in runs)
    print(f"ack p99 boltwatch / bare = {bot_p99:.0f} / {bare_p99:.0f} ms = {ratio:.2f} (target <= {RATIO_TARGET}):"
          f" {'PASS' if ratio_ok else 'FAIL'}")  # fmt: skip
    print(f"longest event-loop stall in the bot (one callback holding the loop): {stall:.0f} ms"
          f" (target <= {STALL_TARGET_MS:.0f} ms): {'PASS' if stall_ok else 'FAIL'}")  # fmt: skip
    worst = max(bot, key=lambda r: r.stall_ms)
    if worst.stall_where:
        print(f"  the callback: {worst.stall_where}")
    print(f"every command acked 200 within 3 s: {'PASS' if late_ok else 'FAIL'}")
    print(f"the /errors answer was posted: {'PASS' if answered_ok else 'FAIL'}")
    load = os.getloadavg()
    print(f"load average after the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {cpu_pressure()}")
    passed = ratio_ok and stall_ok and answered_ok and late_ok
    print("RESULT:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


async def measure(args: argparse.Namespace) -> int:
    load = os.getloadavg()
    print(f"command load: {args.commands} concurrent signed slash commands, one `/errors {BIG_ERRORS[1]}` over"
          f" {args.events} events among them; {args.repeats} burst(s) per app")  # fmt: skip
    print(f"machine: {os.cpu_count()} cpus, load average before the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f},"
          f" {cpu_pressure()}")  # fmt: skip
    commands = mix(args.commands, args.seed)
    children: list[Child] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as workdir:
        stack = AsyncExitStack()
        try:
            seeding = time.monotonic()
            infra = await spawn("infra", {"bulk_events": args.events})
            children.append(infra)
            seeded = time.monotonic() - seeding
            print(
                f"moto seeded with {infra.info['bulk_events']} events in {LOG_GROUP} ({seeded:.0f} s with the estate)"
            )
            slack = {"slack_api": infra.info["slack_api"], "bot_token": infra.info["bot_token"]}
            bot_spec = slack | {
                "moto": infra.info["moto"],
                "database_url": f"sqlite:///{Path(workdir) / 'boltwatch.db'}",
                "checks": [{"type": "lambda_errors", "every": "5m"}],
                "loop_debug": False,
                "gc_freeze": None,
                # The standard library's loop, whose callbacks the bench can time one by one (uvloop's it cannot).
                "event_loop": "asyncio",
            }
            bare_spec = slack | {"event_loop": "asyncio", "commands": [c.value for c in Command]}
            bare, bot = await asyncio.gather(spawn("bare", bare_spec), spawn("boltwatch", bot_spec))
            children += [bare, bot]
            print(f"event loops: bare {bare.info['event_loop']}, boltwatch {bot.info['event_loop']}")
            apps = {"bare": bare, "boltwatch": bot}
            runs: list[Run] = []
            async with aiohttp.ClientSession() as http:
                await control(http, bot, "/quiet", first=True)
                for child in apps.values():
                    await warm_up(child.info["url"], 20)
                alone = await errors_alone(http, infra, bot)
                for repeat in range(args.repeats):
                    order = ["bare", "boltwatch"] if repeat % 2 == 0 else ["boltwatch", "bare"]
                    for name in order:
                        await asyncio.sleep(1.0)
                        runs.append(await burst(http, infra, apps[name], commands, repeat * 100_000))
        finally:
            await stack.aclose()
            for child in reversed(children):
                await child.stop()
    return report(runs, alone)


def run(args: argparse.Namespace | None = None) -> int:
    if args is None:
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        args = parser.parse_args([])
    return event_loop.run(measure(args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.command_load", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
