"""The status vocabularies are a stored contract: rows written by older releases and the database must agree."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest
from sqlalchemy import String, select, text
from sqlalchemy import inspect as inspect_database
from sqlalchemy.orm import Session

from bot import enums
from bot.enums import (
    ActionRunStatus,
    AlertStatus,
    BestPracticeStatus,
    ErrorGroupStatus,
    EscalationStatus,
    IncidentStatus,
    OutboxOperation,
    OutboxStatus,
    Severity,
    Source,
    UndoStatus,
    WaitStatus,
)
from bot.store import make_engine, upgrade
from bot.store.models import Alert, Base, BestPracticeState, ErrorGroup, Incident, OutboxItem, WaitJob

STORED_VALUES: dict[type[StrEnum], list[str]] = {
    Severity: ["critical", "warning", "info"],
    IncidentStatus: ["open", "acknowledged", "resolved"],
    AlertStatus: ["firing", "resolved"],
    OutboxStatus: ["pending", "done", "failed", "blocked"],
    WaitStatus: ["waiting", "success", "failure", "timeout", "cancelled"],
    ErrorGroupStatus: ["new", "ongoing", "regressed"],
    BestPracticeStatus: ["muted", "accepted"],
    ActionRunStatus: ["running", "succeeded", "failed", "unverified"],
    Source: ["poll", "push", "live tail"],  # in the incident timeline's words ("seen first by push")
    UndoStatus: ["pending", "done", "superseded"],
    EscalationStatus: ["active", "stopped", "exhausted", "held"],
    OutboxOperation: [
        "post_incident", "update_incident", "thread_reply", "upload_file", "publish_home", "chart", "figure",
    ],  # outbox rows queued by an older release are sent by the newer one
}

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def _incident(status: str) -> Incident:
    return Incident(group_key="g", route="default", channel="C1", status=status)


def _alert(status: str) -> Alert:
    return Alert(fingerprint=f"fp-{status}", check_name="alarms", status=status)


def _outbox_item(status: str) -> OutboxItem:
    return OutboxItem(ordering_key="incident:1", operation="post_incident", channel="C1", status=status)


def _wait_job(status: str) -> WaitJob:
    return WaitJob(
        service="ec2", waiter="instance_running", account="prod", region="us-east-1", requester="U1", channel="C1",
        max_attempts=4, delay_seconds=15, deadline=NOW, status=status,
    )  # fmt: skip


def _error_group(status: str) -> ErrorGroup:
    return ErrorGroup(
        source="prod/us-east-1/app", key=f"k-{status}", kind="exception", title="t", template="t",
        first_seen=NOW, last_seen=NOW, status=status,
    )  # fmt: skip


def _best_practice_state(status: str) -> BestPracticeState:
    return BestPracticeState(fingerprint=f"best_practices:{status}", status=status, author="U1")


STATUS_COLUMNS: list[tuple[type[Base], type[StrEnum], Any]] = [
    (Incident, IncidentStatus, _incident),
    (Alert, AlertStatus, _alert),
    (OutboxItem, OutboxStatus, _outbox_item),
    (WaitJob, WaitStatus, _wait_job),
    (ErrorGroup, ErrorGroupStatus, _error_group),
    (BestPracticeState, BestPracticeStatus, _best_practice_state),
]
COLUMN_IDS = [model.__tablename__ for model, _, _ in STATUS_COLUMNS]


@pytest.mark.parametrize(("enum", "values"), STORED_VALUES.items(), ids=[e.__name__ for e in STORED_VALUES])
def test_stored_values_never_change(enum: type[StrEnum], values: list[str]) -> None:
    assert [member.value for member in enum] == values


def test_every_vocabulary_in_bot_enums_is_pinned() -> None:
    defined = {cls for _, cls in inspect.getmembers(enums, inspect.isclass) if issubclass(cls, StrEnum)}
    assert defined - {StrEnum} == set(STORED_VALUES)


@pytest.mark.parametrize(
    "model", [Incident, Alert, OutboxItem, WaitJob, ErrorGroup], ids=lambda model: model.__tablename__
)
def test_a_new_row_starts_in_the_first_status_of_its_vocabulary(model: type[Base]) -> None:
    vocabulary = next(enum for m, enum, _ in STATUS_COLUMNS if m is model)
    assert model.__table__.c.status.default.arg is next(iter(vocabulary))


@pytest.mark.parametrize(("model", "enum", "make"), STATUS_COLUMNS, ids=COLUMN_IDS)
def test_every_status_fits_the_migrated_column_and_is_stored_as_its_value(
    database_url: str, model: type[Base], enum: type[StrEnum], make: Any
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    column = next(c for c in inspect_database(engine).get_columns(model.__tablename__) if c["name"] == "status")
    assert isinstance(column["type"], String)
    assert max(len(member.value) for member in enum) <= column["type"].length
    with Session(engine) as session:
        for member in enum:
            session.add(make(member))
            session.commit()
            raw = session.execute(text(f"SELECT status FROM {model.__tablename__}")).scalars().all()
            assert raw == [member.value]
            assert session.scalars(select(model).where(model.status == member)).one().status == member
            session.execute(model.__table__.delete())
            session.commit()
    engine.dispose()
