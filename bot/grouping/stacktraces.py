"""Read an exception (type, message, frames) out of the stack trace text each Lambda runtime prints."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Final, NamedTuple

from bot.grouping.frames import Frame, file_frame, qualified_frame


class ParsedException(NamedTuple):
    """An exception as printed: its type, message and frames, the frame that raised it first.

    A named tuple rather than a frozen dataclass: one is made for each exception read, and a frozen dataclass's
    __init__ sets each field through object.__setattr__.
    """

    type: str
    message: str
    frames: list[Frame]
    causes: tuple[str, ...] = ()


# Frame patterns stay inside their line ([^\S\n]: a space but not a line's end), so a line that is not a frame never
# makes one of the next line, and a search does not run past its line looking for the rest.
_PYTHON_FRAME: Final = re.compile(r'^[^\S\n]*File "(?P<path>[^"\n]+)", line (?P<line>\d+), in (?P<function>\S+)', re.M)
_PYTHON_ERROR_LINE: Final = re.compile(r"^\[ERROR\] (?P<type>[A-Za-z_][\w.]*): ?(?P<message>.*)$", re.M)
# Without a traceback, "[ERROR] Name: text" is an exception only when Name reads as one.
_EXCEPTION_NAME: Final = re.compile(r"(?:Error|Exception|Exit|Interrupt|Warning|Timeout|Iteration|Fault)$")
_PYTHON_LAST_LINE: Final = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?:: ?(?P<message>.*))?$")
_NODE_FRAME: Final = re.compile(
    r"^[^\S\n]+at (?:async )?(?:(?P<function>[^(\n]+?) \()?(?P<path>[^()\s]+?):(?P<line>\d+):\d+\)?(?: \{)?[^\S\n]*$",
    re.M,
)
_NODE_HEAD: Final = re.compile(r"^(?:Uncaught )?(?P<type>[A-Za-z_$][\w$.]*): ?(?P<message>.*)$")
_NODE_INLINE: Final = re.compile(r"^.*?\s(?P<type>[A-Z][\w$]*(?:Error|Exception)): ?(?P<message>.*)$")
_JAVA_FRAME: Final = re.compile(
    r"^[^\S\n]*(?:at )?(?P<function>[\w$.<>/]+)\((?P<file>[^():\n]*)(?::(?P<line>\d+))?\)[^\S\n]*$", re.M
)
_JAVA_HEAD: Final = re.compile(
    r'^(?:Exception in thread "[^"]*" )?(?P<type>[A-Za-z_$][\w$]*(?:\.[\w$]+)+)(?:: ?(?P<message>.*))?$'
)
_JAVA_AT: Final = re.compile(r"^[^\S\n]+at [\w$.<>/]+\([^()\n]*\)[^\S\n]*$", re.M)
_JAVA_CAUSE: Final = re.compile(r"^Caused by: (?P<type>[\w$.]+)(?::\s?(?P<message>.*))?$", re.M)
# The same lines found after a line break: a pattern that starts with "\n" is searched by a scan for the character,
# where one that starts with "^" (re.M) tries every position of the text. `_starts_a_line` adds the text's start.
_NODE_FRAME_AFTER_BREAK: Final = re.compile("\n" + _NODE_FRAME.pattern.removeprefix("^"), re.M)
_JAVA_AT_AFTER_BREAK: Final = re.compile("\n" + _JAVA_AT.pattern.removeprefix("^"), re.M)
_GO_PANIC: Final = re.compile(r"^panic: (?P<message>.+)$", re.M)
_GO_FRAME: Final = re.compile(r"^(?P<function>\S+?)\(.*\)\n\t(?P<path>\S+?):(?P<line>\d+)(?: \+0x[0-9a-f]+)?$", re.M)


@lru_cache(maxsize=16)  # `line_level` and `line_signature` read the same text one after the other
def parse_stack_trace(text: str) -> ParsedException | None:
    """The exception in a Python, Node.js, Java or Go stack trace, or None when the text holds none."""
    # Each test searches every line; the substring before it (which its pattern needs) keeps most texts out.
    if "Traceback (most recent call last)" in text or ("[ERROR] " in text and _PYTHON_ERROR_LINE.search(text)):
        return _parse_python(text)
    if "\ngoroutine " in text and _GO_PANIC.search(text):
        return _parse_go(text)
    if "at " not in text:
        return None
    if _starts_a_line(_NODE_FRAME, _NODE_FRAME_AFTER_BREAK, text):
        return _parse_node(text)
    if _starts_a_line(_JAVA_AT, _JAVA_AT_AFTER_BREAK, text):
        return _parse_java(text)
    return None


def _starts_a_line(line: re.Pattern[str], after_break: re.Pattern[str], text: str) -> bool:
    """True when one of the text's lines starts with the pattern (`line.search` with its "^", found quicker)."""
    return line.match(text) is not None or after_break.search(text) is not None


def python_frames(text: str) -> list[Frame]:
    """Frames of a Python traceback, innermost first."""
    return _frames_by_line(text, _python_frame, _remembered_python_frame)[::-1]


def _frames_by_line(
    text: str, frame_of: Callable[[str], Frame | None], remembered: Callable[[str], Frame | None]
) -> list[Frame]:
    """A frame pattern reads one line, so a stack's frames are its lines' frames. A group's events share their frame
    lines: each distinct line is read once, and a long line (never a frame in practice) without the memo, so that
    the memo stays small."""
    lines = text.split("\n")
    if len(text) <= _REMEMBERED_LINE:  # no line is long: the memo's C call for each, without a Python loop
        found: Iterable[Frame | None] = map(remembered, lines)
    else:
        found = (remembered(line) if len(line) <= _REMEMBERED_LINE else frame_of(line) for line in lines)
    return list(filter(None, found))  # a Frame is always true


def _python_frame(line: str) -> Frame | None:
    found = _PYTHON_FRAME.match(line)
    return file_frame(found["path"], found["function"], found["line"]) if found else None


def _node_frame(line: str) -> Frame | None:
    found = _NODE_FRAME.match(line)
    return file_frame(found["path"], found["function"] or "<anonymous>", found["line"]) if found else None


def _java_frame(line: str) -> Frame | None:
    found = _JAVA_FRAME.match(line)
    return qualified_frame(found["function"], found["line"] or "") if found else None


_REMEMBERED_LINE: Final = 1024
_remembered_python_frame: Final = lru_cache(maxsize=1 << 12)(_python_frame)
_remembered_node_frame: Final = lru_cache(maxsize=1 << 12)(_node_frame)
_remembered_java_frame: Final = lru_cache(maxsize=1 << 12)(_java_frame)


def _parse_python(text: str) -> ParsedException | None:
    lines = [line for line in text.splitlines() if line.strip()]
    head = _PYTHON_ERROR_LINE.search(text) if "[ERROR] " in text else None  # the substring its pattern needs
    if head is None and len(lines) > 1 and lines[1].startswith("Traceback"):
        # The Python runtime's unhandled error, its "[ERROR] " already read off as the line's level.
        head = _PYTHON_LAST_LINE.match(lines[0])
    exc_type, message = (head["type"], head["message"] or "") if head else ("", "")
    # The standard layout ends with "Type: message" at column 0; Lambda's puts "[ERROR] Type: message" first.
    if lines and not lines[-1].startswith((" ", "\t", "\u00a0")):
        last = _PYTHON_LAST_LINE.match(lines[-1].strip())
        if last and not head:
            exc_type, message = last["type"], last["message"] or ""
    if not exc_type or ("Traceback (most recent call last)" not in text and not _EXCEPTION_NAME.search(exc_type)):
        return None
    return ParsedException(exc_type, message.strip(), python_frames(text))


def node_frames(text: str) -> list[Frame]:
    """Frames of a V8 stack, innermost first."""
    if "at " not in text:
        return []
    return _frames_by_line(text, _node_frame, _remembered_node_frame)


def _parse_node(text: str) -> ParsedException | None:
    # util.format(message, err) writes the stack after the message on the same line: "saving failed TypeError: x".
    head = _head_before_frames(text, _NODE_FRAME, _NODE_HEAD) or _head_before_frames(text, _NODE_FRAME, _NODE_INLINE)
    if head is None:
        return None
    return ParsedException(head["type"], head["message"].strip(), node_frames(text))


def java_frames(text: str) -> list[Frame]:
    """Frames of a JVM stack (of every exception in a Caused by chain), innermost first."""
    return _frames_by_line(text, _java_frame, _remembered_java_frame)


def _parse_java(text: str) -> ParsedException | None:
    head = _head_before_frames(text, _JAVA_AT, _JAVA_HEAD)
    if head is None:
        return None
    causes = tuple(m["type"] for m in _JAVA_CAUSE.finditer(text)) if "Caused by: " in text else ()
    return ParsedException(head["type"], (head["message"] or "").strip(), java_frames(text), causes)


def _parse_go(text: str) -> ParsedException:
    panic = _GO_PANIC.search(text)
    message = panic["message"].strip() if panic else ""
    frames = [go_frame(m["function"], m["path"], m["line"]) for m in _GO_FRAME.finditer(text)]
    return ParsedException("panic", message, frames)


def go_frame(function: str, path: str, line: str = "") -> Frame:
    """A Go frame: its package-qualified function, in-app unless the function or the file is a library's."""
    by_name = qualified_frame(function)
    by_path = file_frame(path, function)
    return Frame(by_path.module or by_name.module, by_name.function, by_name.in_app and by_path.in_app, line)


def _head_before_frames(text: str, frame: re.Pattern[str], head: re.Pattern[str]) -> re.Match[str] | None:
    """The "Type: message" line nearest above the first frame; a log prefix may precede it on its line."""
    lines = text.splitlines()
    first_frame = next((i for i, line in enumerate(lines) if frame.match(line)), len(lines))
    for line in reversed(lines[:first_frame]):
        found = head.match(line.strip().rsplit("\t", 1)[-1])
        if found:
            return found
    return None
