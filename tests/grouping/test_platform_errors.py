"""Failures the Lambda platform records: each record is a group of its own, named by status, type and reason."""

from __future__ import annotations

import json

import pytest

from bot.grouping import fingerprint, is_error
from tests.grouping import lambda_samples as samples

REQUEST = "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11"


def test_timeouts_of_any_duration_and_request_are_one_group() -> None:
    a = fingerprint(samples.timeout(request_id="11111111-1111-4111-8111-111111111111", seconds="3.00"))
    b = fingerprint(samples.timeout(request_id="22222222-2222-4222-8222-222222222222", seconds="900.00"))
    assert a.key == b.key
    assert a.kind == "platform"
    assert a.title == "Task timed out after <*> seconds"


def test_a_timeouts_report_line_is_an_error_and_a_group_of_its_own() -> None:
    report = samples.report()
    assert is_error(report)
    assert fingerprint(report).title == "REPORT Status: timeout"
    assert fingerprint(report).key != fingerprint(samples.timeout()).key


def test_report_lines_group_by_status_and_error_type_not_by_duration_or_memory() -> None:
    def report(duration: str, error_type: str) -> str:
        return (
            f"REPORT RequestId: {REQUEST}\tDuration: {duration} ms\tBilled Duration: 900 ms\tMemory Size: 512 MB\t"
            f"Max Memory Used: 512 MB\tInit Duration: 301.22 ms\tStatus: error\tError Type: {error_type}"
        )

    oom = fingerprint(report("812.40", "Runtime.OutOfMemory"))
    assert oom.key == fingerprint(report("90.01", "Runtime.OutOfMemory")).key
    assert oom.key != fingerprint(report("812.40", "Runtime.ExitError")).key
    assert oom.title == "REPORT Status: error (Runtime.OutOfMemory)"


def test_runtime_exits_are_told_apart_by_exit_status_and_signal() -> None:
    killed = fingerprint(samples.out_of_memory())
    status_1 = fingerprint(f"RequestId: {REQUEST} Error: Runtime exited with error: exit status 1\nRuntime.ExitError")
    status_2 = fingerprint(f"RequestId: {REQUEST} Error: Runtime exited with error: exit status 2\nRuntime.ExitError")
    assert len({killed.key, status_1.key, status_2.key}) == 3
    assert killed.title == "Runtime exited with error: signal: killed (Runtime.ExitError)"
    assert all(is_error(m) for m in (samples.out_of_memory(),))


def test_init_report_with_error_status_is_an_error_named_by_phase_and_type() -> None:
    init = "INIT_REPORT Init Duration: 1204.33 ms\tPhase: init\tStatus: error\tError Type: Runtime.Unknown"
    invoke = "INIT_REPORT Init Duration: 99.10 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ImportModuleError"
    assert is_error(init) and is_error(invoke)
    assert fingerprint(init).title == "INIT_REPORT Phase: init Status: error (Runtime.Unknown)"
    assert fingerprint(init).key != fingerprint(invoke).key


def test_json_format_platform_records_report_failures_by_status() -> None:
    def record(status: str) -> str:
        body = {"requestId": REQUEST, "metrics": {"durationMs": 3000.0}, "status": status}
        return json.dumps({"time": "2026-11-02T06:00:03.000Z", "type": "platform.report", "record": body})

    assert is_error(record("timeout"))
    assert fingerprint(record("timeout")).title == "REPORT Status: timeout"
    assert not is_error(record("success"))


def test_the_runtimes_import_error_is_an_init_failure_whose_module_is_a_parameter() -> None:
    def import_error(module: str) -> str:
        return (
            f"[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named '{module}'\n"
            "Traceback (most recent call last):"
        )

    requests = fingerprint(import_error("requests"))
    assert requests.kind == "platform"
    assert requests.title.startswith("Runtime.ImportModuleError: Unable to import module")
    assert requests.key == fingerprint(import_error("pydantic")).key


@pytest.mark.parametrize(
    "line",
    [
        f"START RequestId: {REQUEST} Version: $LATEST",
        f"END RequestId: {REQUEST}",
        f"REPORT RequestId: {REQUEST}\tDuration: 12.00 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
        "Max Memory Used: 70 MB",
        "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:::runtime:x",
        "INIT_REPORT Init Duration: 180.20 ms",
    ],
)
def test_healthy_invocation_records_are_not_errors(line: str) -> None:
    assert not is_error(line)
