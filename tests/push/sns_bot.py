"""Driving a bot that takes SNS deliveries: its config, deliveries over HTTP, what it stored, alarms in moto."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import boto3
from sqlalchemy import select

from bot.store.models import Alert, Incident, IncidentEvent, OutboxItem, PushDelivery
from sandbox.aws.fake_sns import TOPIC
from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, base_config


def push_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """The test config plus `push.sns`: our topic, certificates from 127.0.0.1 trusted through the fake CA."""
    sns = {"topics": [TOPIC], "cert_hosts": ["127.0.0.1"], "ca_bundle": str(tmp_path / "ca.pem")}
    return base_config(push={"sns": sns}, **overrides)


async def deliver(bot: RunningBot, body: dict[str, Any] | bytes) -> int:
    """POST a delivery to /aws/sns as SNS does (text/plain JSON); the HTTP status."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "text/plain; charset=UTF-8"}
    if isinstance(body, dict) and "Type" in body:
        headers["x-amz-sns-message-type"] = str(body["Type"])
    async with aiohttp.ClientSession() as http, http.post(f"{bot.base_url}/aws/sns", data=data, headers=headers) as r:
        return r.status


async def metrics(bot: RunningBot) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.base_url}/metrics") as response:
        return await response.text()


@dataclass(frozen=True)
class Stored:
    """What the database holds about alerts, incidents, Slack writes and deliveries."""

    alerts: list[tuple[str, str, datetime, int]]
    incidents: list[tuple[int, str]]
    outbox: int
    deliveries: list[tuple[str, str]]


async def stored(bot: RunningBot) -> Stored:
    def read(session):  # type: ignore[no-untyped-def]
        alerts = session.scalars(select(Alert).order_by(Alert.fingerprint)).all()
        return Stored(
            alerts=[(a.fingerprint, a.status, a.last_seen, a.count) for a in alerts],
            incidents=[(i.id, i.status) for i in session.scalars(select(Incident).order_by(Incident.id))],
            outbox=len(session.scalars(select(OutboxItem.id)).all()),
            deliveries=[(d.kind, d.outcome) for d in session.scalars(select(PushDelivery))],
        )

    return await bot.app.services.db.run(read)


async def timeline(bot: RunningBot) -> list[tuple[str, str]]:
    """Every incident's timeline entries, oldest first: (kind, detail)."""

    def read(session):  # type: ignore[no-untyped-def]
        return [(e.kind, e.detail) for e in session.scalars(select(IncidentEvent).order_by(IncidentEvent.id))]

    return await bot.app.services.db.run(read)


def _alarm(endpoint: str, name: str, state: str, function: str) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
    cloudwatch.put_metric_alarm(
        AlarmName=name, AlarmDescription=f"{function} is failing", Namespace="AWS/Lambda", MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": function}], Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="Threshold crossed: 5 datapoints >= 1")


async def alarm_in_moto(moto: MotoHandle, name: str, state: str = "ALARM", function: str = "orders-api") -> None:
    """The alarm as the `cloudwatch_alarms` poll will find it (moto set up off the loop)."""
    await asyncio.to_thread(_alarm, moto.endpoint, name, state, function)
