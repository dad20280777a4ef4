"""Exception fingerprints for errors as the Lambda runtimes print them (Python, Node.js, Java, Go)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.grouping import fingerprint
from tests.grouping import lambda_samples as samples


def test_python_same_line_in_another_request_is_one_group_and_another_line_is_another() -> None:
    first = fingerprint(samples.python_traceback(line=12))
    assert first.key == fingerprint(samples.python_traceback(line=12)).key
    assert first.key != fingerprint(samples.python_traceback(line=19)).key
    assert first.kind == "exception"
    assert first.title == "KeyError: 'user_id'"
    assert first.culprit == "lib/users:40 in load"


def test_python_stack_identifies_the_bug_whatever_the_message() -> None:
    assert fingerprint(samples.python_traceback(key="user_id")).key == (
        fingerprint(samples.python_traceback(key="order_id")).key
    )


def test_python_error_in_another_function_is_another_group() -> None:
    assert (
        fingerprint(samples.python_traceback(function="handler")).key
        != (fingerprint(samples.python_traceback(function="process"))).key
    )


def test_python_standard_traceback_reads_the_type_from_the_last_line() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/var/task/app.py", line 3, in handler\n'
        "    int(event['n'])\n"
        "ValueError: invalid literal for int() with base 10: 'x'"
    )
    signature = fingerprint(text)
    assert signature.title == "ValueError: invalid literal for int() with base 10: 'x'"
    assert signature.culprit == "app:3 in handler"


def test_python_library_frames_do_not_change_the_group() -> None:
    plain = samples.python_traceback()
    with_library = plain + (
        '  File "/var/lang/lib/python3.12/site-packages/boto3/resources/factory.py", line 580, in do_action\n'
        "    response = action(self, *args, **kwargs)\n"
        '  File "/var/runtime/bootstrap.py", line 60, in main\n'
    )
    assert fingerprint(plain).key == fingerprint(with_library).key


def test_python_json_error_object_groups_across_request_ids_and_log_formats() -> None:
    a = fingerprint(samples.python_json(request_id="11111111-1111-4111-8111-111111111111", line=12))
    b = fingerprint(samples.python_json_log_format(request_id="22222222-2222-4222-8222-222222222222", line=12))
    assert a.key == b.key
    assert a.culprit == "app:12 in handler"
    assert a.title == "KeyError: 'user_id'"


def test_node_invoke_error_groups_across_request_ids_but_not_lines() -> None:
    a = fingerprint(samples.node_invoke_error(line=5, request_id="0c3e8f5a-7d4b-4f7e-8a1c-3b2d1e0f9a8b"))
    b = fingerprint(samples.node_invoke_error(line=5, request_id="9d9d9d9d-7d4b-4f7e-8a1c-3b2d1e0f9a8b"))
    assert a.key == b.key != fingerprint(samples.node_invoke_error(line=9)).key
    assert a.title == "TypeError: Cannot read properties of undefined (reading 'id')"
    assert a.culprit == "index:5 in Runtime.handler"


def test_node_error_in_another_function_is_another_group() -> None:
    assert fingerprint(samples.node_invoke_error(function="Runtime.handler")).key != (
        fingerprint(samples.node_invoke_error(function="saveOrder")).key
    )


def test_node_plain_stack_skips_node_internal_and_node_modules_frames() -> None:
    a = fingerprint(samples.node_plain_stack(line=17))
    b = fingerprint(samples.node_plain_stack(line=17).replace("middy/index.js:40", "middy/index.js:57"))
    assert a.key == b.key
    assert a.culprit == "src/orders:17 in findOrder"
    assert a.template == "Error: Order <*> not found"


def test_java_stack_skips_jdk_frames_and_tells_lines_apart() -> None:
    a = fingerprint(samples.java_stack(line=42))
    b = fingerprint(samples.java_stack(line=42).replace("EventHandlerLoader.java:199", "EventHandlerLoader.java:207"))
    assert a.key == b.key != fingerprint(samples.java_stack(line=57)).key
    assert a.culprit == "com.example.orders.Handler:42 in handleRequest"
    assert a.title.startswith("java.lang.NullPointerException: ")


def test_java_different_root_cause_is_another_group() -> None:
    assert fingerprint(samples.java_stack(cause="java.lang.IllegalStateException")).key != (
        fingerprint(samples.java_stack(cause="java.sql.SQLTransientConnectionException")).key
    )


def test_java_lambda_error_object_groups_across_ids_in_the_message() -> None:
    a = fingerprint(samples.java_json(line=42, message="Order 123 has no customer"))
    b = fingerprint(samples.java_json(line=42, message="Order 98 has no customer"))
    assert a.key == b.key
    assert a.culprit == "com.example.orders.Validator:42 in check"


def test_go_error_without_stack_groups_by_type_and_masked_message() -> None:
    assert fingerprint(samples.go_error_string(user=42)).key == fingerprint(samples.go_error_string(user=7)).key
    other = json.dumps({"errorMessage": "table users-prod is throttled", "errorType": "errorString"})
    assert fingerprint(other).key != fingerprint(samples.go_error_string()).key
    assert fingerprint(samples.go_error_string()).culprit is None


def test_go_panic_groups_by_in_app_function() -> None:
    a = fingerprint(samples.go_panic(line=25))
    b = fingerprint(samples.go_panic(line=25).replace("0xc000010000", "0xc000077000"))
    c = fingerprint(samples.go_panic(function="main.saveOrder"))
    assert a.key == b.key != c.key != fingerprint(samples.go_panic(line=31)).key
    assert a.culprit == "main:25 in handler"
    assert a.title == "panic: runtime error: invalid memory address or nil pointer dereference"


def test_go_lambda_error_object_with_stack_uses_the_stack() -> None:
    def payload(line: int) -> str:
        return json.dumps(
            {
                "errorMessage": f"order {line} missing",
                "errorType": "*errors.errorString",
                "stackTrace": [
                    {
                        "path": "github.com/aws/aws-lambda-go@v1.41.0/lambda/errors.go",
                        "line": 39,
                        "label": "lambdaPanicResponse",
                    },
                    {"path": "/build/orders/main.go", "line": line, "label": "handler"},
                ],
            }
        )

    assert fingerprint(payload(10)).key == fingerprint(payload(10).replace("order 10", "order 11")).key
    assert fingerprint(payload(10)).key != fingerprint(payload(12)).key
    assert fingerprint(payload(10)).culprit == "/build/orders/main:10 in handler"


def test_runtimes_do_not_share_groups() -> None:
    keys = {
        fingerprint(sample()).key
        for sample in (
            samples.python_traceback,
            samples.node_invoke_error,
            samples.java_stack,
            samples.java_json,
            samples.go_error_string,
            samples.go_panic,
        )
    }
    assert len(keys) == 6


def test_free_text_error_line_is_a_template_without_the_lambda_prefix() -> None:
    a = fingerprint(samples.python_logged_error(order=1234, request_id="11111111-1111-4111-8111-111111111111"))
    b = fingerprint(samples.python_logged_error(order=77, request_id="22222222-2222-4222-8222-222222222222"))
    assert a.key == b.key
    assert a.kind == "template"
    assert a.title == "Payment for order <*> declined"


def test_key_is_a_fixed_short_hash_of_the_content() -> None:
    key = fingerprint(samples.timeout()).key
    assert key == fingerprint(samples.timeout(seconds="15.00")).key
    assert len(key) == 16
    assert int(key, 16) >= 0


def test_keys_are_the_same_in_another_process() -> None:
    code = (
        "from bot.grouping import fingerprint\n"
        "from tests.grouping import lambda_samples as s\n"
        "print(fingerprint(s.python_traceback()).key, fingerprint(s.python_logged_error(5)).key)"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=root
    ).stdout.split()
    assert output == [
        fingerprint(samples.python_traceback()).key,
        fingerprint(samples.python_logged_error(5)).key,
    ]


def test_java_exception_after_a_logged_line_is_still_parsed() -> None:
    message = "2024-05-01 10:00:00 6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11 ERROR Handler - Failed\n" + samples.java_stack()
    assert fingerprint(message).key == fingerprint(samples.java_stack()).key


def test_python_logger_line_with_a_colon_is_not_an_exception() -> None:
    signature = fingerprint("[ERROR] app: payment declined")
    assert signature.kind == "template"
