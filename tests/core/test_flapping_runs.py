"""Flapping through check runs on a real database: an alert that keeps changing state becomes one quiet incident
marked flapping, told once when it starts and once when it stops, and resolves normally once it settles."""

from __future__ import annotations

from datetime import timedelta

from bot.core.access import Action
from bot.core.incident_actions import act
from bot.flapping import percent_state_change
from bot.store import Database
from tests.alerting import (
    CHANNEL,
    NOW,
    alert,
    finding,
    incidents,
    outbox_items,
    record_delivered,
    routes,
    run_check,
    timeline,
)


def runs(db: Database, states: str, *, start: int = 0, **route: object) -> None:
    """One check run a character: "1" the alarm fires, "0" it is clear (covered, not reported); each delivered."""
    for index, state in enumerate(states, start=start):
        now = NOW + timedelta(minutes=index)
        found = [finding("orders-api")] if state == "1" else []
        run_check(db, found, now=now, covered=["orders-api"], routing=routes(**route) if route else None)
        record_delivered(db, now=now)


def replies(db: Database) -> list[tuple[int | None, str | None]]:
    return [(item.incident_id, item.text) for item in outbox_items(db) if item.operation == "thread_reply"]


def posts(db: Database) -> list[int | None]:
    return [item.incident_id for item in outbox_items(db) if item.operation == "post_incident"]


def test_an_alarm_flapping_at_the_default_thresholds_becomes_one_quiet_incident_until_it_settles(db: Database) -> None:
    # Six changes among the newest samples weigh 35.5% > 30%; five weigh 29.9%, not yet flapping.
    runs(db, "101010")
    assert len(posts(db)) == 3 and not alert(db, "orders-api").flapping  # type: ignore[union-attr]
    assert [text for _, text in replies(db)] == ["Resolved: every alert cleared."] * 3

    runs(db, "1", start=6)
    state = alert(db, "orders-api")
    assert state is not None and state.flapping
    assert percent_state_change(state.flap_history) == (95 + 93 + 91 + 89 + 87 + 85) / 1520 * 100
    flapping_incident = incidents(db)[-1].id
    [started] = replies(db)[3:]
    assert started[0] == flapping_incident
    assert started[1] is not None and started[1].startswith(":repeat: Alarm orders-api started flapping (35.5%")

    runs(db, "0101010101", start=7)
    assert len(posts(db)) == 4
    assert len(replies(db)) == 4  # neither its resolves nor its re-fires are told
    [incident] = [i for i in incidents(db) if i.id == flapping_incident]
    assert incident.status == "open"

    # Clear from now on: the changes age and weigh less, until the percentage falls below 20%.
    steady = 0
    while alert(db, "orders-api").flapping:  # type: ignore[union-attr]
        runs(db, "0", start=17 + steady)
        steady += 1
        assert steady < 21
    assert len(replies(db)) == 6
    stopped, resolved = replies(db)[4:]
    assert stopped[0] == resolved[0] == flapping_incident
    assert stopped[1] is not None and "stopped flapping" in stopped[1] and stopped[1].endswith("it is clear.")
    assert resolved[1] == "Resolved: every alert cleared."
    assert incidents(db)[-1].status == "resolved"
    kinds = [kind for _, kind in timeline(db, flapping_incident)]
    assert kinds == ["opened", "flapping_started", "flapping_stopped", "resolved"]


def test_route_thresholds_decide_when_flapping_starts(db: Database) -> None:
    # At 5%, the first change (6.25%) already counts as flapping: the alarm's first clear keeps its incident.
    runs(db, "10", flap_start=5, flap_stop=4)
    [incident] = incidents(db)
    assert incident.status == "open"
    [(_, text)] = replies(db)
    assert text is not None and "started flapping (6.2%" in text


def test_a_person_resolving_a_flapping_incident_releases_its_alert(db: Database) -> None:
    runs(db, "10", flap_start=5, flap_stop=4)
    [incident] = incidents(db)
    with db.transaction() as session:
        act(
            session, action=Action.RESOLVE, incident_id=incident.id, user="U0BOB", channel=CHANNEL, rules=[],
            now=NOW + timedelta(minutes=2),
        )  # fmt: skip
    runs(db, "1", start=3, flap_start=5, flap_stop=4)
    assert len(posts(db)) == 2  # its next fire is a new incident, posted
