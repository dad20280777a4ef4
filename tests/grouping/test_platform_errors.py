"""Lambda platform errors are their own groups, whatever request or function printed them."""

from __future__ import annotations

import json

import pytest

from bot.grouping import fingerprint, is_error
from bot.grouping.platform_errors import PlatformError, match_platform_error
from tests.grouping import lambda_samples as samples


def test_timeouts_of_any_duration_and_request_are_one_group() -> None:
    a = fingerprint(samples.timeout(request_id="11111111-1111-4111-8111-111111111111", seconds="3.00"))
    b = fingerprint(samples.timeout(request_id="22222222-2222-4222-8222-222222222222", seconds="900.00"))
    assert a.key == b.key
    assert a.kind == "platform"
    assert a.title == "Task timed out after <*> seconds"


def test_out_of_memory_is_one_group_whichever_way_it_is_reported() -> None:
    killed = fingerprint(samples.out_of_memory())
    plain = fingerprint("Error: Runtime exited with error: signal: killed")
    runtime_json = fingerprint(
        json.dumps(
            {
                "errorType": "Runtime.OutOfMemory",
                "errorMessage": "RequestId: abc Error: Runtime exited with error",
            }
        )
    )
    assert killed.key == plain.key == runtime_json.key
    assert runtime_json.kind == "platform"
    assert match_platform_error(samples.out_of_memory()).error is PlatformError.OUT_OF_MEMORY


def test_timeout_and_out_of_memory_are_different_groups() -> None:
    assert fingerprint(samples.timeout()).key != fingerprint(samples.out_of_memory()).key


def test_runtime_exit_with_status_is_a_runtime_exit() -> None:
    message = "RequestId: 5e1f Error: Runtime exited with error: exit status 1\nRuntime.ExitError"
    match = match_platform_error(message)
    assert match is not None and match.error is PlatformError.RUNTIME_EXIT
    assert fingerprint(message).key != fingerprint(samples.out_of_memory()).key


def test_init_report_with_error_status_is_an_init_failure_named_by_its_error_type() -> None:
    message = "INIT_REPORT Init Duration: 1204.33 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError"
    match = match_platform_error(message)
    assert match is not None
    assert match.error is PlatformError.INIT_FAILURE
    assert match.error_type == "Runtime.ImportModuleError"
    assert is_error(message)


def test_import_errors_group_by_missing_module() -> None:
    def import_error(module: str) -> str:
        return (
            f"[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named '{module}'\n"
            "Traceback (most recent call last):"
        )

    requests = fingerprint(import_error("requests"))
    assert requests.kind == "platform"
    assert requests.title.startswith("Init failed: Runtime.ImportModuleError")
    assert requests.key == fingerprint(import_error("requests")).key
    assert requests.key != fingerprint(import_error("pydantic")).key


def test_node_uncaught_import_error_is_an_init_failure() -> None:
    payload = {
        "errorType": "Runtime.ImportModuleError",
        "errorMessage": "Error: Cannot find module 'axios'\nRequire stack:\n- /var/task/index.js",
        "stack": ["Runtime.ImportModuleError: Error: Cannot find module 'axios'"],
    }
    message = f"2024-05-01T10:00:00.000Z\tundefined\tERROR\tUncaught Exception \t{json.dumps(payload)}"
    signature = fingerprint(message)
    assert signature.kind == "platform"
    assert "Cannot find module 'axios'" in signature.title


@pytest.mark.parametrize(
    "line",
    [
        "START RequestId: 6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11 Version: $LATEST",
        "END RequestId: 6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11",
        samples.report(),
        "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:::runtime:x",
        "INIT_REPORT Init Duration: 180.20 ms",
    ],
)
def test_invocation_summary_lines_are_not_platform_errors(line: str) -> None:
    assert match_platform_error(line) is None
    assert not is_error(line)
