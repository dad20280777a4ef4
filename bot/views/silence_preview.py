"""What a silence would mute if it were made now: the preview `/boltwatch mute` and `maintenance` answer with."""

from __future__ import annotations

from dataclasses import dataclass

from bot.enums import Severity

SHOWN = 10


@dataclass(frozen=True)
class PreviewAlert:
    title: str
    resource: str
    severity: Severity


@dataclass(frozen=True)
class SilencePreview:
    """How many firing alerts the silence would mute now, and the first `SHOWN` of them (most severe first)."""

    count: int
    top: tuple[PreviewAlert, ...]
