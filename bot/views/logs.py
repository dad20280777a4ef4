"""A log event as the UI and error grouping read it.

A Protocol rather than a dataclass: the events come from the AWS layer (`bot.aws.logs.LogEvent`, which satisfies it
by its shape), and the builders and the core take them as they are, without importing AWS and without copying every
event of a window into a second type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class LogEvent(Protocol):
    @property
    def timestamp(self) -> datetime: ...

    @property
    def message(self) -> str: ...
