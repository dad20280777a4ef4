"""The Java runtime's reports of an uncaught exception, each one CloudWatch event with many lines.

When the handler logged the failure itself, the runtime's report of the same throw is not a second error; when it
did not, the report is the error, grouped as the logged failure would be (type, in-app frames, message).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from bot.grouping import ErrorGrouper, fingerprint

REQUEST = "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11"
TRACE = (
    "java.lang.IllegalStateException: pool closed for order ord_1842\n"
    "\tat com.acme.ledger.Repository.load(Repository.java:88)\n"
    "\tat com.acme.ledger.Handler.handleRequest(Handler.java:31)\n"
    "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(Unknown Source)\n"
    "\tat java.base/java.lang.reflect.Method.invoke(Unknown Source)\n"
)
DOCUMENT = {
    "errorMessage": "pool closed for order ord_1842",
    "errorType": "java.lang.IllegalStateException",
    "stackTrace": [
        "com.acme.ledger.Repository.load(Repository.java:88)",
        "com.acme.ledger.Handler.handleRequest(Handler.java:31)",
        "java.base/java.lang.reflect.Method.invoke(Unknown Source)",
    ],
}
# aws-lambda-java-runtime-interface-client: UserFault.reportableError() ("message: class" then the trace), logged
# bare in the text log format and as a record's message in the JSON one; the JVM's default handler when an exception
# ends a thread; the trace alone (the java8 runtime); the error document sent to the Runtime API.
REPORTS = {
    "RIC, text": f"pool closed for order ord_1842: java.lang.IllegalStateException\n{TRACE}",
    "RIC, JSON log format": json.dumps(
        {
            "timestamp": "2026-11-02T06:00:00.480Z",
            "message": f"pool closed for order ord_1842: java.lang.IllegalStateException\n{TRACE}",
            "level": "ERROR",
            "AWSRequestId": REQUEST,
        }
    ),
    "JVM, thread ended": f'Exception in thread "main" {TRACE}',
    "trace alone": TRACE,
    "error document": json.dumps(DOCUMENT, indent=2),
    "error document with a cause": json.dumps(
        DOCUMENT | {"cause": {"errorMessage": "timeout", "errorType": "java.sql.SQLTimeoutException"}}
    ),
}
# log4j2 through aws-lambda-java-log4j2's appender: one event for the line and the exception it logged.
LOGGED = f"2026-11-02 06:00:00.412 {REQUEST} ERROR Handler - charge failed\n{TRACE}"


@dataclass(frozen=True)
class Event:
    message: str
    stream: str = "2026/11/02/[$LATEST]a1b2c3"


def errors(*messages: str) -> list[tuple[str, str, str | None]]:
    found = ErrorGrouper().group([Event(m) for m in messages])
    return [(event.message, signature.title, signature.culprit) for event, signature in found]


def invocation(*messages: str, request_id: str = REQUEST) -> list[str]:
    return [f"START RequestId: {request_id} Version: $LATEST", *messages, f"END RequestId: {request_id}"]


@pytest.mark.parametrize("report", REPORTS.values(), ids=REPORTS.keys())
def test_the_java_runtimes_report_of_a_failure_the_handler_logged_is_not_a_second_error(report: str) -> None:
    assert [message for message, _, _ in errors(*invocation(LOGGED, report))] == [LOGGED]


@pytest.mark.parametrize("report", REPORTS.values(), ids=REPORTS.keys())
def test_the_java_runtimes_report_alone_is_the_error_with_its_exception(report: str) -> None:
    [(message, title, culprit)] = errors(*invocation("Processing batch of 3 records", report))
    assert message == report
    assert title == "java.lang.IllegalStateException: pool closed for order ord_1842"
    assert culprit == "com.acme.ledger.Repository:88 in load"


@pytest.mark.parametrize("report", ["RIC, text", "JVM, thread ended", "trace alone", "error document"])
def test_a_report_groups_with_the_logged_failure_of_the_same_throw(report: str) -> None:
    assert fingerprint(REPORTS[report]).key == fingerprint(LOGGED).key


def test_a_report_in_another_invocation_than_the_logged_failure_is_an_error_of_its_own() -> None:
    other = "0b7d2c11-9a77-4c1e-1b7d-6f1c9a2e2f0c"
    found = errors(*invocation(LOGGED), *invocation(REPORTS["trace alone"], request_id=other))
    assert [message for message, _, _ in found] == [LOGGED, REPORTS["trace alone"]]


def test_the_jvms_report_when_the_runtime_cannot_start_is_an_error_with_its_causes() -> None:
    report = (
        'Exception in thread "main" java.lang.Error: java.lang.ClassNotFoundException: com.acme.ledger.Handler\n'
        "\tat com.amazonaws.services.lambda.runtime.api.client.AWSLambda.main(AWSLambda.java:226)\n"
        "Caused by: java.lang.ClassNotFoundException: com.acme.ledger.Handler\n"
        "\tat java.base/java.net.URLClassLoader.findClass(Unknown Source)\n"
    )
    [(_, title, _)] = errors("INIT_START Runtime Version: java:21.v20", report)
    assert title == "java.lang.Error: java.lang.ClassNotFoundException: com.acme.ledger.Handler"
