"""Exceptions and how each runtime prints them: Python tracebacks, Node stacks, Java traces, Go panics.

Frames are kept outermost first (Python's order); Node and Java print them innermost first. The shapes follow
the runtimes themselves: CPython's `traceback` module, V8's `Error.stack`, `Throwable.printStackTrace` and the
Go runtime's panic dump (`runtime/panic.go`, `runtime/traceback.go`).
"""

from __future__ import annotations

from dataclasses import dataclass

NBSP = "\u00a0"


@dataclass(frozen=True)
class Frame:
    file: str
    function: str
    line: int
    code: str = ""
    column: int = 0


@dataclass(frozen=True)
class Exc:
    """An exception as raised: `type` as the runtime names it, message with its parameters filled in."""

    type: str
    message: str
    frames: tuple[Frame, ...]
    # What the message carries that is not a parameter and so tells groups apart (an HTTP status code), when the
    # factory draws it per event: the group is the failure's name and this.
    variant: str = ""

    def group(self, name: str) -> str:
        """The name of this exception's group when the failure named `name` raised it."""
        return f"{name} ({self.variant})" if self.variant else name

    @property
    def short_type(self) -> str:
        """The class name alone, as `type(e).__name__` and `e.constructor.name` give it."""
        return self.type.rsplit(".", 1)[-1]


def python_traceback_lines(exc: Exc) -> list[str]:
    """`traceback.format_exception` as lines: the header, two lines a frame, then `Type: message`."""
    lines = ["Traceback (most recent call last):"]
    for frame in exc.frames:
        lines.append(f'  File "{frame.file}", line {frame.line}, in {frame.function}')
        if frame.code:
            lines.append(f"    {frame.code}")
    lines.append(f"{exc.type}: {exc.message}" if exc.message else exc.type)
    return lines


def python_stack_entries(exc: Exc) -> list[str]:
    """`traceback.format_list` entries, what awslambdaric puts in `stackTrace` (bootstrap.build_fault_result)."""
    return [f'  File "{f.file}", line {f.line}, in {f.function}\n    {f.code}\n' for f in exc.frames]


def python_runtime_text(exc: Exc, separator: str) -> str:
    """awslambdaric's text `log_error`: `[ERROR] Type: message`, the frames with NBSP indents (bootstrap.py)."""
    lines = [f"[ERROR] {exc.short_type}: {exc.message}", "Traceback (most recent call last):"]
    for entry in python_stack_entries(exc):
        for line in entry.splitlines():
            stripped = line.lstrip(" ")
            lines.append(NBSP * (len(line) - len(stripped)) + stripped)
    return separator.join(lines)


def node_stack(exc: Exc) -> str:
    """V8's `error.stack`: `Type: message`, then `    at fn (file:line:col)` innermost first."""
    lines = [f"{exc.short_type}: {exc.message}"]
    for frame in reversed(exc.frames):
        where = f"{frame.file}:{frame.line}:{frame.column or 5}"
        lines.append(f"    at {frame.function} ({where})" if frame.function else f"    at {where}")
    return "\n".join(lines)


def java_trace(exc: Exc) -> str:
    """`Throwable.printStackTrace`: `pkg.Type: message`, then a tab and `at pkg.Class.method(File.java:N)`."""
    lines = [f"{exc.type}: {exc.message}" if exc.message else exc.type]
    lines += [f"\tat {frame.function}({frame.file}:{frame.line})" for frame in reversed(exc.frames)]
    return "\n".join(lines)


def go_panic_lines(exc: Exc, goroutine: int) -> list[str]:
    """A Go panic as the runtime writes it to stderr; a custom runtime's log capture makes each line an event."""
    lines = [f"panic: {exc.message}"]
    if "nil pointer" in exc.message:
        lines.append(f"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x{0x6A8F00 + goroutine:x}]")
    lines.append(f"goroutine {goroutine} [running]:")
    for frame in reversed(exc.frames):
        lines.append(f"{frame.function}(0xc000{goroutine:02x}4000)")
        lines.append(f"\t{frame.file}:{frame.line} +0x{(frame.line * 37) % 0x2FF:x}")
    return lines
