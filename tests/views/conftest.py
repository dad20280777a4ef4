"""A migrated database of each configured backend, and one transaction on it per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from bot.store import Database, make_engine, upgrade


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    upgrade(engine)
    database = Database(engine)
    try:
        with database.transaction() as session:
            yield session
    finally:
        database.close()
