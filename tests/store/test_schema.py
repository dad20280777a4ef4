from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import Engine, text

from bot.store import Database, SchemaError, ensure_current, head_revision, make_engine, upgrade, upgrade_apart
from bot.store.models import Alert, Incident, IncidentEvent


def _printed_by_a_new_interpreter(code: str) -> list[str]:
    """The lines `code` prints, run in a fresh Python process (what it imports is then its own, not the tests')."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.splitlines()


def test_upgrade_creates_the_schema_and_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())
    ensure_current(engine)
    engine.dispose()


def test_the_versions_read_from_the_migration_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from bot.store.schema import SCRIPT_LOCATION, _revisions

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    scripts = ScriptDirectory.from_config(config)
    known, head = _revisions()
    assert head == scripts.get_current_head()
    assert known == {script.revision for script in scripts.walk_revisions()}


def test_a_start_on_a_current_database_leaves_alembic_unloaded(database_url: str) -> None:
    """Alembic, Mako and Pygments stay out of the process (~8 MB) when there is nothing to migrate."""
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    code = (
        "import sys\nfrom bot.store import ensure_current, make_engine, upgrade\n"
        f"engine = make_engine({database_url!r})\nprint(upgrade(engine))\nensure_current(engine)\n"
        "print(sorted(m for m in ('alembic', 'mako', 'pygments') if m in sys.modules))"
    )
    assert _printed_by_a_new_interpreter(code) == [str((head_revision(), head_revision())), "[]"]


def test_a_migration_leaves_the_pygments_lexers_unloaded(database_url: str) -> None:
    """Mako would load them (~4 MB kept for the process's life) only to colour HTML error pages Alembic never shows."""
    code = (
        "import sys\nfrom bot.store import make_engine, upgrade\n"
        f"print(upgrade(make_engine({database_url!r})))\n"
        "print(sorted(m for m in ('alembic', 'pygments') if m in sys.modules))"
    )
    assert _printed_by_a_new_interpreter(code) == [str((None, head_revision())), "['alembic']"]


def test_the_embedded_bots_first_start_migrates_its_sqlite_file_in_a_child_and_keeps_alembic_out(
    tmp_path: Path,
) -> None:
    """The start of `boltwatch run` on a new SQLite file: the schema reaches the head, and Alembic, Mako and the
    PostgreSQL dialect never enter the long-lived process (they would stay ~9 MB for its life)."""
    url = f"sqlite:///{tmp_path / 'boltwatch.db'}"
    code = (
        "import sys\nfrom bot.store import ensure_current, make_engine, upgrade_apart\n"
        f"engine = make_engine({url!r})\nprint(upgrade_apart(engine))\nensure_current(engine)\n"
        "print(sorted(m for m in ('alembic', 'mako', 'sqlalchemy.dialects.postgresql') if m in sys.modules))"
    )
    assert _printed_by_a_new_interpreter(code) == [str((None, head_revision())), "[]"]


def test_a_failed_migration_in_the_child_is_a_schema_error_that_says_why(tmp_path: Path) -> None:
    """A database that says it is at 0012 but has none of its tables: the child's 0013 fails, and the start says so."""
    engine = make_engine(f"sqlite:///{tmp_path / 'boltwatch.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0012')"))
    with pytest.raises(SchemaError, match=r"migrating the database to schema \d+ failed: .*no such table"):
        upgrade_apart(engine)
    engine.dispose()


def test_an_empty_database_is_refused_until_upgraded(database_url: str) -> None:
    engine = make_engine(database_url)
    with pytest.raises(SchemaError, match="boltwatch db upgrade"):
        ensure_current(engine)
    engine.dispose()


def test_a_schema_newer_than_the_code_is_refused_with_a_clear_message(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaError, match="newer release"):
        ensure_current(engine)
    with pytest.raises(SchemaError, match="newer release"):
        upgrade(engine)
    engine.dispose()


async def test_rows_round_trip_with_utc_timestamps_and_json(database_url: str) -> None:
    engine = make_engine(database_url)
    await asyncio.to_thread(upgrade, engine)  # every migration, on the test's loop otherwise
    db = Database(engine)
    opened = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def write(session):  # type: ignore[no-untyped-def]
        incident = Incident(group_key="route=default", route="default", channel="C1", opened_at=opened)
        incident.timeline.append(IncidentEvent(actor="U1", kind="acknowledged", at=opened + timedelta(minutes=1)))
        session.add(incident)
        session.add(Alert(fingerprint="fp-1", check_name="alarms", labels={"team": "orders"}, incident=incident))

    await db.run(write)

    def read(session):  # type: ignore[no-untyped-def]
        alert = session.query(Alert).one()
        return alert.labels, alert.incident.opened_at, [e.kind for e in alert.incident.timeline]

    labels, opened_at, kinds = await db.run(read)
    assert labels == {"team": "orders"}
    assert opened_at == opened and opened_at.tzinfo is not None
    assert kinds == ["acknowledged"]
    db.close()


def test_the_migrations_build_exactly_the_schema_the_models_describe(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.store.models import Base

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def engine_at(database_url: str, revision: str) -> Engine:
    """An engine on a database migrated to `revision` only, as an older release left it."""
    from alembic import command

    from bot.store.schema import SCRIPT_LOCATION

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return engine


def test_an_outbox_written_by_schema_0001_keeps_its_items_through_the_upgrade(database_url: str) -> None:
    engine = engine_at(database_url, "0001")
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbox (ordering_key, operation, channel, payload, status, attempts, next_attempt_at,"
                " result, created_at) VALUES ('incident:1', 'post_incident', '#alerts', '{}', 'pending', 0,"
                " :at, '{}', :at)"
            ),
            {"at": created},
        )

    assert upgrade(engine) == ("0001", head_revision())
    with engine.connect() as connection:
        row = connection.execute(text("SELECT status, attempted_at, blocked_since FROM outbox")).one()
    assert tuple(row) == ("pending", None, None)
    engine.dispose()


def test_the_upgrade_to_0013_drops_the_check_and_digest_leases_and_keeps_the_others(database_url: str) -> None:
    engine = engine_at(database_url, "0012")
    expires = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    names = ["check:cloudwatch_alarms", "digest:#ops:", "retention", "live-tail:log_errors:default:us-east-1",
             "live-group:log_errors:default:us-east-1:/aws/lambda/check:x"]  # fmt: skip
    with engine.begin() as connection:
        for name in names:
            connection.execute(
                text("INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES (:n, 'host:3000', :at, :at)"),
                {"n": name, "at": expires},
            )

    assert upgrade(engine) == ("0012", head_revision())
    with engine.connect() as connection:
        left = sorted(connection.scalars(text("SELECT name FROM leases")))
    assert left == sorted(names[2:]), "only what checks and digests took is gone"
    engine.dispose()
