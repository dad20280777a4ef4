"""The one error users see for a malformed command: what was wrong and how to do it right."""

from __future__ import annotations

from bot.blocks.mrkdwn import escape


def quoted(word: str) -> str:
    """What a person typed, quoted as code in a usage error: its own backticks cannot end the quote, and a long word
    is cut (`UsageError.text` escapes `&`, `<` and `>` for the whole message)."""
    flat = " ".join(word.split())
    return "`" + (flat if len(flat) <= 200 else flat[:199] + "…").replace("`", "ˋ") + "`"


class UsageError(Exception):
    """`problem` may quote what the user typed: it is escaped where it is shown, so an echo cannot ping or link."""

    def __init__(self, problem: str, usage: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.usage = usage

    def text(self) -> str:
        return f"{escape(self.problem)}\nUsage: `{self.usage}`" if self.usage else escape(self.problem)
