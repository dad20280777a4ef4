"""Crash dumps split across events: a header, then continuation lines that only make sense under it.

What writes to stderr one line at a time, so that CloudWatch Logs stores each line as an event of its own:
custom runtimes (``provided.al2023``) and the Go runtime's own crash output (``panic: …``, ``fatal error: …``,
``goroutine 1 [running]:``, a function line, then ``\\t/path/file.go:25 +0x1d``, ``exit status 2``);
Python's `traceback.print_exc()` (``Traceback (most recent call last):``, ``  File "…", line N, in f``, the
code line, ``ValueError: …``, and ``During handling of the above exception…`` between chained ones);
Java's `printStackTrace()` on System.err (``java.lang.X: …``, ``\\tat …``, ``Caused by: …``, ``\\t... 3 more``);
Node.js's `console.error(err.stack)` in a custom runtime (``TypeError: …``, ``    at …``). The header is the
error; its continuation lines are part of it, not errors of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

from mypy_extensions import mypyc_attr

from bot.grouping.records import LogLine

Event = TypeVar("Event")

_HEADER: Final = re.compile(
    r"Traceback \(most recent call last\):$"
    r"|panic: |fatal error: "
    r'|Exception in thread "[^"]*" '
    r"|(?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Error|Exception|Throwable)(?::|$)"  # a JVM exception, qualified
    r"|(?:Uncaught )?[A-Z]\w*Error(?::|$)"  # a JavaScript error's first line
)
_CONTINUATION: Final = re.compile(
    r"""
      [ \t\u00a0]+\S                               # indented: frames, code lines, "\tat", "    at", "\t/x.go:25"
    | Caused\ by:\ | Suppressed:\ | \.\.\.\ \d+\ more
    | During\ handling\ of\ the\ above\ exception | The\ above\ exception\ was\ the\ direct\ cause
    | Traceback\ \(most\ recent\ call\ last\):$
    | goroutine\ \d+\ \[ | created\ by\ | \[signal\ | exit\ status\ \d+$
    | [\w./*()\[\]{}-]+\(.*\)$                     # a Go function line: main.handler({0x1, 0x2})
    | \[cause\]:
    """,
    re.VERBOSE,
)
# A Python traceback ends with its exception line, which reads like any "Type: message" line.
_PYTHON_LAST: Final = re.compile(r"[A-Za-z_][\w.]*(?::\s.*)?$")
_PYTHON_CHAIN: Final = re.compile(r"During handling of the above exception|The above exception was the direct cause")
MAX_LINES: Final = 200


def is_dump_header(body: str) -> bool:
    """True for the first line of a stack trace or crash dump written as an event of its own."""
    return "\n" not in body and "\r" not in body and _HEADER.match(body) is not None


# A plain Python class when compiled (bot/grouping/__init__.py): mypyc's native classes cannot be generic dataclasses.
@mypyc_attr(native_class=False)
@dataclass
class Dump(Generic[Event]):
    """An open crash dump: its header event and the lines that followed it in the same stream."""

    header: Event
    line: LogLine
    lines: list[str] = field(default_factory=list)
    python: bool = False
    ended: bool = False

    def takes(self, message: str) -> bool:
        """Add the message if it continues the dump; False when it starts something else."""
        if len(self.lines) >= MAX_LINES or "\n" in message:
            return False
        if self.ended:
            # Only a chained exception's link reopens a finished Python traceback.
            self.ended = not _PYTHON_CHAIN.match(message)
            if not self.ended:
                self.lines.append(message)
            return not self.ended
        if _CONTINUATION.match(message):
            self.lines.append(message)
            return True
        if self.python and self.lines and _PYTHON_LAST.match(message):
            self.lines.append(message)
            self.ended = True  # the exception line closes a Python traceback
            return True
        return False

    def text(self) -> str:
        return "\n".join([self.line.body, *self.lines])
