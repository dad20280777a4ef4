"""The closed vocabularies the bot stores and shows: StrEnums, so that a typo is an error rather than a silent
mismatch, and their values (stored in the database, carried in old messages) never change."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"critical": 0, "warning": 1, "info": 2}[self.value]
