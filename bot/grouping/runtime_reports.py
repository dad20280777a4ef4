"""The runtimes' own reports of a handler's unhandled error, and the records that open an invocation.

When the handler raises, the runtime interface client reports the error in a line of its own:
- Python (awslambdaric/bootstrap.py `log_error`): text ``[ERROR] Type: message`` + ``Traceback …`` (a space
  after ``[ERROR]``, where the logging formatter writes a tab); JSON ``{"log_level": "ERROR", "errorType", …}``
  (the logging formatter writes ``level``);
- Node.js (src/CallbackContext.js, src/index.mjs `structuredConsole.logError`): ``Invoke Error \\t{…}``,
  ``Uncaught Exception \\t{…}``, ``Unhandled Promise Rejection \\t{…}``; in JSON, the error object as the message;
- Java, one event each (aws-lambda-java-runtime-interface-client): the RIC's ``message: pkg.Type`` then the stack
  trace (UserFault.java `reportableError`, logged by AWSLambda.java `startRuntimeLoop`; in the JSON log format the
  record's ``message``); the JVM's default handler when an exception ends a thread, as when the RIC's `main` throws:
  ``Exception in thread "main" pkg.Type: message`` then ``\tat`` frames (java.lang.ThreadGroup `uncaughtException`);
  the stack trace alone, ``pkg.Type: message`` then ``\tat`` frames, as the java8 runtime wrote it; and the error
  document the runtime sends to the Runtime API, ``{"errorMessage", "errorType": "pkg.Type", "stackTrace": [...],
  "cause": {...}}`` (runtimeapi/dto/ErrorRequest.java), compact or pretty-printed;
- aws-lambda-go (lambda/invoke_loop.go `reportFailure`): ``log.Printf`` of ``{"errorMessage", "errorType"}``.
When the function already logged that failure in the same invocation, the report announces a failure that
another event reports, so it is not a second error.
"""

from __future__ import annotations

import re
from typing import Final

from bot.grouping.records import NODE_REPORTS, LogLine

_JAVA_CLASS: Final = r"(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*"
_JAVA_REPORT: Final = re.compile(
    rf"[^\n]*: {_JAVA_CLASS}\r?\n"  # the RIC's "message: pkg.Type"
    rf'|(?:Exception in thread "[^"\n]*" )?{_JAVA_CLASS}(?::[^\n]*)?\r?\n[ \t]+at '  # a stack trace, first frame next
)
_JSON_START: Final = re.compile(r'"type":\s*"platform\.start".*?"requestId":\s*"([^"]+)"')
# The record as Lambda writes it (compact, its keys in this order): the same request id, found without a search.
_COMPACT_START: Final = re.compile(r'\{"time":"[^"\\]*","type":"platform\.start","record":\{"requestId":"([^"]+)"')


def is_runtime_report(line: LogLine) -> bool:
    """True for a runtime's report of an unhandled error, as opposed to a line of the function's own logger."""
    payload = line.payload
    if payload is not None:
        if "log_level" in payload or isinstance(payload.get("message"), dict):
            return True
        message = payload.get("message")
        if isinstance(message, str):
            return _JAVA_REPORT.match(message) is not None
        return "errorType" in payload and "level" not in payload
    body = line.body
    if body.startswith(NODE_REPORTS):
        return True
    if line.message.startswith("[ERROR] ") and "Traceback (most recent call last):" in body:
        return True
    return _JAVA_REPORT.match(body) is not None


def invocation_start(message: str) -> str:
    """The request id of a ``START`` record (text or JSON), "" for any other line."""
    if message.startswith("START RequestId: "):
        return message.split(None, 3)[2]
    if message.startswith("{") and '"platform.start"' in message[:120]:
        found = _COMPACT_START.match(message) or _JSON_START.search(message)
        return found.group(1) if found else ""
    return ""
