"""Which log events count as errors."""

from __future__ import annotations

import pytest

from bot.grouping import Level, error_level, is_error
from bot.grouping.detection import line_level
from bot.grouping.records import read_line, states_quiet_level
from tests.grouping import lambda_samples as samples

REQUEST = "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11"


@pytest.mark.parametrize(
    "message",
    [
        f"[ERROR]\t2024-05-01T10:00:00.000Z\t{REQUEST}\tPayment declined",
        f"2024-05-01T10:00:00.000Z\t{REQUEST}\tERROR\tcould not reach db",
        f"2024-05-01T10:00:00.000Z\t{REQUEST}\tFATAL\tout of file descriptors",
        "[CRITICAL] disk full",
        '{"level":"error","msg":"upstream returned 502"}',
        '{"timestamp":"2024-05-01T10:00:00Z","level":"ERROR","message":"boom"}',
        'level=error msg="request failed"',
        "error: cannot open /etc/app.conf",
        "ValueError: bad input",
        "java.lang.IllegalStateException: pool closed",
        samples.python_traceback(),
        samples.python_json(),
        samples.node_invoke_error(),
        samples.node_plain_stack(),
        samples.java_stack(),
        samples.go_error_string(),
        samples.go_panic(),
        samples.timeout(),
        samples.out_of_memory(),
        "Unhandled promise rejection: TypeError: x is not a function",
    ],
)
def test_errors_are_detected(message: str) -> None:
    assert is_error(message)


@pytest.mark.parametrize(
    "message",
    [
        "[WARN] retrying after transient error",
        f"2024-05-01T10:00:00.000Z\t{REQUEST}\tWARN\tretrying after transient error (attempt 2)",
        "[WARNING] Error budget at 80%",
        f"2024-05-01T10:00:00.000Z\t{REQUEST}\tINFO\tbatch done errors=0 failures=0",
        "INFO processed 200 records, errors=0",
        '{"level":"info","msg":"no errors found","errors":0}',
        'level=debug msg="error handler registered"',
        "Processed 10 records, errors=0",
        "The error rate is 0.1%",
        "Retrying request after ThrottlingException",
        f"START RequestId: {REQUEST} Version: $LATEST",
        f"END RequestId: {REQUEST}",
        "",
    ],
)
def test_non_errors_are_not_detected(message: str) -> None:
    assert not is_error(message)


def test_a_stated_level_wins_over_words_in_the_message() -> None:
    assert error_level("[INFO] ERROR count is 0") is Level.INFO
    assert error_level("[WARN] ValueError: recovered, using default") is Level.WARNING


def test_fatal_and_critical_rank_above_error() -> None:
    assert error_level("FATAL cannot start") is Level.CRITICAL
    assert error_level("[CRITICAL] disk full") > Level.ERROR


def test_level_word_inside_an_identifier_is_not_a_level() -> None:
    assert error_level("ERR_CONNECTION_REFUSED seen by probe") is Level.UNKNOWN


def test_level_word_deep_inside_the_message_is_not_the_level() -> None:
    assert not is_error("Slow ReadProcessor read fields took 4556ms, ack: seqno: 1 status: SUCCESS status: ERROR")


@pytest.mark.parametrize(
    ("message", "quiet"),
    [
        (f"[INFO]\t2024-05-01T10:00:00.000Z\t{REQUEST}\tretrying after error: ThrottlingException", True),
        (f"2024-05-01T10:00:00.000Z\t{REQUEST}\tWARN\tException ignored while closing connection", True),
        (f"2024-05-01T10:00:00.000Z\t{REQUEST}\tINFO\t" + '{"level":"error","msg":"boom"}', False),  # the body's
        (f"2024-05-01T10:00:00.000Z\t{REQUEST}\tINFO\tInvoke Error \t" + '{"errorType":"Error"}', False),
        ('{"timestamp":"2024-05-01T10:00:00Z","level":"INFO","message":"0 errors"}', True),
        ('{"level":30,"time":1714557600000,"msg":"Fatal-error handler registered"}', True),
        ('{"level":50,"time":1714557600000,"msg":"upstream failed"}', False),
        ('{"level":"debug","message":"forwarding {\\"level\\":\\"ERROR\\"}"}', True),
        ('{"level":"INFO","message":"cut short', False),  # does not parse: read it
        ('{"level":"NOTAVALUE","message":"Error: boom"}', False),  # an unknown level states nothing
        ('time=2024-05-01T10:00:00Z level=INFO msg="no errors"', True),
        ('{"time":"2024-05-01T10:00:00Z","type":"platform.start","record":{"requestId":"x"}}', True),
        ('{"time":"2024-05-01T10:00:00Z","type":"platform.report","record":{"status":"success"}}', True),
        ('{"time":"2024-05-01T10:00:00Z","type":"platform.report","record":{"status":"timeout"}}', False),
        ("Task timed out after 3.00 seconds", False),
    ],
)
def test_a_stated_level_below_error_is_known_from_the_first_fields(message: str, quiet: bool) -> None:
    assert states_quiet_level(message) is quiet
    if quiet:  # the shortcut only ever agrees with reading the whole line
        assert line_level(read_line(message)) < Level.ERROR
