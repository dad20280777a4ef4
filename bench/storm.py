"""Alert storm: 500 alerts in one minute across three routes; the Slack calls per route and the 429s.

Target: one post per group, at most one update per group per group_interval, and no 429s from a local Slack
that allows one message a second per channel.

The real bot is built with `create_app` on SQLite in a temporary directory, on a simulated clock shared with the
local Slack. Findings go straight into `bot.core.incidents.observe` (no AWS); every tick the outbox is drained the way
`Notifier.run` drains it. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.common import positive_int
from bench.storm_report import RouteTally, print_report, tally
from bot.app import BoltwatchApp, create_app
from bot.config import Settings, settings_from_mapping
from bot.core.findings import CheckResult, Finding
from bot.core.incidents import observe
from bot.delivery.outbox import pending_count
from bot.enums import Severity
from bot.store.models import Incident, OutboxItem
from sandbox.slack import LocalSlack

CHECK = "storm"
SERVICES = {
    "payments": ("checkout", "ledger", "refunds", "payouts", "fraud", "invoices", "cards", "wallet", "fx", "tax"),
    "orders": ("cart", "catalog", "pricing", "inventory", "fulfil", "returns", "search", "reviews", "promo", "ship"),
    "platform": ("gateway", "auth", "queue", "cache", "dns", "mesh", "logs", "metrics", "secrets", "batch"),
}
SHARE = {"payments": 0.45, "orders": 0.35, "platform": 0.20}
MAX_DRAIN_SECONDS = 3600

Arrival = tuple[int, str, str]
"""(second of the storm, route, service) of one alert."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alerts", type=positive_int, default=500, help="alerts in the storm (default 500)")
    parser.add_argument("--seconds", type=positive_int, default=60, help="seconds they arrive over (default 60)")
    parser.add_argument("--services", type=positive_int, default=10, help="services, so groups, per route (default 10)")
    parser.add_argument("--group-interval", type=positive_int, default=10, help="in seconds, every route (default 10)")
    parser.add_argument("--tick", type=_seconds, default=1.0, help="seconds between outbox drains (default 1)")
    parser.add_argument("--replicas", type=positive_int, default=1, help="bots sharing the database (default 1)")
    parser.add_argument("--restart-at", type=float, help="restart every bot this many seconds into the storm")
    parser.add_argument("--seed", type=int, default=1)


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


class SimulatedClock:
    """The bot's and the local Slack's clock: moves only when told."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def timestamp(self) -> float:
        return self.now.timestamp()


def services(route: str, count: int) -> list[str]:
    names = SERVICES[route]
    return [names[i % len(names)] + (str(i // len(names) + 1) if i >= len(names) else "") for i in range(count)]


def storm(alerts: int, seconds: int, per_route: int, seed: int) -> list[Arrival]:
    """Alerts spread over the storm, oldest first; a few noisy services per route, as in a real outage."""
    rng = random.Random(seed)
    routes = list(SHARE)
    weights = [1.0 / (rank + 1) for rank in range(per_route)]
    arrivals = []
    for _ in range(alerts):
        route = rng.choices(routes, [SHARE[r] for r in routes])[0]
        arrivals.append((int(rng.uniform(0, seconds)), route, rng.choices(services(route, per_route), weights)[0]))
    return sorted(arrivals)


def finding(number: int, route: str, service: str) -> Finding:
    name = f"{service}-{number:03d}"
    return Finding(
        fingerprint=f"{CHECK}/{route}/{name}",
        firing=True,
        title=f"Errors above threshold on {name}",
        severity=Severity.CRITICAL if number % 7 == 0 else Severity.WARNING,
        summary="5xx rate 12% over 5 minutes",
        resource=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        account="123456789012",
        region="us-east-1",
        labels={"team": route, "service": service},
    )


def config(group_interval: int) -> dict[str, Any]:
    routes = [
        {
            "name": route,
            "match": {"team": route},
            "channel": f"#{route}",
            "group_by": ["service"],
            "group_interval": f"{group_interval}s",
        }
        for route in SERVICES
    ]
    return {"slack": {"channel": "#alerts"}, "aws": {"regions": ["us-east-1"]}, "routes": routes}


class Replicas:
    """Bots on one database, started, restarted (memory lost, database kept) and stopped together."""

    def __init__(self, settings: Settings, clock: SimulatedClock, count: int) -> None:
        self._settings, self._clock, self._count = settings, clock, count
        self.apps: list[BoltwatchApp] = []

    async def start(self) -> None:
        for replica in range(self._count):
            app = create_app(self._settings, clock=self._clock, holder=f"replica-{replica}", background=False)
            self.apps.append(app)
            await app.start(host="127.0.0.1", port=0)

    async def stop(self) -> None:
        while self.apps:
            await self.apps.pop().stop()

    async def drain(self) -> None:
        """Every replica drains at once, each as `Notifier.run` does: again at once while there was work."""

        async def drain_one(app: BoltwatchApp) -> None:
            while await app.notifier.drain_once() > 0:
                pass

        await asyncio.gather(*(drain_one(app) for app in self.apps))


async def feed_and_drain(
    bots: Replicas, arrivals: list[Arrival], clock: SimulatedClock, args: argparse.Namespace
) -> None:
    """Each tick: observe the alerts that arrived, then drain; after the storm, drain until the outbox is empty."""
    fed, step = 0, 0
    restart_at = args.restart_at
    while step * args.tick < args.seconds or await bots.apps[0].services.db.run(pending_count) > 0:
        elapsed = step * args.tick
        if elapsed > args.seconds + MAX_DRAIN_SECONDS:
            raise RuntimeError(f"the outbox is not empty {MAX_DRAIN_SECONDS} s after the storm")
        if restart_at is not None and elapsed >= restart_at:
            await bots.stop()
            await bots.start()
            restart_at = None
        services = bots.apps[0].services
        arrived = bisect.bisect_right(arrivals, elapsed, key=lambda a: a[0])
        if arrived > fed:
            result = CheckResult.of([finding(n, *arrivals[n][1:]) for n in range(fed, arrived)])
            await services.db.run(partial(observe, check=CHECK, result=result, routes=services.routes, now=clock()))
            fed = arrived
        await bots.drain()
        clock.advance(args.tick)
        step += 1


async def run_storm(args: argparse.Namespace) -> tuple[dict[str, RouteTally], float, float]:
    """Returns the tallies per route, the simulated and the wall seconds."""
    arrivals = storm(args.alerts, args.seconds, args.services, args.seed)
    clock = SimulatedClock(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    start, started = clock.timestamp(), time.perf_counter()
    async with LocalSlack(clock=clock.timestamp) as slack:
        slack.rate_limit_per_channel = True
        channel_route = {slack.add_channel(f"#{route}"): route for route in SERVICES}
        slack.add_channel("#alerts")
        with tempfile.TemporaryDirectory(prefix="bench-storm-") as folder:
            env = slack.environment() | {"BOLTWATCH_DATABASE_URL": f"sqlite:///{Path(folder) / 'storm.db'}"}
            bots = Replicas(settings_from_mapping(config(args.group_interval), env), clock, args.replicas)
            try:
                await bots.start()
                await feed_and_drain(bots, arrivals, clock, args)
                db = bots.apps[0].services.db
                incidents = await db.run(
                    lambda s: s.execute(select(Incident.route, Incident.message_ts, Incident.group_labels)).all()
                )
                failed = await db.run(
                    lambda s: s.scalar(select(func.count()).where(OutboxItem.status == "failed")) or 0
                )
            finally:
                await bots.stop()
        if failed:
            raise RuntimeError(f"{failed} outbox items failed for good")
        tallies = tally(slack, channel_route, arrivals, incidents, start)
    return tallies, clock.timestamp() - start, time.perf_counter() - started


def run(args: argparse.Namespace) -> int:
    """Run the storm, print the table; 0 when the target is met, 1 when it is missed."""
    tallies, simulated, wall = asyncio.run(run_storm(args))
    extras = f", {args.replicas} replicas" if args.replicas > 1 else ""
    extras += f", restart at {args.restart_at:g} s" if args.restart_at is not None else ""
    print(
        f"storm: {args.alerts} alerts over {args.seconds} s, {len(tallies)} routes, group_interval "
        f"{args.group_interval} s, local Slack at 1 msg/s per channel, drain every {args.tick:g} s{extras}"
    )
    met = print_report(tallies, storm_seconds=args.seconds, group_interval=args.group_interval)
    print(f"simulated {simulated:.0f} s (storm {args.seconds} s, then draining), wall {wall:.1f} s")
    print(f"target {'met' if met else 'MISSED'}")
    return 0 if met else 1
