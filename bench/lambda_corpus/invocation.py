"""One invocation being written: its events, each labelled as it is written, and the failures it can meet.

A failure writes the records of one failure signature. The label of each record follows the rules in README.md:
the error records carry the name of their group (one signature inside one function), everything else None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bench.lambda_corpus import platform
from bench.lambda_corpus.exceptions import Exc, go_panic_lines
from bench.lambda_corpus.params import Params
from bench.lambda_corpus.writers import Context, Runtime, Style, app_line, runtime_error_report


@dataclass(frozen=True)
class LabelledEvent:
    """A log event and its truth: `group` names the error group (function/signature), None for a non-error."""

    log_group: str
    timestamp: int  # ms since the epoch, as CloudWatch stores it
    message: str
    group: str | None
    kind: str  # what wrote the record and why it is labelled so (for break-downs)

    @property
    def is_error(self) -> bool:
        return self.group is not None


@dataclass
class Invocation:
    function: str
    runtime: Runtime
    style: Style
    ctx: Context
    params: Params
    events: list[LabelledEvent] = field(default_factory=list)
    status: str | None = None
    error_type: str | None = None
    duration_ms: float | None = None

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function}"

    def emit(self, message: str, kind: str, group: str | None = None, gap: tuple[int, int] = (1, 40)) -> None:
        self.events.append(
            LabelledEvent(
                self.log_group, self.ctx.time_ms, message, f"{self.function}/{group}" if group else None, kind
            )
        )
        self.ctx.time_ms += self.params.num(*gap)

    def log(self, level: str, message: str, exc: Exc | None = None, group: str | None = None, kind: str = "") -> None:
        """A line of the function's own logger; RAW is a line written to stdout with no logger at all."""
        text = message if level == "RAW" else app_line(self.style, self.ctx, level, message, exc)
        self.emit(text, kind or f"app {level}", group)


class Failure(Protocol):
    name: str

    def write(self, inv: Invocation) -> None: ...


Message = Callable[[Params], str]
Raise = Callable[[Params], Exc]


@dataclass(frozen=True)
class LoggedError:
    """The function logs a failure at ERROR (or FATAL) and carries on; with an exception when `exc` is given."""

    name: str
    message: Message
    exc: Raise | None = None
    level: str = "ERROR"
    batch: int = 1  # a batch handler (SQS, Kinesis) logs the failure once for each failing record, up to this many

    def write(self, inv: Invocation) -> None:
        for _ in range(inv.params.num(1, self.batch)):
            exc = self.exc(inv.params) if self.exc else None
            group = exc.group(self.name) if exc else self.name
            inv.log(self.level, self.message(inv.params), exc, group, "logged error")


@dataclass(frozen=True)
class Raised:
    """The handler raises; the runtime reports it. When the function logged it first, the runtime's report is a
    notice of a failure already reported in its own event, so it is not a second error."""

    name: str
    exc: Raise
    logged_share: float = 0.0
    message: Message = lambda p: "Unhandled error while processing the request"

    def write(self, inv: Invocation) -> None:
        exc = self.exc(inv.params)
        logged = inv.params.rng.random() < self.logged_share
        if logged:
            inv.log("ERROR", self.message(inv.params), exc, exc.group(self.name), "logged error, then raised")
        report = runtime_error_report(inv.style, inv.runtime, inv.ctx, exc)
        if logged:
            inv.emit(report, "runtime notice of an error already logged")
        else:
            # Go's report has no stack: only its message template identifies it, which differs from the logged line.
            group = f"{self.name} (runtime report)" if inv.runtime is Runtime.GO else exc.group(self.name)
            inv.emit(report, "runtime error report", group)


@dataclass(frozen=True)
class Timeout:
    name: str = "timeout"
    timeout_s: int = 3

    def write(self, inv: Invocation) -> None:
        started = inv.events[0].timestamp if inv.events else inv.ctx.time_ms
        inv.ctx.time_ms = max(inv.ctx.time_ms, started + self.timeout_s * 1000 + inv.params.num(0, 30))
        inv.emit(platform.task_timed_out(inv.ctx.time_ms, inv.ctx.request_id, self.timeout_s), "platform", "timeout")
        inv.status, inv.duration_ms = "timeout", self.timeout_s * 1000 + inv.params.num(1, 9) / 100


@dataclass(frozen=True)
class OutOfMemory:
    name: str = "out of memory"

    def write(self, inv: Invocation) -> None:
        inv.emit(platform.runtime_exited(inv.ctx.request_id, "signal: killed"), "platform", "exited: signal: killed")
        inv.status, inv.error_type = "error", "Runtime.OutOfMemory"


@dataclass(frozen=True)
class GoCrash:
    """A panic outside aws-lambda-go's recover (a goroutine of the handler's): the Go runtime writes the dump to
    stderr, a line an event; the header is the error, the continuation lines belong to it and are not errors."""

    name: str
    exc: Raise

    def write(self, inv: Invocation) -> None:
        header, *rest = go_panic_lines(self.exc(inv.params), inv.params.num(6, 90))
        inv.emit(header, "crash dump header", self.name, gap=(0, 1))
        for line in rest:
            inv.emit(line, "crash dump continuation", gap=(0, 1))
        inv.emit(platform.runtime_exited(inv.ctx.request_id, "exit status 2"), "platform", "exited: exit status 2")
        inv.status, inv.error_type = "error", "Runtime.ExitError"


@dataclass(frozen=True)
class GoRecoveredPanic:
    """aws-lambda-go recovers the panic, reports it with its stack, then says the process must exit."""

    name: str
    exc: Raise

    def write(self, inv: Invocation) -> None:
        inv.emit(
            runtime_error_report(inv.style, inv.runtime, inv.ctx, self.exc(inv.params), panic=True),
            "runtime error report",
            self.name,
        )
        moment = inv.events[-1].message[:19]
        inv.emit(
            f"{moment} calling the handler function resulted in a panic, the process should exit",
            "runtime notice of an error already reported",
        )


@dataclass(frozen=True)
class ProcessExit:
    """Node: the handler calls process.exit(1) (or a native module aborts); only the platform reports it."""

    name: str = "process exit"
    how: str = "exit status 1"

    def write(self, inv: Invocation) -> None:
        inv.emit(platform.runtime_exited(inv.ctx.request_id, self.how), "platform", f"exited: {self.how}")
        inv.status, inv.error_type = "error", "Runtime.ExitError"
