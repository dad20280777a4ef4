"""A check that keeps failing opens an incident about itself, naming the missing IAM action; it resolves on recovery."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.store.models import Alert, CheckHealth
from sandbox.aws.server import MotoHandle, post_moto_api, sandbox_client
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import base_config, running_bot


@pytest.fixture
def denied_credentials(moto: MotoHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The bot's credentials become those of an IAM user allowed nothing but sts:GetCallerIdentity,
    and moto checks IAM on every call until the returned endpoint's auth is restored."""
    iam = sandbox_client(moto.endpoint, "iam", "us-east-1")
    user = f"reader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="identity-only", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    previous = json.loads(post_moto_api(moto.endpoint, "/moto-api/reset-auth", b"0"))
    try:
        yield previous["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]
    finally:
        post_moto_api(moto.endpoint, "/moto-api/reset-auth", previous["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"].encode())


async def test_access_denied_three_runs_in_a_row_opens_an_incident_that_resolves_on_recovery(
    moto: MotoHandle, database_url: str, denied_credentials: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        await bot.run_checks()
        await bot.run_checks()
        await bot.drain()
        assert bot.slack.channel_messages("#alerts") == []

        await bot.run_checks()
        await bot.drain()
        [message] = bot.slack.channel_messages("#alerts")
        text = str(message.blocks)
        assert "Check cloudwatch_alarms is failing in default / us-east-1" in text
        assert "*Missing IAM action:* monitoring:DescribeAlarms" in text  # moto names the endpoint prefix
        # It carries its account's id, as the check's own alerts do: an inhibit rule's `equal: [account]` pairs them.
        health = await bot.app.services.db.run(
            lambda s: s.scalars(select(Alert).where(Alert.check_name == "health:cloudwatch_alarms")).one()
        )
        where = (health.account, health.region, health.labels["account_name"])
        assert where == ("123456789012", "us-east-1", "default")

        post_moto_api(moto.endpoint, "/moto-api/reset-auth", denied_credentials.encode())
        await bot.run_checks()
        bot.clock.advance(seconds=10)
        await bot.drain()
        assert "RESOLVED" in bot.slack.message("#alerts", message.ts).blocks[0]["text"]["text"]


async def test_one_failing_account_does_not_stop_the_others(moto: MotoHandle, database_url: str) -> None:
    config = base_config(
        aws={
            "regions": ["us-east-1", "eu-west-1"],
            "max_attempts": 1,
            "accounts": [{"name": "default"}, {"name": "broken", "profile": "no-such-profile"}],
        }
    )
    await asyncio.to_thread(put_alarm, moto, "orders-api-errors")
    await asyncio.to_thread(set_state, moto, "orders-api-errors", "ALARM")
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        await bot.run_checks()
        await bot.drain()
        [message] = bot.slack.channel_messages("#alerts")
        assert "Alarm orders-api-errors" in message.text and "us-east-1" in str(message.blocks)
        [health] = await bot.app.services.db.run(
            lambda s: [(h.consecutive_failures, h.last_error) for h in s.query(CheckHealth)]
        )
        assert health[0] == 1
        assert "broken/us-east-1" in health[1] and "broken/eu-west-1" in health[1] and "default/" not in health[1]
