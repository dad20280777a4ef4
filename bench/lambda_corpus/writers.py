"""How a function's logger writes one line, and how its runtime reports an unhandled error.

Sources (read for these shapes; commits as fetched for this corpus):
- Python: aws/aws-lambda-python-runtime-interface-client@46e4c6a, awslambdaric/bootstrap.py (text `log_error`:
  `[ERROR] Type: message` + `Traceback` with NBSP indents; JSON `log_error`: `timestamp, log_level, errorMessage,
  errorType, requestId, stackTrace`; the text formatter `[%(levelname)s]\\t%(asctime)s.%(msecs)03dZ\\t
  %(aws_request_id)s\\t%(message)s`) and awslambdaric/lambda_runtime_log_utils.py (`JsonFormatter`: timestamp,
  level, message, logger, stackTrace, errorType, errorMessage, requestId, location).
- Node.js: aws/aws-lambda-nodejs-runtime-interface-client@da5777a, src/LogPatch.js (`time\\trequestId\\tLEVEL\\t
  message`; JSON `timestamp, level, requestId, message`), src/CallbackContext.js (`logError('Invoke Error', err)`),
  src/Errors.js (`toFormatted`: a tab, then `{"errorType","errorMessage",...,"stack":[...]}`).
- Java: aws/aws-lambda-java-libs@c4dcbab, aws-lambda-java-runtime-interface-client AWSLambda.java and
  UserFault.java (`reportableError`: `message: pkg.Type` then `printStackTrace`), logging/StructuredLogMessage.java
  (timestamp, message, level, AWSRequestId); aws-lambda-java-log4j2's documented pattern for the text lines.
- Go: aws/aws-lambda-go@815d21f, lambda/invoke_loop.go (`reportFailure` does `log.Printf("%s", errorPayload)`),
  lambda/errors.go (`errorMessage`, `errorType`; panics add `stackTrace` and `shouldExit`).
- Powertools for AWS Lambda (Python), aws_lambda_powertools/logging/formatter.py (level, location, message,
  timestamp, service, cold_start, function_*, exception, exception_name, xray_trace_id); pino's documented
  output (numeric `level`, `time`, `pid`, `hostname`, `err: {type, message, stack}`, `msg` last); winston's
  syslog levels (`winston.config.syslog.levels`); Go's log/slog JSONHandler and TextHandler.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from bench.lambda_corpus.exceptions import (
    Exc,
    java_trace,
    node_stack,
    python_runtime_text,
    python_stack_entries,
    python_traceback_lines,
)


class Runtime(StrEnum):
    PYTHON = "python3.12"
    NODE = "nodejs20.x"
    JAVA = "java21"
    GO = "provided.al2023"


class Style(StrEnum):
    """A function's logger: what its own log lines look like."""

    PY_TEXT = "python logging, Lambda text format"
    PY_JSON = "python logging, Lambda JSON format"
    POWERTOOLS = "Powertools for AWS Lambda (Python) Logger"
    NODE_TEXT = "console, Lambda text format"
    NODE_JSON = "console, Lambda JSON format"
    NODE_CONSOLE_JSON = "console.log(JSON.stringify(...)), Lambda text format"
    PINO = "pino"
    WINSTON_SYSLOG = "winston with syslog levels"
    LOG4J_TEXT = "log4j2 text pattern"
    JAVA_JSON = "Lambda JSON format (Java)"
    SLOG_JSON = "Go log/slog JSON handler"
    SLOG_TEXT = "Go log/slog text handler"


JSON_FORMAT = {Style.PY_JSON, Style.NODE_JSON, Style.JAVA_JSON}
PINO_LEVELS = {"TRACE": 10, "DEBUG": 20, "INFO": 30, "WARN": 40, "ERROR": 50, "FATAL": 60}
SYSLOG_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARN": "warning", "ERROR": "error", "FATAL": "crit"}
PY_LEVELS = {"WARN": "WARNING", "FATAL": "CRITICAL"}
SDK_ERRORS = {
    "ThrottlingException",
    "ConditionalCheckFailedException",
    "AccessDeniedException",
    "ProvisionedThroughputExceededException",
    "ResourceNotFoundException",
    "ValidationException",
}


@dataclass
class Context:
    """Who is writing, when: the function and the invocation being served."""

    function: str
    request_id: str
    time_ms: int
    trace_id: str
    cold: bool = False


def iso(ms: int, digits: int = 3) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    fraction = f"{ms % 1000:03d}" + "0" * max(digits - 3, 0)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + fraction[:digits] + "Z"


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def app_line(style: Style, ctx: Context, level: str, message: str, exc: Exc | None = None) -> str:
    """One line of the function's own logger at `level` (DEBUG, INFO, WARN, ERROR, FATAL)."""
    stamp = iso(ctx.time_ms)
    if style is Style.PY_TEXT:
        line = f"[{PY_LEVELS.get(level, level)}]\t{stamp}\t{ctx.request_id}\t{message}"
        return line + "\n" + "\n".join(python_traceback_lines(exc)) if exc else line
    if style is Style.PY_JSON:
        record = {
            "timestamp": stamp[:19] + "Z",
            "level": PY_LEVELS.get(level, level),
            "message": message,
            "logger": "root",
            "requestId": ctx.request_id,
        }
        if exc:
            record |= {
                "stackTrace": python_stack_entries(exc),
                "errorType": exc.short_type,
                "errorMessage": exc.message,
                "location": f"{exc.frames[0].file}:handler:{exc.frames[0].line}",
            }
        return _dumps(record)
    if style is Style.POWERTOOLS:
        moment = datetime.fromtimestamp(ctx.time_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        record = {
            "level": PY_LEVELS.get(level, level),
            "location": f"handler:{40 + len(message) % 60}",
            "message": message,
            "timestamp": f"{moment},{ctx.time_ms % 1000:03d}+0000",
            "service": ctx.function.split("-")[0],
            "cold_start": ctx.cold,
            "function_name": ctx.function,
            "function_memory_size": "512",
            "function_request_id": ctx.request_id,
        }
        if exc:
            record |= {"exception": "\n".join(python_traceback_lines(exc)), "exception_name": exc.short_type}
        return _dumps(record | {"xray_trace_id": ctx.trace_id})
    if style is Style.NODE_TEXT:
        text = message if exc is None else f"{message} {node_inspect(exc)}"
        return f"{stamp}\t{ctx.request_id}\t{level}\t{text}"
    if style is Style.NODE_CONSOLE_JSON:
        # A hand-rolled JSON logger over console.log: the runtime's prefix says INFO whatever the payload's level.
        payload: dict[str, object] = {"level": level.lower(), "msg": message, "fn": ctx.function}
        if exc:
            payload["error"] = {"name": exc.short_type, "message": exc.message, "stack": node_stack(exc)}
        return f"{stamp}\t{ctx.request_id}\tINFO\t{_dumps(payload)}"
    if style is Style.NODE_JSON:
        record = {"timestamp": stamp, "level": level, "requestId": ctx.request_id}
        if exc is None:
            return _dumps(record | {"message": message})
        return _dumps(
            record
            | {
                "message": f"{message} {node_inspect(exc)}",
                "errorType": exc.short_type,
                "errorMessage": exc.message,
                "stackTrace": node_stack(exc).split("\n"),
            }
        )
    if style is Style.PINO:
        record: dict[str, object] = {
            "level": PINO_LEVELS[level],
            "time": ctx.time_ms,
            "pid": 8,
            "hostname": "169.254.38.113",
            "reqId": ctx.request_id,
        }
        if exc:
            record["err"] = {"type": exc.short_type, "message": exc.message, "stack": node_stack(exc)}
        return _dumps(record | {"msg": message})
    if style is Style.WINSTON_SYSLOG:
        record = {"level": SYSLOG_LEVELS[level], "message": message if exc is None else f"{message} {exc.message}"}
        if exc:
            record["stack"] = node_stack(exc)
        return _dumps(record | {"service": ctx.function, "timestamp": stamp})
    if style is Style.LOG4J_TEXT:
        moment = stamp.replace("T", " ").removesuffix("Z")
        line = f"{moment} {ctx.request_id} {level:<5} {ctx.function.title().replace('-', '')}Handler - {message}"
        return line + "\n" + java_trace(exc) if exc else line
    if style is Style.JAVA_JSON:
        record = {
            "timestamp": stamp,
            "level": level,
            "message": message,
            "logger": "com.acme.Handler",
            "AWSRequestId": ctx.request_id,
        }
        if exc:
            record |= {
                "errorType": exc.type,
                "errorMessage": exc.message,
                "stackTrace": java_trace(exc).split("\n\t")[1:],
            }
        return _dumps(record)
    if style is Style.SLOG_JSON:
        record = {"time": iso(ctx.time_ms, 9), "level": level, "msg": message, "request_id": ctx.request_id}
        return _dumps(record | ({"err": exc.message} if exc else {}))
    quoted = _dumps(message)
    line = f"time={stamp} level={level} msg={quoted} request_id={ctx.request_id}"
    return line + (f" err={_dumps(exc.message)}" if exc else "")


def node_inspect(exc: Exc) -> str:
    """`util.inspect(err)`: the stack, then the error's own properties (the AWS SDK v3 adds `$metadata`)."""
    if exc.short_type not in SDK_ERRORS:
        return node_stack(exc)
    return (
        node_stack(exc) + " {\n  '$fault': 'client',\n  '$metadata': {\n    httpStatusCode: 400,\n"
        f"    requestId: '{exc.frames[0].line:04d}QJ5PQ0V9E4S0C2HBUQ',\n    attempts: 1,\n    totalRetryDelay: 0\n"
        f"  }},\n  __type: 'com.amazonaws.dynamodb.v20120810#{exc.short_type}'\n}}"
    )


def runtime_error_report(style: Style, runtime: Runtime, ctx: Context, exc: Exc, *, panic: bool = False) -> str:
    """The runtime's own line for a handler that raised: what the runtime interface client writes."""
    stamp = iso(ctx.time_ms)
    if runtime is Runtime.PYTHON:
        if style is Style.PY_JSON:
            return _dumps(
                {
                    "timestamp": stamp[:19] + "Z",
                    "log_level": "ERROR",
                    "errorMessage": exc.message,
                    "errorType": exc.short_type,
                    "requestId": ctx.request_id,
                    "stackTrace": python_stack_entries(exc),
                }
            )
        return python_runtime_text(exc, "\n")
    if runtime is Runtime.NODE:
        if style is Style.NODE_JSON:
            error = {
                "errorType": exc.short_type,
                "errorMessage": exc.message,
                "stackTrace": node_stack(exc).split("\n"),
            }
            return _dumps({"timestamp": stamp, "level": "ERROR", "requestId": ctx.request_id, "message": error})
        error = {"errorType": exc.short_type, "errorMessage": exc.message, "stack": node_stack(exc).split("\n")}
        return f"{stamp}\t{ctx.request_id}\tERROR\tInvoke Error \t{_dumps(error)}"
    if runtime is Runtime.JAVA:
        report = f"{exc.message}: {exc.type}\n{java_trace(exc)}"
        if style is Style.JAVA_JSON:
            return _dumps({"timestamp": stamp, "message": report, "level": "ERROR", "AWSRequestId": ctx.request_id})
        return report
    payload: dict[str, object] = {"errorMessage": exc.message, "errorType": exc.short_type}
    if panic:
        stack = [{"path": f.file, "line": f.line, "label": f.function.rsplit(".", 1)[-1]} for f in exc.frames]
        payload |= {"stackTrace": stack[::-1], "shouldExit": True}
    moment = datetime.fromtimestamp(ctx.time_ms / 1000, UTC).strftime("%Y/%m/%d %H:%M:%S")
    return f"{moment} {_dumps(payload)}"
