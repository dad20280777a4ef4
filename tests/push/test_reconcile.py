"""With push on, the checks AWS pushes for poll at `push.reconcile_every` unless they set their own interval: polling
reconciles what push missed rather than racing it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sandbox.aws.server import MotoHandle
from tests.harness import base_config, running_bot
from tests.push.sns_bot import push_config

CHECKS = [
    {"type": "cloudwatch_alarms", "name": "alarms"},
    {"type": "cloudwatch_alarms", "name": "fast-alarms", "every": "30s", "name_prefix": "p1-"},
    {"type": "lambda_errors"},
]


async def intervals(moto: MotoHandle, database_url: str, config: dict) -> dict[str, timedelta]:  # type: ignore[type-arg]
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        return {check.name: check.every for check in bot.app.runner.checks}


async def test_with_push_on_alarms_poll_at_the_reconcile_interval(
    moto: MotoHandle, database_url: str, tmp_path: Path
) -> None:
    config = push_config(tmp_path, checks=CHECKS)
    assert await intervals(moto, database_url, config) == {
        "alarms": timedelta(minutes=5), "fast-alarms": timedelta(seconds=30), "lambda_errors": timedelta(seconds=60),
    }  # fmt: skip
    config["push"]["reconcile_every"] = "2m"
    assert (await intervals(moto, database_url, config))["alarms"] == timedelta(minutes=2)


async def test_without_push_alarms_poll_at_their_own_default(moto: MotoHandle, database_url: str) -> None:
    assert (await intervals(moto, database_url, base_config(checks=CHECKS)))["alarms"] == timedelta(seconds=30)
