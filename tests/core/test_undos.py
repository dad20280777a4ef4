"""Scheduled undos on a real database: kept from the moment the action starts, claimed by one replica at a time,
called off when the action's own call failed or a newer run replaced them, retried sooner at first when AWS refuses
them, and told once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core import runbook, undos
from bot.core.undos import PlannedUndo
from bot.enums import ActionRunStatus, UndoStatus
from bot.store import Database
from bot.store.models import ActionRun, AuditEvent, Incident, OutboxItem, ScheduledUndo
from tests.alerting import NOW

REENABLE = {"service": "cloudwatch", "operation": "EnableAlarmActions", "params": {"AlarmNames": ["a"]},
            "call": "cloudwatch.EnableAlarmActions(AlarmNames=['a'])", "verify": None}  # fmt: skip
PAUSE = PlannedUndo(timedelta(hours=1), REENABLE, "The actions of alarm a are enabled again", "paused by")


async def paused(db: Database, *, at: timedelta = timedelta(0)) -> int:
    """alarm_actions_pause started on alarm `a` (its call not yet made); the run's id."""

    def start(session):  # type: ignore[no-untyped-def]
        incident = Incident(group_key="alarm", route="default", channel="C1", message_ts="1.0", opened_at=NOW)
        session.add(incident)
        session.flush()
        plan = runbook.Planned(
            incident_id=incident.id, action="alarm_actions_pause", resource="a", account="prod", region="us-east-1",
            request={"service": "cloudwatch", "operation": "DisableAlarmActions", "params": {"AlarmNames": ["a"]}},
            requester="U1", channel="C1", undo=PAUSE,
        )  # fmt: skip
        started = runbook.begin(session, plan, cooldown=timedelta(0), now=NOW + at)
        assert started.run_id is not None
        return started.run_id

    return int(await db.run(start))


async def refused(db: Database, *, at: datetime) -> tuple[int, datetime]:
    """The undo due `at` claimed, and refused by AWS; its id and when it is due again."""
    [undo] = await db.run(lambda s: undos.claim_due(s, holder="A", now=at))
    await db.run(lambda s: undos.record_failure(s, undo_id=undo.id, error="unreachable", iam_action=None, now=at))
    return undo.id, await db.run(lambda s: s.get_one(ScheduledUndo, undo.id).due_at)


async def statuses(db: Database) -> list[str]:
    return await db.run(lambda s: [u.status for u in s.scalars(select(ScheduledUndo).order_by(ScheduledUndo.id))])


async def test_the_undo_is_kept_before_the_call_and_claimed_by_one_replica_at_a_time(db: Database) -> None:
    await paused(db)
    assert await statuses(db) == [UndoStatus.PENDING]
    due = NOW + timedelta(hours=1)
    assert await db.run(lambda s: undos.claim_due(s, holder="A", now=due - timedelta(seconds=1))) == []
    [claimed] = await db.run(lambda s: undos.claim_due(s, holder="A", now=due))
    assert claimed.request["operation"] == "EnableAlarmActions"
    assert await db.run(lambda s: undos.claim_due(s, holder="B", now=due)) == []
    # A died holding it: once its claim lapses, B makes the call.
    later = due + timedelta(seconds=undos.CLAIM_SECONDS + 1)
    assert [u.id for u in await db.run(lambda s: undos.claim_due(s, holder="B", now=later))] == [claimed.id]


async def test_an_action_whose_call_failed_leaves_nothing_to_undo(db: Database) -> None:
    run_id = await paused(db)

    def failed(session):  # type: ignore[no-untyped-def]
        undo = session.scalars(select(ScheduledUndo)).one()
        plan = runbook.Planned(
            incident_id=undo.incident_id, action="alarm_actions_pause", resource="a", account="prod",
            region="us-east-1", request={}, requester="U1", channel="C1",
        )  # fmt: skip
        runbook.call_failed(session, run_id=run_id, plan=plan, error="AccessDenied", iam_action=None,
                            duration=timedelta(seconds=1), now=NOW)  # fmt: skip

    await db.run(failed)
    assert await statuses(db) == [UndoStatus.SUPERSEDED]
    assert await db.run(lambda s: undos.claim_due(s, holder="A", now=NOW + timedelta(days=1))) == []


async def test_a_newer_pause_of_the_same_alarm_replaces_the_older_one_s_undo(db: Database) -> None:
    first = await paused(db)

    def verified(session):  # type: ignore[no-untyped-def]
        session.get_one(ActionRun, first).status = ActionRunStatus.SUCCEEDED

    await db.run(verified)
    await paused(db, at=timedelta(minutes=20))
    assert await statuses(db) == [UndoStatus.SUPERSEDED, UndoStatus.PENDING]
    [due] = await db.run(lambda s: undos.claim_due(s, holder="A", now=NOW + timedelta(hours=2)))
    newer = await db.run(lambda s: s.get_one(ScheduledUndo, due.id).due_at)
    assert newer == NOW + timedelta(minutes=80)


async def test_a_refused_undo_is_retried_sooner_at_first_and_told_once(db: Database) -> None:
    await paused(db)
    due = NOW + timedelta(hours=1)
    retries = []
    for _ in range(6):
        undo_id, next_due = await refused(db, at=due)
        retries.append(next_due - due)
        due = next_due
    minutes = [int(r.total_seconds() // 60) for r in retries]
    assert minutes == [1, 2, 4, 8, 15, 15]
    audited = await db.run(lambda s: [a.action for a in s.scalars(select(AuditEvent))])
    assert audited.count("action_undo_failed") == 1
    told = await db.run(lambda s: [o.payload for o in s.scalars(select(OutboxItem)) if "undo_failed" in o.payload])
    assert len(told) == 1 and told[0]["undo_failed"]["retry"] == "1m"

    await db.run(lambda s: undos.record_made(s, undo_id=undo_id, seen="actions enabled: True", now=due))
    assert await statuses(db) == [UndoStatus.DONE]
    [made] = await db.run(lambda s: [a for a in s.scalars(select(AuditEvent)) if a.action == "action_undone"])
    assert made.actor == "boltwatch" and made.detail["on_behalf_of"] == "U1"
