"""The scheduled pruning as the running bot does it: what is past its retention goes, one replica prunes at a time,
and the channel's message history is what Slack keeps, not the bot's database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import boto3
from sqlalchemy import func, select

from bot.core import leases
from bot.store.models import Alert, Incident, IncidentEvent, OutboxItem
from sandbox.aws.server import MotoHandle
from tests.harness import running_bot


def alarm_in(moto: MotoHandle, state: str) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")
    if state == "ALARM":
        cloudwatch.put_metric_alarm(
            AlarmName="orders-api-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            Dimensions=[{"Name": "FunctionName", "Value": "orders-api"}],
        )  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName="orders-api-errors", StateValue=state, StateReason="test")


async def test_a_resolved_incident_is_pruned_after_its_retention_by_the_replica_holding_the_lease(
    moto: MotoHandle, database_url: str
) -> None:
    async with running_bot(moto=moto, database_url=database_url) as bot:
        await asyncio.to_thread(alarm_in, moto, "ALARM")
        await bot.run_checks()
        await bot.drain()
        [message] = bot.slack.channel_messages("#alerts")
        await asyncio.to_thread(alarm_in, moto, "OK")
        await bot.run_checks()
        bot.clock.advance(minutes=1)  # past the route's group_interval: the update and the "Resolved" reply are due
        await bot.wait_for(lambda: bot.slack.thread("#alerts", message.ts))

        def counts(session):  # type: ignore[no-untyped-def]
            return [session.scalar(select(func.count()).select_from(t)) for t in (Incident, Alert, IncidentEvent)]

        assert await bot.app.retention.run() == {
            "incidents": 0, "alerts": 0, "outbox": 0, "outbox subjects": 0, "wait jobs": 0, "audit events": 0,
        }  # fmt: skip
        assert (await bot.app.services.db.run(counts))[0] == 1

        bot.clock.advance(days=91)
        now = bot.clock()
        ttl = timedelta(minutes=15)
        other_holds = await bot.app.services.db.run(
            lambda s: leases.try_acquire(s, name="retention", holder="other-replica", now=now, ttl=ttl)
        )
        assert other_holds
        assert await bot.app.retention.run() == {}
        assert (await bot.app.services.db.run(counts))[0] == 1

        bot.clock.advance(minutes=20)
        deleted = await bot.app.retention.run()
        assert deleted["incidents"] >= 4  # the incident, its alert, its timeline, its Slack items
        assert await bot.app.services.db.run(counts) == [0, 0, 0]
        outbox = await bot.app.services.db.run(lambda s: s.scalar(select(func.count()).select_from(OutboxItem)))
        assert outbox == 0
        assert bot.slack.channel_messages("#alerts")[0].ts == message.ts
