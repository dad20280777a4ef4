"""The one error users see for a malformed command: what was wrong and how to do it right."""

from __future__ import annotations

from bot.blocks.mrkdwn import escape


class UsageError(Exception):
    """`problem` may quote what the user typed: it is escaped where it is shown, so an echo cannot ping or link."""

    def __init__(self, problem: str, usage: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.usage = usage

    def text(self) -> str:
        return f"{escape(self.problem)}\nUsage: `{self.usage}`" if self.usage else escape(self.problem)
