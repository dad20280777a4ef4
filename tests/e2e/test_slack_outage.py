"""Slack answers 429 and 500 for two minutes while 20 incidents open and change: nothing is lost or doubled."""

from __future__ import annotations

import itertools

import boto3

from sandbox.aws.server import MotoHandle
from sandbox.slack import Fault
from tests.harness import base_config, running_bot

INCIDENTS = 20
OUTAGE_SECONDS = 120


async def test_every_message_and_update_arrives_once_and_in_order_after_an_outage(
    moto: MotoHandle, database_url: str
) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")
    names = [f"service-{i:02d}-errors" for i in range(INCIDENTS)]
    for name in names:
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
    config = base_config(routes=[{"name": "per-alarm", "group_by": ["alarm"]}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        outage_ends = bot.clock.timestamp() + OUTAGE_SECONDS
        answers = itertools.cycle([Fault(429, retry_after=7), Fault(500)])

        def flaky(method: str, params: dict) -> Fault | None:  # type: ignore[type-arg]
            return next(answers) if bot.clock.timestamp() < outage_ends and method.startswith("chat.") else None

        bot.slack.add_fault_hook(flaky)
        for name in names:
            cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold crossed")
        await bot.run_checks()
        for second in range(OUTAGE_SECONDS + 900):
            if second == 40:
                for name in names[:10]:
                    cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="recovered")
                await bot.run_checks()
            await bot.app.notifier.drain_once()
            bot.clock.advance(seconds=1)
            if second > OUTAGE_SECONDS and not await bot.app.services.db.run(_pending):
                break

        slack = bot.slack
        failures = [c for c in slack.calls if c.method.startswith("chat.") and not c.ok]
        assert {c.status for c in failures} == {429, 500}
        messages = slack.channel_messages("#alerts")
        assert len(messages) == INCIDENTS
        by_title = {next(n for n in names if n in m.text): m for m in messages}
        for name in names[:10]:
            message = by_title[name]
            assert "RESOLVED" in message.blocks[0]["text"]["text"]
            # Resolved before Slack took its post: the post says so, and no "Resolved" reply follows it.
            assert slack.thread("#alerts", message.ts) == []
        for name in names[10:]:
            message = by_title[name]
            assert "WARNING" in message.blocks[0]["text"]["text"]
            assert slack.thread("#alerts", message.ts) == []
        for message in messages:
            calls = [
                c
                for c in slack.calls
                if c.ok and (c.response.get("ts") == message.ts or c.params.get("thread_ts") == message.ts)
            ]
            assert calls[0].method == "chat.postMessage" and "thread_ts" not in calls[0].params
            assert all(c.method != "chat.postMessage" or "thread_ts" in c.params for c in calls[1:])


def _pending(session) -> int:  # type: ignore[no-untyped-def]
    from bot.delivery.outbox import pending_count

    return pending_count(session)
