"""A check run applied in parts (`check_run.PART` findings at a time, then the alerts its scope resolves) leaves
exactly what the same run applied whole leaves: alerts, incidents, their timelines and the outbox, run after run,
through groups that span parts, resolves by scope, inhibition and its release, and flapping."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import check_run
from bot.core.findings import CheckResult, Finding
from bot.core.incidents import observe
from bot.core.inhibition import InhibitRuleSettings, build_inhibit_rules
from bot.enums import Severity
from bot.store import Database, make_engine, upgrade
from bot.store.models import Alert, Incident, IncidentEvent, OutboxItem
from tests.alerting import NOW, record_delivered, routes
from tests.conftest import PG_URL, postgres_schema

CHECK = "alarms"
HEALTH = "health:alarms"
SCOPE = f"{CHECK}:us-east-1:"
RULES = build_inhibit_rules(
    [InhibitRuleSettings(source_match={"check": HEALTH}, target_match_re={"check": CHECK}, equal=["region"])]
)
ROUTES = routes(group_by=["service"])


def alarm(n: int, *, firing: bool = True) -> Finding:
    """Alarm `n` of service `n // 4`: four alarms a group, so that a group spans parts of two."""
    return Finding(
        fingerprint=f"{SCOPE}alarm-{n}", firing=firing, title=f"alarm-{n} in alarm", summary=f"alarm-{n} failing",
        resource=f"alarm-{n}", account="123456789012", region="us-east-1", labels={"service": f"service-{n // 4}"},
    )  # fmt: skip


def health(firing: bool) -> Finding:
    return Finding(
        fingerprint=f"{HEALTH}:us-east-1", firing=firing, title="Check alarms is failing in us-east-1",
        account="123456789012", region="us-east-1", resource=CHECK,
    )  # fmt: skip


def alarms(*numbers: int, clear: tuple[int, ...] = ()) -> tuple[str, list[Finding]]:
    return CHECK, [alarm(n) for n in numbers] + [alarm(n, firing=False) for n in clear]


def flapping(run: int) -> tuple[str, list[Finding]]:
    """alarm-0 fires and clears in turn while the others of its group fire."""
    return alarms(1, 2, 3, *((0,) if run % 2 else ()))


RUNS: list[tuple[str, list[Finding]]] = [
    alarms(*range(12)),  # three incidents, each opened by its first alarm and joined by the rest
    alarms(*range(12)),  # unchanged
    # Clears of three groups interleaved, so that a later part reads an incident after earlier parts wrote others'.
    (CHECK, [alarm(n, firing=False) for n in (8, 0, 9, 4, 10, 5, 11)] + [alarm(n) for n in (1, 2, 3, 6, 7)]),
    alarms(*range(6)),  # the scope resolves 6..11: service-1 keeps two alarms firing, service-2 resolves
    alarms(2, 3, 4, 5, 12, clear=(0, 1)),  # two clear as reported; a fourth group opens
    (HEALTH, [health(True)]),  # the check's own health: inhibits its alarms from the next run on
    alarms(*range(13)),
    (HEALTH, [health(False)]),
    alarms(*range(13)),
    *(flapping(run) for run in range(10)),
    alarms(),  # nothing fires: every incident resolves but alarm-0's, which still flaps
]


def apply_runs(db: Database, runs: list[tuple[str, list[Finding]]] = RUNS, rules: Any = RULES) -> list[Any]:
    """What each run observed and what the database holds after it."""
    seen = []
    for minute, (check, findings) in enumerate(runs):
        now = NOW + timedelta(minutes=minute)
        scope = SCOPE if check == CHECK else f"{HEALTH}:"
        with db.transaction() as session:
            result = CheckResult.of(findings, scope=scope)
            observation = observe(session, check=check, result=result, routes=ROUTES, now=now, inhibit_rules=rules)
        seen.append((dict(observation.reasons), sorted(observation.incidents_touched), stored(db)))
        if minute % 3 == 0:
            record_delivered(db, now=now)
    return seen


def stored(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.transaction() as session:
        return {
            "alerts": [
                (a.fingerprint, a.status, a.incident_id, a.count, a.first_seen, a.last_seen, a.resolved_at, a.flapping,
                 a.flap_history, a.inhibited_by, a.title, a.summary, a.severity, a.resource, a.silenced_by, a.labels,
                 a.links, a.evidence)
                for a in session.scalars(select(Alert).order_by(Alert.id))
            ],
            "incidents": [
                (i.id, i.status, i.title, i.severity, i.group_key, i.updated_at, i.resolved_at)
                for i in session.scalars(select(Incident).order_by(Incident.id))
            ],
            "events": [
                (e.incident_id, e.kind, e.detail)
                for e in session.scalars(select(IncidentEvent).order_by(IncidentEvent.id))
            ],
            "outbox": [
                (o.operation, o.incident_id, o.status, o.next_attempt_at, o.payload)
                for o in session.scalars(select(OutboxItem).order_by(OutboxItem.id))
            ],
        }  # fmt: skip


@pytest.fixture
def twin(database_url: str, tmp_path: Any) -> Iterator[Database]:
    """A second empty database of the same backend."""
    urls = postgres_schema(PG_URL) if PG_URL and database_url.startswith("postgresql") else None
    url = next(urls) if urls is not None else f"sqlite:///{tmp_path / 'twin.db'}"
    database = Database(make_engine(url))
    upgrade(database.engine)
    yield database
    database.close()
    if urls is not None:
        next(urls, None)


def test_a_run_applied_in_parts_of_two_leaves_what_the_whole_run_leaves(
    db: Database, twin: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = apply_runs(db)
    monkeypatch.setattr(check_run, "PART", 2)
    in_parts = apply_runs(twin)

    for run, (expected, got) in enumerate(zip(whole, in_parts, strict=True)):
        assert got == expected, f"run {run} differs"
    reasons = [reasons for reasons, _, _ in whole]
    assert any("inhibited" in r for r in reasons) and any("flapping" in r for r in reasons)
    first, *others = [status for _, status, *_ in whole[-1][2]["incidents"]]
    assert first == "open" and set(others) == {"resolved"}


def changed(n: int, **fields: Any) -> Finding:
    return dataclasses.replace(alarm(n), **fields)


STEADY_RUNS: list[tuple[str, list[Finding]]] = [
    alarms(*range(12)),
    *(alarms(*range(12)) for _ in range(6)),  # unchanged, past LAST_SEEN_STEP: `last_seen` is written once
    (CHECK, [alarm(n) for n in range(12) if n != 5] + [changed(5, evidence={"errors": 3})]),
    (CHECK, [alarm(n) for n in range(12) if n != 5] + [changed(5, evidence={"errors": 4})]),
    (CHECK, [alarm(n) for n in range(12) if n != 1] + [changed(1, title="alarm-1 worse")]),
    (CHECK, [alarm(n) for n in range(12) if n != 2] + [changed(2, links={"console": "https://console"})]),
    (CHECK, [alarm(n) for n in range(12) if n != 3] + [changed(3, labels={"service": "service-0", "team": "a"})]),
    (CHECK, [alarm(n) for n in range(12) if n != 4] + [changed(4, started_at=NOW - timedelta(hours=1))]),
    (CHECK, [alarm(n) for n in range(12) if n != 6] + [changed(6, notify=False)]),
    (CHECK, [alarm(n) for n in range(12) if n != 7] + [changed(7, severity=Severity.CRITICAL)]),
    (CHECK, [alarm(n) for n in range(12) if n != 8] + [changed(8, resource="alarm-8b")]),
    alarms(*range(12)),  # each back as it was
    alarms(*range(12)),
]


def test_alerts_found_unchanged_without_a_state_leave_what_the_full_decision_leaves(
    db: Database, twin: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`CheckRun._steady` decides an alert that fires, notifies and reads as stored without loading its state: each
    field a finding carries, changed alone, takes the alert through the full decision, as do resolves and flapping
    (RUNS, without inhibit rules: with them, every alert goes through the full decision)."""
    shortcut = apply_runs(db, STEADY_RUNS + RUNS, rules=())
    monkeypatch.setattr(check_run.CheckRun, "_steady", lambda *_: {})
    full = apply_runs(twin, STEADY_RUNS + RUNS, rules=())

    for run, (expected, got) in enumerate(zip(full, shortcut, strict=True)):
        assert got == expected, f"run {run} differs"
    assert [reasons for reasons, _, _ in full[1:3]] == [{"unchanged": 12}] * 2
