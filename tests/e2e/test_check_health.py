"""A check that keeps failing opens an incident about itself, naming the missing IAM action; it resolves on recovery."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from bot.sandbox.aws.server import MotoHandle, post_moto_api, sandbox_client
from tests.harness import running_bot


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

        post_moto_api(moto.endpoint, "/moto-api/reset-auth", denied_credentials.encode())
        await bot.run_checks()
        bot.clock.advance(seconds=10)
        await bot.drain()
        assert "RESOLVED" in bot.slack.message("#alerts", message.ts).blocks[0]["text"]["text"]
