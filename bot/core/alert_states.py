"""A check run's alerts as a set: loaded in a few queries, changed in memory, written in a few statements.

Plain rows rather than ORM objects: a run holds tens of thousands of alerts, and an unchanged one must cost no more
than its share of one bulk UPDATE of `last_seen`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Row, Text, bindparam, cast, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bot.core.findings import Finding
from bot.enums import AlertStatus
from bot.store.models import Alert, Incident

CHUNK = 1000
LAST_SEEN_STEP = timedelta(minutes=5)
"""How stale a firing, unchanged alert's stored `last_seen` may get. Rewriting it on every run was most of what an
unchanged run cost (on PostgreSQL a new row version per alert per run: 10,000 alerts every 30 s); it is read only to
place alerts in a digest's period, and a still-firing alert is in every period up to now (`bot/core/digests.py`).
Changes, resolutions and new alerts are written at once, as before."""
"""Ids or fingerprints a statement names at most (SQLite limits a statement's parameters)."""
STORED = (
    "fingerprint", "check_name", "status", "severity", "title", "summary", "resource", "account", "region",
    "labels", "links", "evidence", "first_seen", "last_seen", "resolved_at", "count", "silenced_by", "incident_id",
    "flap_history", "flapping", "inhibited_by",
)  # fmt: skip
JSON_COLUMNS = ("labels", "links", "evidence")
_SCALARS = tuple(name for name in STORED if name not in (*JSON_COLUMNS, "last_seen", "incident_id"))
"""Read as the stored text and decoded only when needed: decoding is most of what reading ten thousand alerts costs,
and an unchanged alert needs only to compare its new values, encoded as they would be stored, with that text."""
_scalars_of = attrgetter(*_SCALARS)
_stored_scalars = itemgetter(*_SCALARS)
_COLUMNS = [
    Alert.id,
    *(
        cast(getattr(Alert, name), Text).label(name) if name in JSON_COLUMNS else getattr(Alert, name)
        for name in STORED
    ),
]


@dataclass(eq=False)
class AlertState:
    """One alert as a run sees it. `incident` is its incident while that is not resolved (None if it has none, or
    only a resolved one, whose id `incident_id` keeps); `stored` is the row as loaded (None for a new alert)."""

    fingerprint: str
    check_name: str
    status: str
    severity: str
    title: str
    summary: str
    resource: str
    account: str
    region: str
    labels: dict[str, Any]
    links: dict[str, Any]
    evidence: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    count: int
    silenced_by: int | None
    incident_id: int | None
    flap_history: str | None = None
    flapping: bool = False
    inhibited_by: str | None = None
    id: int | None = None
    incident: Incident | None = None
    stored: dict[str, Any] | None = None

    @classmethod
    def new(cls, fingerprint: str, check: str, now: datetime) -> AlertState:
        return cls(
            fingerprint=fingerprint, check_name=check, status=AlertStatus.FIRING, severity="", title="", summary="",
            resource="", account="", region="", labels={}, links={}, evidence={}, first_seen=now, last_seen=now,
            resolved_at=None, count=0, silenced_by=None, incident_id=None,
        )  # fmt: skip

    @classmethod
    def of(cls, row: Row[Any]) -> AlertState:
        stored: dict[str, Any] = dict(zip(STORED, row[1:], strict=True))
        state = cls(**stored, id=row.id, stored=stored)
        state.labels = state.links = state.evidence = None  # type: ignore[assignment]  # decoded when needed
        return state

    def decoded(self) -> AlertState:
        """With its labels, links and evidence as stored, decoded (once)."""
        for name in JSON_COLUMNS:
            if getattr(self, name) is None and self.stored is not None:
                text = self.stored[name]
                setattr(self, name, json.loads(text) if text is not None else {})
        return self

    @property
    def firing(self) -> bool:
        return self.status == AlertStatus.FIRING

    @property
    def notifying(self) -> bool:
        """Firing (or flapping, which holds its incident open), neither silenced nor inhibited: what counts towards
        its incident's firing alerts."""
        return (
            (self.status == AlertStatus.FIRING or self.flapping) and self.silenced_by is None
            and self.inhibited_by is None
        )  # fmt: skip

    def shown(self) -> tuple[str, str, str]:
        """What of a firing alert its message shows that a run can change, as the counts in "3 errors in 15m"; not
        the evidence, whose windows and times move on every run and would rewrite the message each time."""
        return self.title, self.summary, self.severity

    def copy_finding(self, finding: Finding, labels: dict[str, str], now: datetime) -> None:
        self.status, self.last_seen = AlertStatus.FIRING, now
        self.severity, self.title, self.summary = finding.severity.value, finding.title, finding.summary
        self.resource, self.account, self.region = finding.resource, finding.account, finding.region
        self.labels, self.links, self.evidence = labels, dict(finding.links), dict(finding.evidence)
        if finding.started_at is not None and self.first_seen > finding.started_at:
            self.first_seen = finding.started_at

    def values(self) -> dict[str, Any]:
        incident_id = self.incident.id if self.incident is not None else self.incident_id
        return {name: getattr(self, name) for name in STORED} | {"incident_id": incident_id}

    def changed(self) -> bool:
        """Whether anything but `last_seen` differs from the stored row."""
        stored = self.stored
        assert stored is not None
        incident_id = self.incident.id if self.incident is not None else self.incident_id
        if incident_id != stored["incident_id"] or _scalars_of(self) != _stored_scalars(stored):
            return True
        return not encoded_as(
            [getattr(self, name) for name in JSON_COLUMNS], [stored[name] for name in JSON_COLUMNS], none_is_stored=True
        )


def encoded_as(values: list[Any], texts: list[str | None], *, none_is_stored: bool = False) -> bool:
    """Whether `values` (labels, links, evidence) encode as the `texts` stored. With `none_is_stored`, a value None
    stands for its stored text (a state's JSON columns are decoded only when needed)."""
    if any(value is None or text is None for value, text in zip(values, texts, strict=True)):
        return all(
            (value is None and none_is_stored) or (value is not None and json.dumps(value) == text)
            for value, text in zip(values, texts, strict=True)
        )
    # One encoding of the three rather than three: `dumps([a, b, c])` is "[" + the three joined by ", " + "]".
    return json.dumps(values) == "[" + ", ".join(texts) + "]"  # type: ignore[arg-type]  # no None among them


def sampled_alerts(session: Session, *, check: str) -> dict[str, str]:
    """The status of each of the check's firing alerts and those whose state changed lately (those a run may resolve
    or must sample for flap detection), by fingerprint, oldest first: two columns, so that a run over ten thousand
    alerts learns which its scope resolves without holding them all."""
    sampled = or_(Alert.status == AlertStatus.FIRING, Alert.flap_history.is_not(None))
    query = select(Alert.fingerprint, Alert.status).where(Alert.check_name == check, sampled).order_by(Alert.id)
    return {fingerprint: status for fingerprint, status in session.connection().execute(query).all()}


def load_by_fingerprint(session: Session, fingerprints: list[str]) -> dict[str, AlertState]:
    """The stored alerts of these fingerprints."""
    return {fingerprint: AlertState.of(row) for fingerprint, row in load_rows(session, fingerprints).items()}


def load_rows(session: Session, fingerprints: list[str]) -> dict[str, Row[Any]]:
    """The stored rows of these fingerprints (`AlertState.of` makes a state of one): on PostgreSQL in one statement
    whose fingerprints are one array parameter (as `touch_last_seen`), on SQLite a statement per thousand."""
    found: dict[str, Row[Any]] = {}
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        parts = [bindparam("fingerprints", fingerprints, type_=ARRAY(Text))] if fingerprints else []
        matches = [Alert.fingerprint == func.any(part) for part in parts]
    else:
        matches = [Alert.fingerprint.in_(fingerprints[i : i + CHUNK]) for i in range(0, len(fingerprints), CHUNK)]
    for match in matches:
        # `.all()`: one fetch of every row; psycopg's row-at-a-time iteration costs more than decoding the rows.
        found.update((row.fingerprint, row) for row in connection.execute(select(*_COLUMNS).where(match)).all())
    return found


def load_inhibited_by(session: Session, sources: list[str]) -> dict[str, AlertState]:
    """The firing alerts that these alerts inhibit, by fingerprint."""
    found: dict[str, AlertState] = {}
    for start in range(0, len(sources), CHUNK):
        part = sources[start : start + CHUNK]
        query = select(*_COLUMNS).where(Alert.inhibited_by.in_(part), Alert.status == AlertStatus.FIRING)
        found.update((row.fingerprint, AlertState.of(row)) for row in session.connection().execute(query))
    return found


def write_alerts(session: Session, states: Iterable[AlertState], *, now: datetime, seen: Iterable[int] = ()) -> None:
    """New alerts in one INSERT, changed ones in one executemany UPDATE, and those the run saw unchanged and last
    wrote more than LAST_SEEN_STEP ago in one UPDATE of `last_seen` (with the ids in `seen`, alerts the run found
    unchanged without a state); the others cost no write at all."""
    inserted: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    seen = list(seen)
    for state in states:
        if state.stored is None:
            inserted.append(state.values())
        elif state.changed():
            changed.append(state.decoded().values() | {"id": state.id})
        elif state.last_seen - state.stored["last_seen"] >= LAST_SEEN_STEP and state.id is not None:
            seen.append(state.id)
    if inserted:
        session.execute(insert(Alert), inserted)
    if changed:
        session.execute(update(Alert), changed)
    touch_last_seen(session, seen, now=now)


def touch_last_seen(session: Session, ids: list[int], *, now: datetime) -> None:
    """`last_seen = now` for the alerts `ids`: on PostgreSQL in one statement whose ids are one array parameter
    (`= ANY(...)`; ten thousand `IN` parameters cost more to render and send than the update itself), on SQLite a
    statement per thousand ids (SQLite bounds a statement's parameters, and its statements cost no round trip)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        if ids:
            ids_array = bindparam("ids", ids, type_=ARRAY(BigInteger))
            connection.execute(update(Alert).where(Alert.id == func.any(ids_array)).values(last_seen=now))
        return
    for start in range(0, len(ids), CHUNK):
        connection.execute(update(Alert).where(Alert.id.in_(ids[start : start + CHUNK])).values(last_seen=now))
