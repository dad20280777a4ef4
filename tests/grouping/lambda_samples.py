"""Log events as AWS Lambda runtimes write them to CloudWatch Logs, with the parts that vary as parameters."""

from __future__ import annotations

import json


def python_traceback(key: str = "user_id", line: int = 12, function: str = "handler", request_id: str = "") -> str:
    del request_id  # the text format carries no request id on the exception
    return (
        f"[ERROR] KeyError: '{key}'\n"
        "Traceback (most recent call last):\n"
        f'  File "/var/task/app.py", line {line}, in {function}\n'
        f'    user = event["{key}"]\n'
        '  File "/var/task/lib/users.py", line 40, in load\n'
        '    return table[event["id"]]\n'
    )


def python_json(key: str = "user_id", line: int = 12, request_id: str = "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11") -> str:
    return json.dumps(
        {
            "errorMessage": f"'{key}'",
            "errorType": "KeyError",
            "requestId": request_id,
            "stackTrace": [f'  File "/var/task/app.py", line {line}, in handler\n    user = event["{key}"]\n'],
        }
    )


def python_json_log_format(request_id: str = "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11", line: int = 12) -> str:
    return json.dumps(
        {
            "timestamp": "2024-05-01T10:00:00Z",
            "level": "ERROR",
            "message": json.loads(python_json(line=line, request_id=request_id)),
            "requestId": request_id,
        }
    )


def python_logged_error(order: int, request_id: str = "6f1c9a2e-1b7d-4c1e-9a77-2f0c1e0b9d11") -> str:
    return f"[ERROR]\t2024-05-01T10:00:00.{order % 1000:03d}Z\t{request_id}\tPayment for order {order} declined"


def node_invoke_error(
    line: int = 5, function: str = "Runtime.handler", request_id: str = "0c3e8f5a-7d4b-4f7e-8a1c-3b2d1e0f9a8b"
) -> str:
    payload = {
        "errorType": "TypeError",
        "errorMessage": "Cannot read properties of undefined (reading 'id')",
        "stack": [
            "TypeError: Cannot read properties of undefined (reading 'id')",
            f"    at {function} (file:///var/task/index.mjs:{line}:20)",
            "    at Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)",
        ],
    }
    return f"2024-05-01T10:00:00.000Z\t{request_id}\tERROR\tInvoke Error \t{json.dumps(payload)}"


def node_plain_stack(line: int = 17, module: str = "orders") -> str:
    return (
        f"Error: Order {line * 1000 + 7} not found\n"
        f"    at findOrder (/var/task/src/{module}.js:{line}:11)\n"
        "    at async Promise.all (index 0)\n"
        "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n"
        "    at async Runtime.handler (/var/task/node_modules/middy/index.js:40:3)"
    )


def java_stack(line: int = 42, cause: str = "java.lang.IllegalStateException") -> str:
    return (
        'java.lang.NullPointerException: Cannot invoke "String.length()" because "name" is null\n'
        f"\tat com.example.orders.Handler.handleRequest(Handler.java:{line})\n"
        "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(Unknown Source)\n"
        "\tat lambdainternal.EventHandlerLoader$PojoHandlerAsStreamHandler.handleRequest"
        "(EventHandlerLoader.java:199)\n"
        f"Caused by: {cause}: connection pool closed\n"
        "\tat com.example.orders.Repository.load(Repository.java:88)\n"
        "\t... 3 more"
    )


def java_json(line: int = 42, message: str = "Order 123 has no customer") -> str:
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": "java.lang.IllegalArgumentException",
            "stackTrace": [
                f"com.example.orders.Validator.check(Validator.java:{line})",
                "com.example.orders.Handler.handleRequest(Handler.java:20)",
                "java.base/java.lang.reflect.Method.invoke(Unknown Source)",
            ],
        }
    )


def go_error_string(user: int = 42) -> str:
    return json.dumps({"errorMessage": f"user {user} not found in table users-prod", "errorType": "errorString"})


def go_panic(line: int = 25, function: str = "main.handler") -> str:
    return (
        "panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a4e1a]\n"
        "\n"
        "goroutine 1 [running]:\n"
        f"{function}(0xc000010000, 0x1)\n"
        f"\t/var/task/main.go:{line} +0x1d\n"
        "github.com/aws/aws-lambda-go/lambda.(*Function).Invoke(0xc00000e028)\n"
        "\t/go/pkg/mod/github.com/aws/aws-lambda-go@v1.41.0/lambda/function.go:64 +0x25\n"
        "main.main()\n"
        "\t/var/task/main.go:40 +0x25"
    )


def timeout(request_id: str = "1a2b3c4d-0000-4000-8000-000000000001", seconds: str = "3.00") -> str:
    return f"2024-05-01T10:00:03.010Z {request_id} Task timed out after {seconds} seconds"


def out_of_memory(request_id: str = "1a2b3c4d-0000-4000-8000-000000000002") -> str:
    return f"RequestId: {request_id} Error: Runtime exited with error: signal: killed\nRuntime.ExitError"


def report(request_id: str = "1a2b3c4d-0000-4000-8000-000000000003") -> str:
    return (
        f"REPORT RequestId: {request_id}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: timeout"
    )
