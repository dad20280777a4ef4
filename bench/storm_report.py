"""The storm's Slack calls per route, from the local Slack's call log, and whether they met the target."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack import LocalSlack

WRITES = ("chat.postMessage", "chat.update")
SUMMED = ("alerts", "groups", "calls", "posts", "updates", "replies", "rate_limited")


@dataclass
class RouteTally:
    channel: str
    alerts: int = 0
    groups: int = 0
    calls: int = 0
    posts: int = 0
    updates: int = 0
    replies: int = 0
    rate_limited: int = 0
    max_updates_per_group: int = 0
    min_gap: float = math.inf
    max_post_lag: float = 0.0
    last_write: float = 0.0
    writes: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def within(self, *, updates_per_group: int, group_interval: float) -> bool:
        """One post per group, at most one update per group per group_interval, no 429s."""
        return (
            self.posts == self.groups
            and self.max_updates_per_group <= updates_per_group
            and self.min_gap >= group_interval
            and self.rate_limited == 0
        )


def tally(
    slack: LocalSlack,
    channel_route: dict[str, str],
    arrivals: Iterable[tuple[int, str, str]],
    incidents: Iterable[tuple[str, str | None, dict[str, Any]]],
    start: float,
) -> dict[str, RouteTally]:
    """Per route: calls, posts, updates, replies and 429s, and each group message's writes timed from `start`.

    `arrivals` are (second, route, service) per alert; `incidents` (route, message ts, group labels).
    """
    tallies = {route: RouteTally(channel=f"#{route}") for route in channel_route.values()}
    first_alert: dict[tuple[str, str], float] = {}
    for at, route, service in arrivals:
        tallies[route].alerts += 1
        first_alert.setdefault((route, service), float(at))
    service_of: dict[str | None, str] = {}
    for route, message_ts, group_labels in incidents:
        tallies[route].groups += 1
        service_of[message_ts] = group_labels["service"]
    for call in slack.calls:
        if call.method not in WRITES:
            continue
        route = channel_route[slack.channel_id(call.params["channel"])]
        counts = tallies[route]
        counts.calls += 1
        counts.rate_limited += call.status == 429
        if not call.ok:
            continue
        at = call.time - start
        counts.last_write = max(counts.last_write, at)
        if call.method == "chat.update":
            counts.updates += 1
            counts.writes[call.params["ts"]].append(at)
        elif call.params.get("thread_ts"):
            counts.replies += 1
        else:
            counts.posts += 1
            counts.writes[call.response["ts"]].append(at)
            lag = at - first_alert[(route, service_of[call.response["ts"]])]
            counts.max_post_lag = max(counts.max_post_lag, lag)
    for counts in tallies.values():
        for times in counts.writes.values():
            counts.max_updates_per_group = max(counts.max_updates_per_group, len(times) - 1)
            counts.min_gap = min([counts.min_gap, *(b - a for a, b in itertools.pairwise(times))])
    return tallies


def print_report(tallies: dict[str, RouteTally], *, storm_seconds: int, group_interval: int) -> bool:
    """Print the table; returns whether every route met the target."""
    per_group = math.ceil(storm_seconds / group_interval)
    header = (
        f"{'route':<9} {'channel':<10} {'alerts':>6} {'groups':>6} {'calls':>5} {'posts':>5} {'updates':>7} "
        f"{'max/grp':>7} {'min gap':>7} {'replies':>7} {'429s':>4} {'bound':>9} {'post lag':>8} {'last':>5}  within"
    )
    rule = "-" * len(header)
    print(header, rule, sep="\n")
    met = True
    total = RouteTally(channel="")
    for route, c in tallies.items():
        ok = c.within(updates_per_group=per_group, group_interval=group_interval)
        met &= ok
        gap = "-" if math.isinf(c.min_gap) else f"{c.min_gap:.0f}s"
        print(
            f"{route:<9} {c.channel:<10} {c.alerts:>6} {c.groups:>6} {c.calls:>5} {c.posts:>5} {c.updates:>7} "
            f"{c.max_updates_per_group:>7} {gap:>7} {c.replies:>7} {c.rate_limited:>4} "
            f"{f'{c.groups}+{c.groups * per_group}':>9} {c.max_post_lag:>7.0f}s {c.last_write:>4.0f}s  "
            f"{'yes' if ok else 'NO'}"
        )
        for name in SUMMED:
            setattr(total, name, getattr(total, name) + getattr(c, name))
    t = total
    print(rule)
    print(
        f"{'total':<9} {'':<10} {t.alerts:>6} {t.groups:>6} {t.calls:>5} {t.posts:>5} {t.updates:>7} {'':>7} "
        f"{'':>7} {t.replies:>7} {t.rate_limited:>4} {f'{t.groups}+{t.groups * per_group}':>9}"
    )
    print(
        f"bound: posts + updates allowed, one post and ceil({storm_seconds} s / {group_interval} s) = {per_group} "
        "updates per group. max/grp, min gap: most updates of one group message, shortest time between two\n"
        "writes to one. post lag: longest from a group's first alert to its post. last: the route's final write, "
        "from the storm's start."
    )
    return met
