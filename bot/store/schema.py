"""Schema versions: upgrade through Alembic, refuse a database newer than this code knows."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

SCRIPT_LOCATION = "bot.store:migrations"


class SchemaError(Exception):
    """The database's schema is not one this code can use."""


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None, "the package ships no migrations"
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest version; returns (before, after)."""
    before = current_revision(engine)
    ensure_known(before)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def ensure_known(revision: str | None) -> None:
    if revision is None:
        return
    scripts = ScriptDirectory.from_config(_alembic_config())
    if not _is_known(scripts, revision):
        raise SchemaError(
            f"the database schema is at version {revision}, which this Boltwatch "
            f"(schema {head_revision()}) does not know: it was written by a newer release. "
            "Upgrade Boltwatch, or point it at another database."
        )


def _is_known(scripts: ScriptDirectory, revision: str) -> bool:
    return any(script.revision == revision for script in scripts.walk_revisions())


def ensure_current(engine: Engine) -> None:
    """Refuse to run on a schema that is unknown or behind."""
    revision = current_revision(engine)
    ensure_known(revision)
    if revision != head_revision():
        raise SchemaError(
            f"the database schema is at version {revision or 'none (empty database)'}, "
            f"this Boltwatch needs {head_revision()}: run `boltwatch db upgrade` first."
        )
