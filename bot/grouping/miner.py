"""The signatures of one log source's error events, indexed by key.

Templates follow Sentry's rules (masking.py): values are masked by what they are, words are never guessed to
be values, so a template never depends on which other events were seen, and a key is a hash of the template,
the same after a restart. The index is a dict from key to the first signature seen under it, which keeps one
title per group and costs one lookup per event, however many templates the source has.
"""

from __future__ import annotations

from bot.grouping.records import LogLine, read_line
from bot.grouping.signature import ErrorSignature, line_signature


class TemplateMiner:
    """Gives each event the signature of its error group; one miner per log source."""

    def __init__(self, max_tracked: int = 100_000) -> None:
        self._index: dict[str, ErrorSignature] = {}
        self._max_tracked = max_tracked

    def add(self, message: str) -> ErrorSignature:
        """The signature of one event."""
        return self.add_line(read_line(message))

    def add_line(self, line: LogLine, text: str | None = None) -> ErrorSignature:
        """The signature of a read line (`text`: the whole crash dump when the line is a dump's header)."""
        signature = line_signature(line, text, self._index)
        if len(self._index) < self._max_tracked:
            self._index.setdefault(signature.key, signature)
        return signature

    def __len__(self) -> int:
        return len(self._index)
