"""The one error users see for a malformed command: what was wrong and how to do it right."""

from __future__ import annotations


class UsageError(Exception):
    def __init__(self, problem: str, usage: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.usage = usage

    def text(self) -> str:
        return f"{self.problem}\nUsage: `{self.usage}`" if self.usage else self.problem
