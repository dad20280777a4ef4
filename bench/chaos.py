"""Chaos: an alert storm while the bot is killed and restarted again and again; nothing lost, nothing posted twice.

Real `boltwatch run` processes (one on SQLite; two replicas on one PostgreSQL schema with `--database postgresql`)
check CloudWatch alarms in moto every 2 s and post to the sandbox's local Slack through a proxy that answers each
Web API call 150 ms after Slack has done it (`--latency`), so a kill often lands between "the message exists" and
"the bot recorded its ts". Meanwhile this process fires `--alarms` alarms (each one incident: the route groups by
alarm) at random moments and clears each a few seconds later (the incident message is updated to RESOLVED), and
SIGKILLs a random bot process `--restarts` times at random moments, starting it again at once.

After the storm every alarm is clear, and the bench waits until every incident in the bots' database is resolved
and Slack shows each once, resolved. Then it counts, from the database and what the local Slack holds: incidents,
top-level messages, duplicates (an incident with more than one top-level message), lost (an incident with no
message, or whose message never says RESOLVED), out-of-order updates (a message updated back from RESOLVED), and
the time to drain after the last restart (and the storm's last change). Alarms that fired and cleared while no bot
was up to see them are counted apart. Targets: 0 duplicates, 0 lost, 0 out of order, drained within 15 s of the
last restart. `CHAOS_DEBUG=1` prints the open incidents and the outbox while it waits.

    .venv/bin/python -m bench chaos [--alarms 60] [--restarts 30] [--database sqlite|postgresql] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import create_engine, text

from bench.common import positive_int
from sandbox.aws.server import MotoHandle, sandbox_client, start_moto
from sandbox.slack import LocalSlack

CHANNEL = "#alerts"
DRAIN_TARGET_SECONDS = 15.0
SETTLE_TIMEOUT_SECONDS = 120.0
CONFIG = """\
slack:
  channel: "#alerts"
aws:
  regions: [us-east-1]
  max_attempts: 1
routes:
  - name: chaos
    group_by: [alarm]
    group_wait: 0s
    group_interval: 1s
checks:
  - type: cloudwatch_alarms
    every: 2s
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alarms", type=positive_int, default=60, help="alarms fired, one incident each (60)")
    parser.add_argument("--restarts", type=positive_int, default=30, help="kill -9 and restart this many times (30)")
    parser.add_argument("--latency", type=float, default=0.15, help="seconds Slack's answers are held (0.15)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BOLTWATCH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="the PostgreSQL server for --database postgresql (a schema of its own is made and dropped)",
    )
    parser.add_argument("--seed", type=int, default=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SlowProxy:
    """Forwards Web API calls to the local Slack and holds each answer `latency` seconds after Slack gave it."""

    def __init__(self, upstream: str, latency: float) -> None:
        self.upstream = upstream.rstrip("/")
        self.latency = latency
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = _free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/api/"

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        tail = request.match_info["tail"].removeprefix("api/")
        headers = {k: v for k, v in request.headers.items() if k.lower() in {"authorization", "content-type"}}
        url = f"{self.upstream}/{tail}" + (f"?{request.query_string}" if request.query_string else "")
        async with self._http.request(request.method, url, data=await request.read(), headers=headers) as answer:
            body, status = await answer.read(), answer.status
            kept = {k: v for k, v in answer.headers.items() if k.lower() in {"content-type", "retry-after"}}
        await asyncio.sleep(self.latency)
        return web.Response(body=body, status=status, headers=kept)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()


@dataclass
class Bot:
    """One `boltwatch run` process, restartable."""

    env: dict[str, str]
    config: Path
    log: Path
    process: asyncio.subprocess.Process | None = None
    port: int = 0

    async def start(self) -> None:
        # A supervisor restarts a replica in its place: on the same port, so under the same replica name.
        self.port = self.port or _free_port()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", "--config", str(self.config), "--port", str(self.port),
                "--log-level", "WARNING", env=self.env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.kill()
                await self.process.wait()


@dataclass
class Tally:
    fired: list[str] = field(default_factory=list)
    restarts: int = 0
    last_restart: float = 0.0
    last_cleared: float = 0.0


def _alarm(number: int) -> str:
    return f"chaos-{number:03d}"


def put_alarms(moto: MotoHandle, count: int) -> Any:
    cloudwatch = sandbox_client(moto.endpoint, "cloudwatch")
    for number in range(count):
        cloudwatch.put_metric_alarm(
            AlarmName=_alarm(number), Namespace="Chaos", MetricName="Errors", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
        )  # fmt: skip
    return cloudwatch


async def storm(cloudwatch: Any, count: int, seconds: float, rng: random.Random, tally: Tally) -> None:
    """Fire every alarm at a random moment of the storm, and clear each 8–16 s after it fired."""

    async def one(name: str, at: float) -> None:
        await asyncio.sleep(at)
        await asyncio.to_thread(cloudwatch.set_alarm_state, AlarmName=name, StateValue="ALARM", StateReason="chaos")
        tally.fired.append(name)
        await asyncio.sleep(rng.uniform(8, 16))
        await asyncio.to_thread(cloudwatch.set_alarm_state, AlarmName=name, StateValue="OK", StateReason="calm")
        tally.last_cleared = max(tally.last_cleared, time.monotonic())

    await asyncio.gather(*(one(_alarm(n), rng.uniform(0, seconds)) for n in range(count)))


async def chaos_monkey(bots: list[Bot], restarts: int, seconds: float, rng: random.Random, tally: Tally) -> None:
    """Kill -9 a random bot at random moments over the storm and start it again at once."""
    moments = sorted(rng.uniform(1, seconds) for _ in range(restarts))
    started = time.monotonic()
    for moment in moments:
        await asyncio.sleep(max(0.0, moment - (time.monotonic() - started)))
        bot = rng.choice(bots)
        bot.kill()
        if bot.process is not None:
            await bot.process.wait()
        await bot.start()
        tally.restarts += 1
        tally.last_restart = time.monotonic()


@dataclass
class Outcome:
    incidents: int
    top_level: int
    duplicates: list[str]
    lost: list[str]
    out_of_order: list[str]
    unseen: list[str]


def _status(text: str) -> str:
    return text.split(" ", 1)[0]


def incidents_of(database_url: str) -> list[tuple[str, str]]:
    """(title, status) of every incident the bots opened, from their database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT title, status FROM incidents ORDER BY id")).all()
    finally:
        engine.dispose()
    return [(str(title), str(status)) for title, status in rows]


def outbox_summary(database_url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(
                "SELECT operation, status, count(*), min(next_attempt_at), max(last_error) FROM outbox"
                " WHERE status != 'done' GROUP BY operation, status"
            )).all()]  # fmt: skip
    finally:
        engine.dispose()


def outbox_of(database_url: str, title: str) -> list[tuple[Any, ...]]:
    """The outbox items of the incidents titled `title` (to say why one was lost)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT o.operation, o.status, o.attempts, o.last_error, o.claimed_by FROM outbox o"
                    " JOIN incidents i ON i.id = o.incident_id WHERE i.title = :title ORDER BY o.id"
                ),
                {"title": title},
            ).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def judge(slack: LocalSlack, fired: list[str], incidents: list[tuple[str, str]]) -> Outcome:
    """Each incident the bots opened must have exactly one top-level message, updated in order, saying RESOLVED
    once the incident is resolved; alarms the bots never saw firing (killed all the while) are only counted."""
    messages = [m for m in slack.channel_messages(CHANNEL) if m.thread_ts in (None, m.ts)]
    expected = Counter(title for title, _status_ in incidents)
    resolved = Counter(title for title, status in incidents if status == "resolved")
    shown: dict[str, list[Any]] = {}
    for message in messages:
        title = message.text.split(": ", 1)[-1]
        shown.setdefault(title, []).append(message)
    duplicates = sorted(title for title, n in expected.items() if len(shown.get(title, [])) > n)
    lost = sorted(
        title
        for title, n in expected.items()
        if len(shown.get(title, [])) < n
        or sum(_status(m.text) == "RESOLVED" for m in shown.get(title, [])) < resolved[title]
    )
    rank = {"OPEN": 0, "ACKNOWLEDGED": 1, "RESOLVED": 2}
    out_of_order = sorted(
        {
            title
            for title, found in shown.items()
            for message in found
            if any(
                later < earlier
                for earlier, later in pairwise(
                    [rank.get(_status(edit.text), 0) for edit in message.edits] + [rank.get(_status(message.text), 0)]
                )
            )
        }
    )
    unseen = sorted(name for name in set(fired) if f"Alarm {name}" not in expected)
    return Outcome(len(incidents), len(messages), duplicates, lost, out_of_order, unseen)


def _tracebacks(workdir: Path) -> list[str]:
    """The line that ends each traceback in the bots' logs (the exception), to say what crashed."""
    endings = []
    for log in workdir.glob("bot-*.log"):
        lines = log.read_text(errors="replace").splitlines()
        for number, line in enumerate(lines):
            if line.startswith("Traceback"):
                rest = lines[number + 1 :]
                endings.append(next((x for x in rest if x and not x.startswith((" ", "Traceback"))), "?")[:200])
    return endings


def _postgres_schema(base_url: str) -> tuple[str, Any]:
    schema = f"bw_chaos_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options=-csearch_path%3D{schema}", lambda: _drop(admin, schema)


def _drop(admin: Any, schema: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


async def measure(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    storm_seconds = max(30.0, args.restarts * 5.0)  # a restart takes ~2.5 s: leave each bot time to work
    moto = start_moto()
    cleanup = None
    with tempfile.TemporaryDirectory(prefix="bench-chaos-") as tmp:
        workdir = Path(tmp)
        config = workdir / "boltwatch.yml"
        config.write_text(CONFIG)
        if args.database == "postgresql":
            database_url, cleanup = _postgres_schema(args.database_url)
            upgrade = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "db", "upgrade", "--database-url", database_url,
                stdout=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            await upgrade.wait()
            replicas = 2
        else:
            database_url, replicas = f"sqlite:///{workdir / 'boltwatch.db'}", 1
        async with LocalSlack() as slack:
            proxy = SlowProxy(slack.api_url, args.latency)
            await proxy.start()
            env = os.environ | moto.environment() | slack.environment()
            env |= {"SLACK_API_URL": proxy.url, "BOLTWATCH_DATABASE_URL": database_url}
            bots = [Bot(env, config, workdir / f"bot-{i}.log") for i in range(replicas)]
            cloudwatch = put_alarms(moto, args.alarms)
            tally = Tally()
            print(
                f"chaos: {args.alarms} alarms over {storm_seconds:.0f} s, {args.restarts} kill -9 and restarts,"
                f" Slack answers held {args.latency * 1000:.0f} ms, {args.database} with {replicas} replica(s)"
            )
            try:
                for bot in bots:
                    await bot.start()
                await asyncio.gather(
                    storm(cloudwatch, args.alarms, storm_seconds, rng, tally),
                    chaos_monkey(bots, args.restarts, storm_seconds, rng, tally),
                )
                settled_at = await settle(slack, tally, database_url)
            finally:
                for bot in bots:
                    await bot.stop()
                await proxy.stop()
            incidents = await asyncio.to_thread(incidents_of, database_url)
            outcome = judge(slack, tally.fired, incidents)
            for title in outcome.lost[:5]:
                found = [m for m in slack.channel_messages(CHANNEL) if m.text.endswith(f": {title}")]
                print(
                    f"  lost {title}: database {[s for t_, s in incidents if t_ == title]},"
                    f" Slack {[(_status(m.text), [_status(e.text) for e in m.edits]) for m in found]},"
                    f" outbox {await asyncio.to_thread(outbox_of, database_url, title)}"
                )
        if cleanup is not None:
            cleanup()
        crashes = await asyncio.to_thread(_tracebacks, workdir)
    moto.stop()
    # From when the last restart and the storm's last change were both over: what is left is the drain.
    drain = None if settled_at is None else max(0.0, settled_at - max(tally.last_restart, tally.last_cleared))
    print(f"incidents: {outcome.incidents}; top-level messages: {outcome.top_level}; restarts: {tally.restarts}")
    print(f"alarms fired while no bot saw them (not judged): {len(outcome.unseen)}")
    print(f"duplicates: {len(outcome.duplicates)} {outcome.duplicates[:10]}")
    print(f"lost: {len(outcome.lost)} {outcome.lost[:10]}")
    print(f"out-of-order updates: {len(outcome.out_of_order)} {outcome.out_of_order[:10]}")
    print(f"tracebacks in the bots' logs: {len(crashes)} {crashes[:5]}")
    print(
        "drained after the last restart and the last alarm change: "
        + ("never (timed out)" if drain is None else f"{drain:.1f} s")
    )
    passed = (
        not outcome.duplicates
        and not outcome.lost
        and not outcome.out_of_order
        and drain is not None
        and drain <= DRAIN_TARGET_SECONDS
    )
    print("RESULT:", "PASS" if passed else "FAIL")
    return 0 if passed else 1


async def settle(slack: LocalSlack, tally: Tally, database_url: str) -> float | None:
    """When every incident the bots opened is resolved, and Slack shows each one once and resolved (None if that
    does not happen in time)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        incidents = await asyncio.to_thread(incidents_of, database_url)
        if os.environ.get("CHAOS_DEBUG"):
            print(f"  {time.monotonic():.0f} open {sum(s != 'resolved' for _t, s in incidents)}"
                  f" outbox {await asyncio.to_thread(outbox_summary, database_url)}")  # fmt: skip
        if all(status == "resolved" for _title, status in incidents):
            outcome = judge(slack, tally.fired, incidents)
            if not outcome.lost:
                return time.monotonic()
        await asyncio.sleep(0.2)
    return None


def run(args: argparse.Namespace) -> int:
    return asyncio.run(measure(args))
