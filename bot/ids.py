"""Every slash command, action id, callback id and event the bot handles: a public contract.

Messages posted months ago still carry these action ids; never rename a released one.
"""

from __future__ import annotations

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
    INCIDENT_LOGS = "incident_logs"
    INCIDENT_ERRORS = "incident_errors"
    WAIT_CANCEL = "wait_cancel"

