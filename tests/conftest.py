"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), settings."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from sqlalchemy import create_engine, text

from bot.store import Database, make_engine, upgrade
from sandbox.aws.server import MotoHandle, start_moto
from scheduler.registry import load_action_types, load_check_types
from tests.readonly_estate import SeededEstate, seeded_estate

pytest_plugins = ["tests.loop_stalls"]
# `boltwatch run` imports every check module before its event loop starts; a test builds the app inside its loop,
# so the first one would pay those imports there (seconds on a busy machine). Import them once, up front.
load_check_types()
load_action_types()  # the same for runbook actions (create_app configures them)

# Nothing in the tests may reach real AWS: fake credentials, no profile.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

# Tests set up moto with boto3's default session (alarms, instances, log events), often from inside a test's loop.
# A first client of a service reads its model from disk (hundreds of ms for EC2's); that session keeps what it read,
# so read the services the tests use once, here, before any loop runs (the loop-stall guard would count it).
for _service in ("cloudwatch", "logs", "ec2", "lambda", "sqs", "ecs", "s3", "sts", "iam", "resourcegroupstaggingapi"):
    boto3.client(_service, region_name="us-east-1", endpoint_url="http://127.0.0.1:9")

PG_URL = os.environ.get("BOLTWATCH_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """Puts the root logger's handlers and level back after each test.

    `boltwatch run`/`sandbox`, called in-process, install a handler on the sys.stderr of that moment: pytest's capture
    stream, closed when the test ends. Left in place, every later warning would fail to write ("Logging error …
    I/O operation on closed file", with a traceback printed per record) and slow the loop of whichever test logs it.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each configured backend; PostgreSQL gets a schema of its own, dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'boltwatch.db'}"
        return
    assert PG_URL is not None
    yield from postgres_schema(PG_URL)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database of each configured backend, used as the app uses it (`run`, `transaction`)."""
    database = Database(make_engine(database_url))
    upgrade(database.engine)
    yield database
    database.close()


def postgres_schema(base_url: str) -> Iterator[str]:
    schema = f"bw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def moto_session() -> Iterator[MotoHandle]:
    with start_moto() as handle:
        yield handle


@pytest.fixture
def moto(moto_session: MotoHandle) -> MotoHandle:
    """moto's HTTP server, emptied before each test."""
    moto_session.reset()
    return moto_session


@pytest.fixture(scope="session")
def seeded_estate_readonly() -> Iterator[SeededEstate]:
    """The sandbox estate, seeded once per session in a moto of its own, for tests that never change AWS."""
    with seeded_estate() as estate:
        yield estate


@pytest.fixture
def slack_env() -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-signing-secret-123"}
