"""Escalation on a real database with a controllable clock: each level pages at its time (counted from when the
incident opened), once however many replicas tick, told in the thread, by direct message, in the timeline and the
audit log; acknowledging, resolving or snoozing stops or holds it; the policy repeats as configured."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.core import escalation
from bot.core.access import Action
from bot.core.escalation_policy import Level, Policy
from bot.core.incident_actions import act
from bot.core.oncall_settings import ScheduleSettings
from bot.core.oncall_store import add_override
from bot.enums import EscalationStatus, IncidentStatus
from bot.store import Database, make_engine
from bot.store.models import AuditEvent, Escalation, Incident, IncidentEvent, OutboxItem
from tests.alerting import NOW

PRIMARY = ScheduleSettings.model_validate(
    {"name": "primary", "timezone": "UTC", "rotations": [{"users": ["U0ALICE"], "every": "weekly"}]}
).build()
SCHEDULES = {"primary": PRIMARY}
POLICY = Policy((Level(timedelta(minutes=5), ("schedule:primary",)), Level(timedelta(minutes=15), ("U0LEAD", "#ops"))))


async def opened(db: Database, route: str = "payments") -> int:
    def add(session):  # type: ignore[no-untyped-def]
        incident = Incident(group_key="g", route=route, channel="C1", message_ts="1.0", opened_at=NOW, title="Alarm x")
        session.add(incident)
        session.flush()
        return incident.id

    return int(await db.run(add))


async def tick(db: Database, minutes: float, policy: Policy = POLICY) -> int:
    at = NOW + timedelta(minutes=minutes)
    return int(await db.run(lambda s: escalation.tick(s, policies={"payments": policy}, schedules=SCHEDULES, now=at)))


async def pages(db: Database) -> list[tuple[str, str]]:
    """(operation, channel) of the outbox items escalation queued: thread replies and pages."""

    def read(session):  # type: ignore[no-untyped-def]
        items = session.scalars(select(OutboxItem).order_by(OutboxItem.id))
        return [("reply" if "escalated" in i.payload else "page", i.channel) for i in items
                if "escalated" in i.payload or "page" in i.payload]  # fmt: skip

    return list(await db.run(read))


async def timeline(db: Database) -> list[tuple[str, str]]:
    return list(await db.run(lambda s: [(e.kind, e.detail) for e in s.scalars(select(IncidentEvent))]))


async def test_each_level_pages_at_its_time_and_once(db: Database) -> None:
    await opened(db)
    assert await tick(db, 4.9) == 0
    assert await pages(db) == []
    assert await tick(db, 5) == 1
    assert await pages(db) == [("reply", "C1"), ("page", "U0ALICE")]
    assert await tick(db, 5) == 0
    assert await tick(db, 14) == 0
    assert await tick(db, 15) == 1
    assert (await pages(db))[2:] == [("reply", "C1"), ("page", "U0LEAD"), ("page", "#ops")]
    assert await tick(db, 60) == 0
    status = await db.run(lambda s: s.scalars(select(Escalation.status)).one())
    assert status == EscalationStatus.EXHAUSTED
    assert await timeline(db) == [
        ("escalated", "level 1 after 5m: U0ALICE (on call: primary)"),
        ("escalated", "level 2 after 15m: U0LEAD, #ops"),
    ]
    audited = await db.run(lambda s: [(a.action, a.detail["level"]) for a in s.scalars(select(AuditEvent))])
    assert audited == [("escalation_paged", 1), ("escalation_paged", 2)]


async def test_a_tick_that_fell_behind_pages_every_level_that_came_due(db: Database) -> None:
    await opened(db)
    assert await tick(db, 20) == 2


async def test_acknowledging_stops_it_and_says_so(db: Database) -> None:
    incident_id = await opened(db)
    await tick(db, 5)
    outcome = await db.run(lambda s: act(s, action=Action.ACKNOWLEDGE, incident_id=incident_id, user="U0ALICE",
                                         channel="D0ALICE", rules=[], now=NOW + timedelta(minutes=6)))  # fmt: skip
    assert outcome.changed  # from the direct message: Alice was paged
    assert await tick(db, 15) == 0
    assert [kind for kind, _ in await timeline(db)] == ["escalated", "acknowledge", "escalation_stopped"]
    assert (await timeline(db))[-1][1] == "acknowledged by U0ALICE after 1 page(s)"


async def test_only_the_paged_may_act_from_a_direct_message(db: Database) -> None:
    incident_id = await opened(db)
    await tick(db, 5)
    outcome = await db.run(lambda s: act(s, action=Action.ACKNOWLEDGE, incident_id=incident_id, user="U0MALLORY",
                                         channel="D0MALLORY", rules=[], now=NOW + timedelta(minutes=6)))  # fmt: skip
    assert not outcome.changed
    assert await tick(db, 15) == 1


async def test_an_incident_resolved_by_its_check_pages_no_one_more(db: Database) -> None:
    incident_id = await opened(db)
    await tick(db, 5)

    def resolved(session):  # type: ignore[no-untyped-def]
        incident = session.get_one(Incident, incident_id)
        incident.status, incident.resolved_at = IncidentStatus.RESOLVED, NOW + timedelta(minutes=7)

    await db.run(resolved)
    assert await tick(db, 15) == 0
    assert (await timeline(db))[-1] == ("escalation_stopped", "resolved by boltwatch after 1 page(s)")


async def test_a_snooze_holds_the_pages_until_it_ends(db: Database) -> None:
    incident_id = await opened(db)
    until = NOW + timedelta(minutes=30)
    await db.run(lambda s: act(s, action=Action.SNOOZE, incident_id=incident_id, user="U0ALICE", channel="C1",
                               rules=[], now=NOW, snooze_until=until))  # fmt: skip
    assert await tick(db, 20) == 0
    assert await tick(db, 30) == 2


async def test_the_policy_repeats_from_its_last_level(db: Database) -> None:
    await opened(db)
    repeating = Policy(POLICY.levels, repeats=1)
    fired = [minute for minute in range(0, 40) if await tick(db, minute, repeating)]
    assert fired == [5, 15, 20, 30]
    assert (await timeline(db))[2][1].startswith("level 1, repeat 1 after 20m")


async def test_reopening_starts_the_policy_over(db: Database) -> None:
    incident_id = await opened(db)
    await tick(db, 5)
    for action, minute in ((Action.RESOLVE, 6), (Action.REOPEN, 30)):
        at = NOW + timedelta(minutes=minute)
        await db.run(lambda s, a=action, t=at: act(s, action=a, incident_id=incident_id, user="U0ALICE",
                                                   channel="C1", rules=[], now=t))  # fmt: skip
    assert await tick(db, 31) == 0
    assert await tick(db, 35) == 1


async def test_an_override_is_paged_instead_of_the_rotation(db: Database) -> None:
    await opened(db)
    await db.run(lambda s: add_override(s, schedule="primary", user="U0CAROL", starts=NOW,
                                        ends=NOW + timedelta(hours=1), by="U0ALICE", channel="C1"))  # fmt: skip
    await tick(db, 5)
    assert await pages(db) == [("reply", "C1"), ("page", "U0CAROL")]


async def test_two_replicas_ticking_at_once_page_once(db: Database, database_url: str) -> None:
    await opened(db)
    other = Database(make_engine(database_url))
    try:
        at = NOW + timedelta(minutes=5)

        def ticking(database: Database):  # type: ignore[no-untyped-def]
            return database.run(lambda s: escalation.tick(s, policies={"payments": POLICY}, schedules=SCHEDULES,
                                                          now=at))  # fmt: skip

        results = await asyncio.gather(*(ticking(d) for d in (db, other, db, other)))
    finally:
        other.close()
    assert sum(results) == 1
    assert await pages(db) == [("reply", "C1"), ("page", "U0ALICE")]
