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
from bot.enums import AlertStatus, EscalationStatus, IncidentStatus
from bot.store import Database, make_engine
from bot.store.models import Alert, AuditEvent, Escalation, Incident, IncidentEvent, OutboxItem, Silence
from tests.alerting import NOW

PRIMARY = ScheduleSettings.model_validate(
    {"name": "primary", "timezone": "UTC", "rotations": [{"users": ["U0ALICE"], "every": "weekly"}]}
).build()
SCHEDULES = {"primary": PRIMARY}
POLICY = Policy((Level(timedelta(minutes=5), ("schedule:primary",)), Level(timedelta(minutes=15), ("U0LEAD", "#ops"))))


async def opened(db: Database, route: str = "payments") -> int:
    """An open incident with one firing alert."""

    def add(session):  # type: ignore[no-untyped-def]
        incident = Incident(group_key="g", route=route, channel="C1", message_ts="1.0", opened_at=NOW, title="Alarm x")
        session.add(incident)
        session.flush()
        session.add(Alert(fingerprint="alarms:x", check_name="alarms", title="Alarm x", incident_id=incident.id,
                          status=AlertStatus.FIRING, first_seen=NOW, last_seen=NOW))  # fmt: skip
        return incident.id

    return int(await db.run(add))


async def alert_becomes(db: Database, **state: object) -> None:
    """The incident's alert as a check run would record it: silenced, inhibited, clear, flapping..."""

    def change(session):  # type: ignore[no-untyped-def]
        alert = session.scalars(select(Alert)).one()
        if state.get("silenced_by") is not None and session.get(Silence, state["silenced_by"]) is None:
            session.add(Silence(id=state["silenced_by"], matchers=[{"label": "resource", "value": "x"}],
                                starts_at=NOW, ends_at=NOW + timedelta(days=1), author="U0ALICE"))  # fmt: skip
            session.flush()
        for name, value in state.items():
            setattr(alert, name, value)

    await db.run(change)


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


async def test_a_muted_incident_pages_no_one_and_its_levels_move_on_by_the_mute(db: Database) -> None:
    await opened(db)
    assert await tick(db, 1) == 0
    await alert_becomes(db, silenced_by=1)  # muted at minute 2, before level 1 is due
    assert await tick(db, 2) == 0
    assert await tick(db, 5) == 0
    assert await tick(db, 29) == 0
    assert await pages(db) == []
    await alert_becomes(db, silenced_by=None)  # the mute ends at minute 30: held 28 minutes
    assert await tick(db, 30) == 0  # no burst of the missed levels
    assert await tick(db, 32.9) == 0
    assert await tick(db, 33) == 1  # 5 minutes of attention, as configured
    assert await tick(db, 42.9) == 0
    assert await tick(db, 43) == 1
    kinds = [(kind, detail) for kind, detail in await timeline(db)]
    assert kinds[:2] == [
        ("escalation_held", "paging held: no alert notifies (silenced, in a maintenance window or inhibited)"),
        ("escalation_resumed", "paging resumed after 28m held, level 1 in 3m"),
    ]
    assert [kind for kind, _ in kinds[2:]] == ["escalated", "escalated"]


async def test_an_inhibited_incident_holds_between_levels_too(db: Database) -> None:
    await opened(db)
    assert await tick(db, 5) == 1
    await alert_becomes(db, inhibited_by="alarms:health")
    assert await tick(db, 6) == 0
    assert await tick(db, 40) == 0
    await alert_becomes(db, inhibited_by=None)
    assert await tick(db, 46) == 0  # held 40 minutes: level 2 at 15 + 40
    assert await tick(db, 55) == 1
    status = await db.run(lambda s: s.scalars(select(Escalation.status)).one())
    assert status == EscalationStatus.EXHAUSTED


async def test_a_flapping_incident_keeps_escalating_while_its_alert_is_clear(db: Database) -> None:
    await opened(db)
    await alert_becomes(db, status=AlertStatus.RESOLVED, flapping=True)
    assert await tick(db, 5) == 1
    assert [kind for kind, _ in await timeline(db)] == ["escalated"]


async def test_a_held_incident_acknowledged_or_resolved_stays_stopped(db: Database) -> None:
    incident_id = await opened(db)
    await alert_becomes(db, silenced_by=1)
    assert await tick(db, 5) == 0
    outcome = await db.run(lambda s: act(s, action=Action.ACKNOWLEDGE, incident_id=incident_id, user="U0ALICE",
                                         channel="C1", rules=[], now=NOW + timedelta(minutes=6)))  # fmt: skip
    assert outcome.changed
    await alert_becomes(db, silenced_by=None)
    assert await tick(db, 60) == 0
    status = await db.run(lambda s: s.scalars(select(Escalation.status)).one())
    assert status == EscalationStatus.STOPPED
