"""`routes[].escalation` and `schedules[]` as the config file writes them: what loads, and one line naming the path
of each mistake."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.config import ConfigError, settings_from_mapping
from bot.core.routing import build_routes

ENV = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret"}
SCHEDULE = {"name": "primary", "rotations": [{"users": ["U0ALICE"]}]}


def load(routes: list[dict[str, Any]], schedules: list[dict[str, Any]] | None = None) -> Any:
    schedules = [SCHEDULE] if schedules is None else schedules
    raw = {"slack": {"channel": "#alerts"}, "routes": routes, "schedules": schedules}
    return settings_from_mapping(raw, ENV)


def problems(routes: list[dict[str, Any]], schedules: list[dict[str, Any]] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load(routes, schedules)
    return "\n".join(caught.value.problems)


def test_the_issues_example_loads_into_a_policy_that_repeats() -> None:
    settings = load([{"name": "payments", "match": {"team": "payments"}, "repeat_escalation": 1, "escalation": [
        {"after": "5m", "notify": ["schedule:primary"]}, {"after": "15m", "notify": ["U0LEAD"]}]}])  # fmt: skip
    [payments, _] = build_routes(settings.file.routes, "#alerts")
    policy = payments.escalation
    due = [step.due for n in range(policy.steps) if (step := policy.step(n)) is not None]
    assert due == [timedelta(minutes=m) for m in (5, 15, 20, 30)]
    assert policy.step(4) is None


@pytest.mark.parametrize(
    ("route", "schedules", "problem"),
    [
        ({"escalation": [{"after": "5m", "notify": ["schedule:secondary"]}]}, None,
         "routes[0].escalation[0].notify: no schedule is named 'secondary' (schedules: primary)"),
        ({"mentions": {"critical": ["U0LEAD", "schedule:nights"]}}, None,
         "routes[0].mentions.critical: no schedule is named 'nights' (schedules: primary)"),
        ({"escalation": [{"after": "15m", "notify": ["U1X"]}, {"after": "5m", "notify": ["U2X"]}]}, None,
         "routes[0].escalation: each level's `after` counts from the incident's start"),
        ({"escalation": [{"after": "5m", "notify": ["bob"]}]}, None,
         "routes[0].escalation[0].notify: 'bob' is not a user id (U…), schedule:NAME, or a channel"),
        ({"escalation": [{"after": "5m", "notify": []}]}, None, "routes[0].escalation[0].notify"),
        ({"escalation": [{"after": "soon", "notify": ["U1X"]}]}, None, "routes[0].escalation[0].after"),
        ({"repeat_escalation": 11}, None, "routes[0].repeat_escalation"),
        ({}, [SCHEDULE, SCHEDULE], "schedules: two schedules are named 'primary'; rename one"),
        ({}, [{"name": "x", "timezone": "Mars/Olympus", "rotations": [{"users": ["U1"]}]}],
         "schedules[0].timezone: 'Mars/Olympus' is not a time zone"),
        ({}, [{"name": "x", "rotations": [{"users": ["U1"], "every": "biweekly"}]}],
         "schedules[0].rotations[0].every: 'biweekly' is not daily, weekly or a length like 3d or 12h"),
        ({}, [{"name": "x", "rotations": [{"users": ["U1"], "shift": "day"}]}],
         "schedules[0].rotations[0].shift: unknown key"),
    ],
)  # fmt: skip
def test_a_mistake_is_one_line_naming_its_path(
    route: dict[str, Any], schedules: list[dict[str, Any]] | None, problem: str
) -> None:
    assert problem in problems([route], schedules)
