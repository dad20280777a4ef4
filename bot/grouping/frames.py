"""Stack frames, and which of them are the application's own code ("in-app", as Sentry calls it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

# Paths and module prefixes of language runtimes, the Lambda runtime and installed libraries.
_LIBRARY_PATH: Final = re.compile(
    r"""
      ^/var/runtime/ | ^/var/lang/ | ^/opt/ | ^/usr/ | ^/lib/ | ^<frozen | ^<string>
    | /site-packages/ | /dist-packages/ | /node_modules/ | ^node: | ^internal/ | ^native
    | /usr/local/go/ | /go/pkg/mod/ | ^runtime/ | /src/runtime/ | github\.com/aws/aws-lambda-go[@/]
    """,
    re.VERBOSE,
)
_LIBRARY_MODULE: Final = re.compile(
    r"^(?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala|lambdainternal|com\.amazonaws|"
    r"software\.amazon|org\.apache|org\.springframework|com\.fasterxml|reactor|io\.netty|runtime|"
    r"github\.com/aws/aws-lambda-go)(?:[./]|$)"
)
_TASK_ROOT: Final = re.compile(r"^(?:file://)?/var/task/")
_SOURCE_SUFFIX: Final = re.compile(r"\.(?:py|js|mjs|cjs|ts|go|java|kt)$")


@dataclass(frozen=True)
class Frame:
    """One stack frame: where the code is (module or file), the function and the line.

    The line is part of a frame's identity, as in Sentry's grouping of in-app frames: a different line is a
    different call site, so a different bug.
    """

    module: str
    function: str
    in_app: bool
    line: str = ""
    # Made once with the frame: a group's events share their frames (the memos below), and a signature reads the
    # label of each in-app frame of each event.
    _label: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"{self.module}:{self.line}" if self.line else self.module
        object.__setattr__(self, "_label", f"{where} in {self.function}" if where else self.function)

    def label(self) -> str:
        return self._label


@lru_cache(maxsize=1 << 14)  # a group's events share their frames: each distinct frame is read once
def file_frame(path: str, function: str, line: str = "") -> Frame:
    """A frame named by a source file path (Python, Node.js, Go)."""
    path = path.strip()
    in_app = not _LIBRARY_PATH.search(path.removeprefix("file://"))
    module = _SOURCE_SUFFIX.sub("", _TASK_ROOT.sub("", path))
    return Frame(module=module, function=function.strip() or "<anonymous>", in_app=in_app, line=line)


@lru_cache(maxsize=1 << 14)
def qualified_frame(qualified_name: str, line: str = "") -> Frame:
    """A frame named by a qualified function, such as com.example.Handler.handleRequest or main.handler."""
    module, _, function = qualified_name.rpartition(".")
    return Frame(module=module, function=function, in_app=not _LIBRARY_MODULE.match(qualified_name), line=line)


def in_app_labels(frames: list[Frame]) -> tuple[str, ...]:
    """Labels of the in-app frames, the part of a stack that identifies a bug."""
    return tuple([frame._label for frame in frames if frame.in_app])
