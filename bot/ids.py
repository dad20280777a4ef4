"""Every slash command, action id and callback id the bot handles, and the typed button payload.

These are a public contract: messages posted months ago still carry them; never rename a released one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Command(StrEnum):
    LOGS = "/logs"
    ERRORS = "/errors"
    WAIT = "/wait"
    BOLTWATCH = "/boltwatch"


class ActionId(StrEnum):
    INCIDENT_ACK = "incident_ack"
    INCIDENT_RESOLVE = "incident_resolve"
    INCIDENT_SNOOZE = "incident_snooze"
    INCIDENT_REOPEN = "incident_reopen"
    INCIDENT_LOGS = "incident_logs"
    INCIDENT_ERRORS = "incident_errors"
    INCIDENT_ALERTS = "incident_alerts"
    INCIDENT_CONSOLE = "incident_console"
    WAIT_CANCEL = "wait_cancel"
    ERRORS_SAMPLES = "errors_samples"


class CallbackId(StrEnum):
    SNOOZE_MODAL = "incident_snooze_modal"


class BadPayload(ValueError):
    """A button value that is not one of ours (forged, or from a newer release)."""


_INCIDENT_VALUE = re.compile(r"^incident:(\d{1,18})(?::snooze:([a-z0-9]{1,12}))?$")


@dataclass(frozen=True)
class IncidentButton:
    """The value every incident button carries: which incident, and for Snooze the chosen duration."""

    incident_id: int
    snooze: str | None = None

    def encode(self) -> str:
        return f"incident:{self.incident_id}" + (f":snooze:{self.snooze}" if self.snooze else "")

    @classmethod
    def parse(cls, value: str | None) -> IncidentButton:
        match = _INCIDENT_VALUE.match(value or "")
        if match is None:
            raise BadPayload(f"not an incident button value: {value!r}")
        return cls(int(match.group(1)), match.group(2))
