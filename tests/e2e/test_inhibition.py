"""Inhibition through the running bot and the local Slack, with the issue's literal rule: while the lambda_errors
check fails in an account and region (moto enforcing IAM on a user that may not call Lambda), its health alert
holds back the alarm of that account and region. The alarm's posted message says what suppresses it and the health
incident's message counts what it suppresses; once the check recovers, both say so no more."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from sandbox.aws.server import MotoHandle, post_moto_api, sandbox_client
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import RunningBot, base_config, running_bot

ALARM = "orders-api-errors"
CONFIG = base_config(
    checks=[{"type": "cloudwatch_alarms", "every": "1h"}, {"type": "lambda_errors", "every": "1h"}],
    inhibit_rules=[{
        "source_match": {"check": "check_health"}, "target_match_re": {"check": ".*"}, "equal": ["account", "region"],
    }],
)  # fmt: skip


@dataclass
class LambdaDenied:
    """moto enforcing IAM on the bot's credentials, those of a user that may do anything but call Lambda."""

    moto: MotoHandle
    previous: str | None = None

    def enforce(self) -> None:
        self.previous = json.loads(post_moto_api(self.moto.endpoint, "/moto-api/reset-auth", b"0"))[
            "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"
        ]

    def lift(self) -> None:
        if self.previous is not None:
            post_moto_api(self.moto.endpoint, "/moto-api/reset-auth", self.previous.encode())
            self.previous = None


@pytest.fixture
def lambda_denied(moto: MotoHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaDenied]:
    iam = sandbox_client(moto.endpoint, "iam", "us-east-1")
    user = f"no-lambda-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    allowed = ["sts:*", "monitoring:*", "cloudwatch:*", "tagging:*", "logs:*"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": allowed, "Resource": "*"}]}
    iam.put_user_policy(UserName=user, PolicyName="no-lambda", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    denied = LambdaDenied(moto)
    try:
        yield denied
    finally:
        denied.lift()


async def checked(bot: RunningBot, runs: int = 1) -> None:
    for _ in range(runs):
        await bot.run_checks()
        bot.clock.advance(seconds=30)
        await bot.drain()


def shown(bot: RunningBot, ts: str) -> str:
    return str(bot.slack.message("#alerts", ts).blocks)


async def test_a_failing_checks_health_alert_visibly_suppresses_the_alarm_of_its_account_and_region(
    moto: MotoHandle, database_url: str, lambda_denied: LambdaDenied
) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=CONFIG) as bot:
        await asyncio.to_thread(put_alarm, bot.moto, ALARM)
        await asyncio.to_thread(set_state, bot.moto, ALARM, "ALARM")
        lambda_denied.enforce()
        await checked(bot)  # lambda_errors fails once: no health incident yet
        [alarm] = bot.slack.channel_messages("#alerts")
        assert "Alarm orders-api-errors" in str(alarm.blocks) and "Suppressed" not in shown(bot, alarm.ts)

        await checked(bot, runs=3)  # its third failure in a row raises its health alert, which inhibits the alarm
        [_, health] = bot.slack.channel_messages("#alerts")
        assert "Check lambda_errors is failing in default / us-east-1" in str(health.blocks)
        assert "suppressed by #2 Check lambda_errors is failing in default / us-east-1" in shown(bot, alarm.ts)
        assert "Also suppressing 1 alert" in shown(bot, health.ts)

        lambda_denied.lift()
        await checked(bot)
        assert "RESOLVED" in shown(bot, health.ts) and "Also suppressing" not in shown(bot, health.ts)
        assert "Suppressed" not in shown(bot, alarm.ts) and "RESOLVED" not in shown(bot, alarm.ts)
        assert len(bot.slack.channel_messages("#alerts")) == 2  # the alarm is still its one message
