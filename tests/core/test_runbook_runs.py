"""Starting runbook actions on a real database: one action runs on a resource at a time, whoever confirms first."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.core import runbook
from bot.enums import ActionRunStatus
from bot.store import Database
from bot.store.models import ActionRun, AuditEvent, Incident
from tests.alerting import NOW


def plan(action: str, user: str, incident_id: int) -> runbook.Planned:
    return runbook.Planned(
        incident_id=incident_id, action=action, resource="i-0abc", account="prod", region="us-east-1",
        request={"service": "ec2", "operation": "RebootInstances", "params": {"InstanceIds": ["i-0abc"]}},
        requester=user, channel="C1",
    )  # fmt: skip


async def test_two_people_confirming_at_once_start_one_run_and_the_other_is_told_why(db: Database) -> None:
    def posted_incident(session):  # type: ignore[no-untyped-def]
        incident = Incident(group_key="ec2", route="default", channel="C1", message_ts="1.0", opened_at=NOW)
        session.add(incident)
        session.flush()
        return incident.id

    incident_id = await db.run(posted_incident)

    def start(action: str, user: str):  # type: ignore[no-untyped-def]
        return lambda s: runbook.begin(s, plan(action, user, incident_id), cooldown=timedelta(minutes=10), now=NOW)

    results = await asyncio.gather(*(db.run(start(a, u)) for a, u in [("ec2_reboot", "U1"), ("ec2_start", "U2")] * 3))

    started = [r for r in results if r.run_id is not None]
    assert len(started) == 1
    refusals = [r.refusal for r in results if r.run_id is None]
    assert len(refusals) == 5 and all(r and "already running on i-0abc" in r for r in refusals)
    runs = await db.run(lambda s: s.scalars(select(ActionRun)).all())
    assert [run.status for run in runs] == [ActionRunStatus.RUNNING]
    refused = await db.run(lambda s: s.scalars(select(AuditEvent).where(AuditEvent.action == "action_refused")).all())
    assert len(refused) == 5
