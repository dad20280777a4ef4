"""The error events of one log group and their signatures, read in order with what surrounds each event.

Two things need more than one event. A crash dump written one line per event (dumps.py) is one error, its
header, whose signature needs the lines after it in the same stream. And a runtime's notice that announces a
failure is not a second error when the same invocation reports that failure in an event of its own:

- aws-lambda-go logs ``calling the handler function resulted in a panic, the process should exit``
  (lambda/invoke_loop.go `handleInvoke`, written by `log.Fatalf` in lambda/entry.go) after `reportFailure`
  has logged the panic's error object;
- the Python runtime logs ``LAMBDA_WARNING: Unhandled exception. …`` (awslambdaric/lambda_literals.py) just
  before the error itself;
- the Node.js runtime logs ``Unexpected Top Level Error: …`` (src/Runtime.js) before reporting it.

A notice waits until its invocation ends (``END``/``REPORT``, the stream's next ``START``, or the end of the
input); it counts as the error only when nothing else reported one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final, Generic, Protocol, TypeVar

from bot.grouping.detection import line_level, may_be_error, numeric_level
from bot.grouping.dumps import Dump, is_dump_header
from bot.grouping.miner import TemplateMiner
from bot.grouping.records import ERROR, QUIET_LINE, LogLine, is_healthy_platform_record, read_line
from bot.grouping.runtime_reports import invocation_start, is_runtime_report
from bot.grouping.signature import ErrorSignature

NOTICES: Final = (
    "calling the handler function resulted in a panic, the process should exit",
    "LAMBDA_WARNING: Unhandled exception.",
    "Unexpected Top Level Error:",
)
_ENDS: Final = ("END RequestId: ", "REPORT RequestId: ")
_START: Final = "START RequestId: "
_HEALTHY_EDGES: Final = (_START, "END RequestId: ")
_REPORT: Final = "REPORT RequestId: "
_JSON_RECORD: Final = '{"time"'
MAX_INVOCATIONS: Final = 10_000
_NONE: Final[list] = []  # shared, never appended to: most events complete no error
# The builtin `getattr`, called as an object. Compiled by mypyc (setup.py), `getattr(event, "stream", "")` on an event
# without the attribute raises and catches an AttributeError (~0.7 µs an event); the builtin looks it up without one.
_stream_of: Final[Callable[[object, str, str], str]] = getattr


class LogEventLike(Protocol):
    """A log event; one with a `stream` attribute (CloudWatch's log stream name) keeps its dumps apart."""

    @property
    def message(self) -> str: ...


Event = TypeVar("Event", bound=LogEventLike)
Grouped = tuple[Event, ErrorSignature]


class ErrorGrouper(Generic[Event]):
    """Fed one log group's events in order; gives back each error event with its signature."""

    def __init__(self, miner: TemplateMiner | None = None) -> None:
        # Made at the first error (`_signatures`): most of a check's runs of a log group hold none.
        self._miner = miner
        self._dumps: dict[str, Dump[Event]] = {}
        # The record that last moved each stream between invocations (START, END, platform.start), read lazily:
        # every invocation has them, few lines need them.
        self._edge_of_stream: dict[str, str] = {}
        self._failed: dict[str, None] = {}  # in the order they failed
        self._notices: dict[str, list[tuple[Event, LogLine]]] = {}

    def group(self, events: Iterable[Event]) -> Iterator[Grouped[Event]]:
        """Every error event of the input with its signature (a dump's header once its dump is complete)."""
        edges, dumps, notices = self._edge_of_stream, self._dumps, self._notices
        # The tests of `may_be_error`, written out (its words are detection.py's _FAILURE_MARKS; a test checks that
        # both let the same lines through): a Python call costs more than most of them, and ~45k of 50k events of a
        # Lambda log group stop here.
        quiet, healthy_platform = QUIET_LINE.match, is_healthy_platform_record
        for event in events:
            message = event.message
            if dumps or notices:
                found = self.add(event)
                if found:
                    yield from found
                continue
            # The first character before `startswith`, which costs more (it parses its arguments each call); an index
            # rather than a slice, which makes a slice object each time.
            first = message[0] if message else ""
            # The healthy records of every invocation, and lines that cannot be errors, cost a test or two.
            if first in "SE" and message.startswith(_HEALTHY_EDGES):
                edges[_stream_of(event, "stream", "")] = message
                continue
            if first == "R" and message.startswith(_REPORT) and "Status: " not in message:
                continue
            if quiet(message) is None and not (
                first == "{" and message.startswith(_JSON_RECORD) and healthy_platform(message)
            ):
                lowered = message.lower()
                if (
                    "err" in lowered
                    or "fatal" in lowered
                    or "exception" in lowered
                    or "timeout" in lowered
                    or "timed out" in lowered
                    or "panic" in lowered
                    or "crit" in lowered
                    or "failure" in lowered
                    or "traceback" in lowered
                    or "severe" in lowered
                    or "alert" in lowered
                    or "emerg" in lowered
                    or "segmentation" in lowered
                    or ("level" in lowered and numeric_level(lowered))
                ):
                    found = self._read(event, message, _stream_of(event, "stream", ""))
                    if found:
                        yield from found
                    continue
            # Not an error. A JSON platform.start record opens its stream's invocation. (A search of the whole line
            # costs less than a slice of its first 120 characters, and invocation_start looks only there.)
            start = first == "{" and '"platform.start"' in message and message.startswith(_JSON_RECORD)
            if start and invocation_start(message):
                edges[_stream_of(event, "stream", "")] = message
        if dumps or notices:  # else nothing waits (a check's run of a few events mostly ends here)
            yield from self.finish()

    def add(self, event: Event) -> list[Grouped[Event]]:
        """The errors this event completes: itself, a crash dump it ends, notices of an invocation it ends."""
        message = event.message
        stream = _stream_of(event, "stream", "")
        if not self._dumps and not self._notices and message.startswith(_HEALTHY_EDGES):
            self._edge_of_stream[stream] = message
            return _NONE
        out: list[Grouped[Event]] = []
        dump = self._dumps.get(stream)
        if dump is not None:
            if dump.takes(message):
                return out
            out.append(self._close(stream))
        if message.startswith(_HEALTHY_EDGES) or message.startswith(_JSON_RECORD):
            if self._notices and invocation_start(message):
                out += self._end_invocation(self._invocation_of(stream))
            self._follow_invocations(stream, message)
        if not may_be_error(message):
            if message.startswith(_ENDS):
                out += self._end_invocation(message.split(None, 3)[2])
            return out
        found = self._read(event, message, stream)
        return out + found if out else found

    def _read(self, event: Event, message: str, stream: str) -> list[Grouped[Event]]:
        """The errors a line that may be an error completes, once the open dumps and invocations have seen it."""
        line = read_line(message)
        if line_level(line) < ERROR:
            return _NONE
        out: list[Grouped[Event]] = []
        invocation = line.request_id or self._invocation_of(stream) or f"stream {stream}"
        if line.body.startswith(NOTICES):
            if invocation not in self._failed:
                self._notices.setdefault(invocation, []).append((event, line))
        elif invocation in self._failed and is_runtime_report(line):
            pass  # the runtime reports a failure the function already logged in an event of its own
        else:
            self._mark_failed(invocation)
            # A JSON record is never a dump's header (that is one line of text, not "{" or a Node.js report).
            if line.payload is None and is_dump_header(line.body):
                self._dumps[stream] = Dump(event, line, python=line.body.startswith("Traceback"))
            else:
                miner = self._miner if self._miner is not None else self._signatures()
                out.append((event, miner.add_line(line)))
        if message.startswith(_ENDS):
            out += self._end_invocation(line.request_id)
        return out

    def finish(self) -> list[Grouped[Event]]:
        """The errors still waiting: open crash dumps and notices nothing else reported."""
        out = [self._close(stream) for stream in list(self._dumps)]
        for invocation in list(self._notices):
            out += self._end_invocation(invocation)
        return out

    def _close(self, stream: str) -> Grouped[Event]:
        dump = self._dumps.pop(stream)
        return dump.header, self._signatures().add_line(dump.line, dump.text())

    def _signatures(self) -> TemplateMiner:
        if self._miner is None:
            self._miner = TemplateMiner()
        return self._miner

    def _follow_invocations(self, stream: str, message: str) -> None:
        """Which invocation the stream serves: a START opens one; after END, lines belong to the next init."""
        if message.startswith(_HEALTHY_EDGES) or invocation_start(message):
            self._edge_of_stream[stream] = message

    def _invocation_of(self, stream: str) -> str:
        """The request id of the invocation the stream serves ("after <id>" once it ended), "" when unknown."""
        edge = self._edge_of_stream.get(stream)
        if edge is None:
            return ""
        if edge.startswith("END RequestId: "):
            return "after " + edge.split(None, 3)[2]
        return invocation_start(edge)

    def _mark_failed(self, invocation: str) -> None:
        """The invocation reported a failure in an event of its own: its notices are not errors."""
        self._notices.pop(invocation, None)
        self._failed[invocation] = None
        if len(self._failed) > MAX_INVOCATIONS:
            del self._failed[next(iter(self._failed))]

    def _end_invocation(self, invocation: str) -> list[Grouped[Event]]:
        notices = self._notices.pop(invocation, [])
        miner = self._signatures()
        return [(event, miner.add_line(line)) for event, line in notices]
