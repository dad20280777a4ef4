"""Schema versions: upgrade through Alembic, refuse a database newer than this code knows.

Which versions this code knows is read from its migration files (their `revision` and `down_revision` lines, as
Alembic reads them) and a database's version from Alembic's table, so that Alembic itself is imported only to run
migrations: with Mako and the Pygments lexers Mako loads, it would hold ~9 MB of every process's heap for as long as
the process lives, to answer "this database is current" once at start."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from importlib.resources import files
from types import ModuleType
from typing import TYPE_CHECKING

from sqlalchemy import Engine, String, column, inspect, select, table

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = "bot.store:migrations"
VERSION_TABLE = "alembic_version"
_ASSIGNMENT = re.compile(r"^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


class SchemaError(Exception):
    """The database's schema is not one this code can use."""


@cache
def _revisions() -> tuple[frozenset[str], str]:
    """Every revision the migration files declare, and the head: the one no other revision follows."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for script in files("bot.store.migrations").joinpath("versions").iterdir():
        if not script.name.endswith(".py") or script.name.startswith("__"):
            continue
        for name, value in _ASSIGNMENT.findall(script.read_text(encoding="utf-8")):
            (followed if name == "down_revision" else revisions).update(_QUOTED.findall(value))
    heads = revisions - followed
    assert len(heads) == 1, f"the package's migrations must have one head, not {sorted(heads)}"
    return frozenset(revisions), heads.pop()


def head_revision() -> str:
    return _revisions()[1]


def current_revision(engine: Engine) -> str | None:
    """The version Alembic recorded in the database; None for a database it never upgraded."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        query = select(column("version_num", String)).select_from(table(VERSION_TABLE))
        versions: list[str] = list(connection.execute(query).scalars())
    if len(versions) > 1:
        raise SchemaError(f"the database schema has {len(versions)} versions at once ({', '.join(versions)})")
    return versions[0] if versions else None


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def _alembic_command() -> ModuleType:
    """`alembic.command`, imported without the Pygments lexers Mako would load (~4 MB kept for the process's life):
    they only colour Mako's HTML error pages, which Alembic never renders, and Mako falls back to plain text when
    Pygments cannot be imported."""
    hide = "pygments" not in sys.modules
    if hide:
        sys.modules["pygments"] = None  # type: ignore[assignment]  # an import of it raises ImportError
    try:
        from alembic import command
    finally:
        if hide:
            del sys.modules["pygments"]
    return command


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest version; returns (before, after)."""
    before = current_revision(engine)
    if before == head_revision():
        return before, before
    ensure_known(before)
    command = _alembic_command()
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


MIGRATE_URL_VARIABLE = "BOLTWATCH_MIGRATE_DATABASE_URL"
MIGRATE_TIMEOUT_SECONDS = 600
_EXCEPTION_LINE = re.compile(r"[\w.]+(?:Error|Exception)\b")
"""A traceback's last word: `sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) no such table: leases`."""


def upgrade_apart(engine: Engine) -> tuple[str | None, str]:
    """`upgrade`, run for a long-lived process: a database on a file is migrated by a child process, so that Alembic
    (and Mako, and SQLAlchemy's other dialects it loads) never takes a place in this process's heap, where a module
    once imported stays for the process's life (~9 MB of the embedded bot's RSS). An in-memory database, which no
    other process can see, is migrated here."""
    before = current_revision(engine)
    if before == head_revision():
        return before, before
    ensure_known(before)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and (not database or database == ":memory:" or database.startswith("file:")):
        return upgrade(engine)
    url = engine.url.render_as_string(hide_password=False)
    code = "import sys; from bot.store.schema import upgrade_from_environment; sys.exit(upgrade_from_environment())"
    finished = subprocess.run(  # this interpreter and our own module; the URL in the environment
        [sys.executable, "-c", code], env=os.environ | {MIGRATE_URL_VARIABLE: url}, capture_output=True, text=True,
        timeout=MIGRATE_TIMEOUT_SECONDS, check=False,
    )  # fmt: skip
    if finished.returncode != 0:
        lines = finished.stderr.strip().splitlines() or [f"exit status {finished.returncode}"]
        said = next((line for line in reversed(lines) if _EXCEPTION_LINE.match(line)), lines[-1])
        raise SchemaError(f"migrating the database to schema {head_revision()} failed: {said}")
    return before, head_revision()


def upgrade_from_environment() -> int:
    """The child process of `upgrade_apart`: upgrade the database named in the environment (not in the command line,
    where any user on the host could read it)."""
    from bot.store.database import make_engine

    engine = make_engine(os.environ[MIGRATE_URL_VARIABLE])
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return 0


def ensure_known(revision: str | None) -> None:
    if revision is not None and revision not in _revisions()[0]:
        raise SchemaError(
            f"the database schema is at version {revision}, which this Boltwatch "
            f"(schema {head_revision()}) does not know: it was written by a newer release. "
            "Upgrade Boltwatch, or point it at another database."
        )


def ensure_current(engine: Engine) -> None:
    """Refuse to run on a schema that is unknown or behind."""
    revision = current_revision(engine)
    ensure_known(revision)
    if revision != head_revision():
        raise SchemaError(
            f"the database schema is at version {revision or 'none (empty database)'}, "
            f"this Boltwatch needs {head_revision()}: run `boltwatch db upgrade` first."
        )
