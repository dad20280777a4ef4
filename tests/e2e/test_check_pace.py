"""A check whose run over its targets outlasts its interval says so in `/boltwatch checks`, with the time it took.

Here log_errors reads twelve log groups behind a FilterLogEvents quota lowered to four reads a second (a burst of
four): a run takes at least two seconds, and its interval is one."""

from __future__ import annotations

import asyncio

import boto3

from bot.aws.quotas import LogsQuota
from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, base_config, running_bot

GROUPS = [f"/aws/lambda/fn-{n}" for n in range(12)]


def create_groups(endpoint: str) -> None:
    logs = boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1")
    for name in GROUPS:
        logs.create_log_group(logGroupName=name)


async def checks_answer(bot: RunningBot) -> dict[str, str]:
    """The answer's line about each check, by check name."""
    await bot.command("/boltwatch", "checks")
    [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    texts = [b["text"]["text"] for b in answer.blocks if b["type"] == "section"]
    return {name: t for t in texts for name in ("log_errors", "cloudwatch_alarms") if t.startswith(f"*{name}*")}


async def test_a_check_slower_than_its_interval_is_named_in_boltwatch_checks(
    moto: MotoHandle, database_url: str
) -> None:
    await asyncio.to_thread(create_groups, moto.endpoint)
    config = base_config(
        checks=[
            {"type": "log_errors", "every": "1s", "log_groups": ["/aws/lambda/*"]},
            {"type": "cloudwatch_alarms", "every": "1h"},
        ]
    )
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        bot.app.services.aws.logs_quota = LogsQuota({"FilterLogEvents": 4.0})
        await bot.run_checks()

        answer = await checks_answer(bot)

    assert ":hourglass: cannot keep its interval: its last run took" in answer["log_errors"]
    assert answer["log_errors"].endswith("for every 1s")
    assert "cannot keep its interval" not in answer["cloudwatch_alarms"]
