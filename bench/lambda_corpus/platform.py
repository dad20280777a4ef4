"""Records the Lambda platform writes into a function's log group, in the text and in the JSON log format.

Shapes as documented in the Lambda developer guide ("Using Lambda advanced logging controls", "Lambda Telemetry API
Event schema reference": `platform.initStart`, `platform.start`, `platform.report` with `status` and `errorType`)
and as they appear in CloudWatch: `START RequestId: ... Version: $LATEST`, tab-separated `REPORT` fields with
`Status: timeout` or `Status: error\\tError Type: Runtime.OutOfMemory`, `INIT_REPORT ... Phase: init\\tStatus:
error\\tError Type: Runtime.Unknown`, `<time> <id> Task timed out after 3.00 seconds`, and `RequestId: <id> Error:
Runtime exited with error: signal: killed\\nRuntime.ExitError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bench.lambda_corpus.writers import iso


@dataclass(frozen=True)
class Usage:
    """What a REPORT line measures for one invocation."""

    duration_ms: float
    memory_mb: int
    max_used_mb: int
    init_ms: float | None = None
    status: str | None = None  # None (success), "timeout" or "error"
    error_type: str | None = None


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def init_start(json_format: bool, time_ms: int, runtime_version: str, arn_hash: str) -> str:
    arn = f"arn:aws:lambda:eu-west-1::runtime:{arn_hash}"
    if json_format:
        record = {
            "initializationType": "on-demand",
            "phase": "init",
            "runtimeVersion": runtime_version,
            "runtimeVersionArn": arn,
        }
        return _dumps({"time": iso(time_ms), "type": "platform.initStart", "record": record})
    return f"INIT_START Runtime Version: {runtime_version}\tRuntime Version ARN: {arn}"


def start(json_format: bool, time_ms: int, request_id: str) -> str:
    if json_format:
        return _dumps(
            {"time": iso(time_ms), "type": "platform.start", "record": {"requestId": request_id, "version": "$LATEST"}}
        )
    return f"START RequestId: {request_id} Version: $LATEST"


def end(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report(json_format: bool, time_ms: int, request_id: str, usage: Usage, trace: str | None) -> str:
    billed = int(usage.duration_ms) + 1
    if json_format:
        metrics: dict[str, object] = {
            "durationMs": round(usage.duration_ms, 3),
            "billedDurationMs": billed,
            "memorySizeMB": usage.memory_mb,
            "maxMemoryUsedMB": usage.max_used_mb,
        }
        if usage.init_ms is not None:
            metrics["initDurationMs"] = round(usage.init_ms, 3)
        record: dict[str, object] = {"requestId": request_id, "metrics": metrics, "status": usage.status or "success"}
        if usage.error_type:
            record["errorType"] = usage.error_type
        return _dumps({"time": iso(time_ms), "type": "platform.report", "record": record})
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {usage.duration_ms:.2f} ms",
        f"Billed Duration: {billed} ms",
        f"Memory Size: {usage.memory_mb} MB",
        f"Max Memory Used: {usage.max_used_mb} MB",
    ]
    if usage.init_ms is not None:
        fields.append(f"Init Duration: {usage.init_ms:.2f} ms")
    if usage.status:
        fields.append(f"Status: {usage.status}")
    if usage.error_type:
        fields.append(f"Error Type: {usage.error_type}")
    line = "\t".join(fields) + "\t"
    return line + f"\nXRAY TraceId: {trace}\tSegmentId: {trace[-16:]}\tSampled: true\t" if trace else line


def init_report(json_format: bool, time_ms: int, init_ms: float, phase: str, status: str, error_type: str) -> str:
    if json_format:
        record = {
            "initializationType": "on-demand",
            "phase": phase,
            "status": status,
            "errorType": error_type,
            "metrics": {"durationMs": round(init_ms, 3)},
        }
        return _dumps({"time": iso(time_ms), "type": "platform.initReport", "record": record})
    return f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: {phase}\tStatus: {status}\tError Type: {error_type}"


def task_timed_out(time_ms: int, request_id: str, timeout_s: int) -> str:
    return f"{iso(time_ms)} {request_id} Task timed out after {timeout_s}.00 seconds"


def runtime_exited(request_id: str, how: str, error_type: str = "Runtime.ExitError") -> str:
    """`how`: an exit status or a signal, as Lambda words it (`exit status 2`, `signal: killed`)."""
    return f"RequestId: {request_id} Error: Runtime exited with error: {how}\n{error_type}"
