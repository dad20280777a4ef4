"""Errors the Lambda platform itself reports: timeouts, out of memory, failed inits, runtime exits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class PlatformError(StrEnum):
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    INIT_FAILURE = "init_failure"
    RUNTIME_EXIT = "runtime_exit"


@dataclass(frozen=True)
class PlatformMatch:
    """A platform error: its kind, the error type Lambda named (if any) and a title for people."""

    error: PlatformError
    error_type: str
    title: str


# Summary lines the platform prints for every invocation; a timeout or a crash has its own line besides.
_SUMMARY_LINES = ("START ", "END ", "REPORT ", "INIT_START ", "EXTENSION ", "TELEMETRY ", "RESTORE_")
_TIMEOUT = re.compile(r"Task timed out after [\d.]+ seconds")
_OUT_OF_MEMORY = re.compile(
    r"\bRuntime\.OutOfMemory\b|Runtime exited with error: signal: killed|\bMemoryError\b.*Runtime\.ExitError"
)
_INIT_TYPES = (
    "Runtime.ImportModuleError",
    "Runtime.HandlerNotFound",
    "Runtime.UserCodeSyntaxError",
    "Runtime.MalformedHandlerName",
    "Runtime.BadFunctionCode",
    "Runtime.InvalidEntrypoint",
    "Runtime.InitError",
)
_INIT_REPORT_FAILED = re.compile(r"\bStatus: (?:error|timeout)\b(?:.*\bError Type: (?P<type>[\w.]+))?")
_INIT_FAILED = re.compile(r"\bInit failed\b|\bINIT_FAILURE\b")
_RUNTIME_EXIT = re.compile(r"\bRuntime\.ExitError\b|Runtime exited (?:with error|without providing a reason)")
_ERROR_TYPE = re.compile(r"\b(Runtime\.\w+|Sandbox\.\w+)\b")

_TITLES = {
    PlatformError.TIMEOUT: "Task timed out after <*> seconds",
    PlatformError.OUT_OF_MEMORY: "Runtime out of memory (signal: killed)",
    PlatformError.INIT_FAILURE: "Init failed",
    PlatformError.RUNTIME_EXIT: "Runtime exited with error",
}


def match_platform_error(message: str, error_type: str = "") -> PlatformMatch | None:
    """The platform error in a log message (or in the errorType a runtime printed), or None."""
    named = error_type or _named_type(message)
    if message.startswith("INIT_REPORT"):
        init = _INIT_REPORT_FAILED.search(message)
        return _match(PlatformError.INIT_FAILURE, init["type"] or named) if init else None
    if message.startswith(_SUMMARY_LINES):
        return None
    if _TIMEOUT.search(message) or named == "Sandbox.Timedout":
        return _match(PlatformError.TIMEOUT, named)
    if _OUT_OF_MEMORY.search(message) or named == "Runtime.OutOfMemory":
        return _match(PlatformError.OUT_OF_MEMORY, named)
    if named in _INIT_TYPES or _INIT_FAILED.search(message):
        return _match(PlatformError.INIT_FAILURE, named)
    if _RUNTIME_EXIT.search(message) or named == "Runtime.ExitError":
        return _match(PlatformError.RUNTIME_EXIT, named)
    return None


def _named_type(message: str) -> str:
    found = _ERROR_TYPE.search(message)
    return found.group(1) if found else ""


def _match(error: PlatformError, error_type: str) -> PlatformMatch:
    title = _TITLES[error]
    if error is PlatformError.INIT_FAILURE and error_type:
        title = f"{title}: {error_type}"
    return PlatformMatch(error, error_type, title)
