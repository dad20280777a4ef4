"""Emulated AWS for the sandbox and the tests: moto on loopback, seeded with a small realistic estate.

moto is an optional dependency (the `sandbox` extra): it is imported only when a server is started.
"""

from __future__ import annotations

from sandbox.aws.alarms import set_alarm_state
from sandbox.aws.estate import Estate, SeededFunction, seed_estate
from sandbox.aws.scenarios import BrokenInvocations, break_function
from sandbox.aws.server import MotoHandle, sandbox_client, start_moto

__all__ = [
    "BrokenInvocations",
    "Estate",
    "MotoHandle",
    "SeededFunction",
    "break_function",
    "sandbox_client",
    "seed_estate",
    "set_alarm_state",
    "start_moto",
]
