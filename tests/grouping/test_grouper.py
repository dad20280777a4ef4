"""One log group's events read in order: crash dumps split across events, runtime reports and notices."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.grouping import ErrorGrouper, fingerprint
from tests.grouping import lambda_samples as samples
from tests.grouping.sources import assert_passes_on_the_sources

REQUEST = "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11"
TS = "2026-11-02T06:00:00.120Z"


@dataclass(frozen=True)
class Event:
    message: str
    stream: str = "2026/11/02/[$LATEST]a1b2c3"


def errors(*messages: str | Event) -> list[tuple[str, str]]:
    events = [m if isinstance(m, Event) else Event(m) for m in messages]
    return [(event.message, signature.title) for event, signature in ErrorGrouper().group(events)]


GO_DUMP = [
    "panic: runtime error: index out of range [5] with length 3",
    "goroutine 18 [running]:",
    "main.(*Resizer).resize(0xc000124000)",
    "\t/var/task/resize.go:88 +0x1d4",
    "main.handler.func1()",
    "\t/var/task/main.go:41 +0x2c",
    "created by main.handler in goroutine 1",
    "\t/var/task/main.go:39 +0x9a",
]


def test_a_go_crash_dump_written_a_line_an_event_is_one_error_its_header() -> None:
    found = errors(f"START RequestId: {REQUEST} Version: $LATEST", *GO_DUMP, f"END RequestId: {REQUEST}")
    assert found == [(GO_DUMP[0], "panic: runtime error: index out of range [5] with length 3")]


def test_the_dumps_frames_tell_two_crash_sites_apart() -> None:
    other = [line.replace("resize.go:88", "resize.go:120") for line in GO_DUMP]
    grouper = ErrorGrouper()
    keys = [s.key for _, s in grouper.group([Event(m) for m in [*GO_DUMP, f"END RequestId: {REQUEST}", *other]])]
    assert len(set(keys)) == 2


def test_a_python_traceback_printed_to_stderr_is_one_error_with_its_type() -> None:
    lines = [
        "Traceback (most recent call last):",
        '  File "/var/task/app.py", line 31, in handler',
        "    total = sum(item['price'] for item in order['items'])",
        "KeyError: 'items'",
    ]
    assert errors(*lines, "Processed 0 records") == [(lines[0], "KeyError: 'items'")]


def test_a_java_stack_trace_on_stderr_is_one_error_and_dumps_of_two_streams_stay_apart() -> None:
    java = ["java.lang.IllegalStateException: pool closed", "\tat com.acme.Repo.load(Repo.java:88)", "\t... 3 more"]
    interleaved = [
        Event(java[0], "a"),
        Event(GO_DUMP[0], "b"),
        Event(java[1], "a"),
        Event(GO_DUMP[1], "b"),
        Event(java[2], "a"),
    ]
    assert sorted(title for _, title in errors(*interleaved)) == [
        "java.lang.IllegalStateException: pool closed",
        "panic: runtime error: index out of range [5] with length 3",
    ]


def test_the_runtimes_report_of_an_error_the_function_logged_is_not_a_second_error() -> None:
    logged = f"[ERROR]\t{TS}\t{REQUEST}\tcharge failed\n" + "\n".join(
        ["Traceback (most recent call last):", '  File "/var/task/app.py", line 12, in handler', "KeyError: 'id'"]
    )
    report = samples.python_traceback(key="id")  # "[ERROR] KeyError: 'id'\nTraceback ...", no request id
    found = errors(f"START RequestId: {REQUEST} Version: $LATEST", logged, report, f"END RequestId: {REQUEST}")
    assert [message for message, _ in found] == [logged]


def test_the_runtimes_report_alone_is_the_error() -> None:
    report = samples.node_invoke_error(request_id=REQUEST)
    assert [m for m, _ in errors(f"START RequestId: {REQUEST} Version: $LATEST", report)] == [report]


def test_go_runtime_notice_after_a_recovered_panic_is_not_an_error() -> None:
    payload = {"errorMessage": "boom", "errorType": "string", "stackTrace": [], "shouldExit": True}
    report = f"2026/11/02 06:00:00 {json.dumps(payload)}"
    notice = "2026/11/02 06:00:00 calling the handler function resulted in a panic, the process should exit"
    assert [m for m, _ in errors(report, notice)] == [report]


def test_warn_lines_stay_warnings_whatever_they_say() -> None:
    assert (
        errors(
            f"[WARNING]\t{TS}\t{REQUEST}\tLAMBDA_WARNING: Unhandled exception. The most likely cause is an issue",
            f"{TS}\t{REQUEST}\tWARN\tCaught ConditionalCheckFailedException for order ord_1; treating as duplicate",
            json.dumps({"level": 40, "msg": "Exception ignored while closing connection: ConnectionResetError"}),
        )
        == []
    )


def test_fingerprint_and_grouper_agree_on_a_single_event() -> None:
    event = samples.java_stack()
    [(_, title)] = errors(event)
    assert title == fingerprint(event).title


def test_what_is_remembered_between_events_never_merges_groups_a_kept_word_tells_apart() -> None:
    # Masked words, word runs, templates, frames and signatures are remembered across events and groupers; each
    # pair below differs only where Sentry's rules keep the word, and each id differs where they mask it.
    aws_codes = ("ThrottlingException", "ValidationException")
    pairs = [
        [f"{TS}\t{REQUEST}\tERROR\tupstream answered status {code} for order ord_{n}" for code in (502, 503)]
        for n in (11, 12)
    ] + [
        [samples.python_traceback(line=line, key=f"k{n}") for line in (12, 13)] for n in (1, 2)
    ] + [
        [f"[ERROR]\t{TS}\t{REQUEST}\tcopy of batch {n} to {target} failed" for target in ("s3", "s4")] for n in (7, 8)
    ] + [
        [f"2026/11/02 06:00:00 {code}: request {n} rejected by table orders-{n}" for code in aws_codes]
        for n in (5, 6)
    ]  # fmt: skip
    for _ in range(2):  # the second grouper finds everything remembered
        keys = [[s.key for _, s in ErrorGrouper().group(_one_invocation_each(pair))] for pair in pairs]
        for kind in range(0, len(keys), 2):
            first_ids, second_ids = keys[kind], keys[kind + 1]
            assert first_ids[0] != first_ids[1]
            assert first_ids == second_ids


def _one_invocation_each(messages: list[str]) -> list[Event]:
    events = []
    for n, message in enumerate(messages):
        request = f"{n:08d}-1b7d-4c1e-9a77-2f0c1e0b9d11"
        events += [
            Event(f"START RequestId: {request} Version: $LATEST"),
            Event(message),
            Event(f"END RequestId: {request}"),
        ]
    return events


def test_the_grouper_reads_exactly_the_lines_the_first_test_lets_through(monkeypatch, request) -> None:
    """The grouper writes `may_be_error`'s tests out in its loop; a word added to one and not the other shows here.

    It replaces a method, which compiled code calls directly: with bot/grouping compiled, it runs again on the same
    sources, in a child process that loads them (bot/grouping/_compiled.py).
    """
    from bot.grouping import COMPILED, grouper

    if COMPILED:
        assert_passes_on_the_sources(request.node.nodeid)
        return
    from bot.grouping.detection import _FAILURE_MARKS, may_be_error

    read: list[str] = []
    monkeypatch.setattr(grouper.ErrorGrouper, "_read", lambda self, event, message, stream: read.append(message) or [])
    lines = [f"{TS} {REQUEST} the {word.upper()} counter moved" for word in _FAILURE_MARKS]
    lines += [f"{TS} {REQUEST} the {word.title()} counter moved" for word in _FAILURE_MARKS]
    lines += [
        '{"level":50,"time":1714557600000,"msg":"upstream failed"}',
        '{"level":30,"time":1714557600000,"msg":"Fatal-error handler registered"}',
        f"[INFO]\t{TS}\t{REQUEST}\tretrying after error: ThrottlingException",
        '{"time":"2024-05-01T10:00:00Z","type":"platform.report","record":{"status":"timeout"}}',
        '{"time":"2024-05-01T10:00:00Z","type":"platform.report","record":{"status":"success"}}',
        f"REPORT RequestId: {REQUEST}\tDuration: 3000.00 ms\tStatus: timeout",
        f"REPORT RequestId: {REQUEST}\tDuration: 3.00 ms",
        "all good here",
    ]
    list(ErrorGrouper().group([Event(line) for line in lines]))
    assert read == [line for line in lines if may_be_error(line)]
    assert len(read) == 2 * len(_FAILURE_MARKS) + 3
