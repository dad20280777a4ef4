"""Storage: models, transactions and schema versions. It knows no domain decisions."""

from bot.store.database import Database, make_engine, rows_changed, take_turns, upsert
from bot.store.schema import SchemaError, ensure_current, head_revision, upgrade, upgrade_apart

__all__ = [
    "Database",
    "SchemaError",
    "ensure_current",
    "head_revision",
    "make_engine",
    "rows_changed",
    "take_turns",
    "upgrade",
    "upgrade_apart",
    "upsert",
]
