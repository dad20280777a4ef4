"""What can go wrong in a function of each runtime, and what its healthy lines say.

Each factory takes the function's own call sites (`Site`: files and line numbers drawn once per function), so two
functions raising the same type are two groups, and one function raising one type at two lines is two groups too.
The messages are the ones these libraries really produce (botocore's `An error occurred (Code) when calling the
Op operation: ...`, AWS SDK for Go v2's `operation error Service: Op, https response error StatusCode: ...`,
V8's `Cannot read properties of undefined (reading 'x')`, Java's helpful NullPointerException, ...).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bench.lambda_corpus.exceptions import Exc, Frame
from bench.lambda_corpus.invocation import Raise
from bench.lambda_corpus.params import Params
from bench.lambda_corpus.writers import Runtime

BOTO = "/var/lang/lib/python3.12/site-packages/botocore/client.py"
SMITHY = "/var/runtime/node_modules/@aws-sdk/node_modules/@smithy/smithy-client/dist-cjs/index.js"
AWS_CODES = {
    "ThrottlingException": "Rate exceeded",
    "ConditionalCheckFailedException": "The conditional request failed",
    "AccessDeniedException": "User: arn:aws:sts::123456789012:assumed-role/{fn}-role/{fn} is not authorized to "
    "perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
    "ProvisionedThroughputExceededException": "The level of configured provisioned throughput for the table was "
    "exceeded. Consider increasing your provisioning level with the UpdateTable API.",
    "ResourceNotFoundException": "Requested resource not found",
}


@dataclass(frozen=True)
class Site:
    """Where in a function's code a failure starts: the handler, a module of its own, line numbers."""

    function: str
    module: str
    lines: tuple[int, ...]

    @classmethod
    def draw(cls, function: str, rng: random.Random) -> Site:
        module = rng.choice(("store", "service", "client", "records", "billing", "mapper"))
        return cls(function, module, tuple(rng.randint(12, 420) for _ in range(4)))


def python_exc(site: Site, kind: str, line: int, code: str = "") -> Raise:
    """A Python exception raised at `line` of the function's module, called from the handler."""
    handler = Frame("/var/task/app.py", "lambda_handler", site.lines[0], f"return {site.module}.process(event)")

    def here(function: str, statement: str) -> tuple[Frame, ...]:
        return handler, Frame(f"/var/task/{site.module}.py", function, line, statement)

    factories: dict[str, Raise] = {
        "KeyError": lambda p: Exc("KeyError", p.quoted(), here("process", "customer = record[key]")),
        "TypeError": lambda p: Exc(
            "TypeError", "'NoneType' object is not subscriptable", here("process", "total = order['lines'][0]")
        ),
        "ValueError": lambda p: Exc(
            "ValueError",
            f"invalid literal for int() with base 10: '{p.word_value()}'",
            here("parse_quantity", "return int(raw)"),
        ),
        "ClientError": lambda p: Exc(
            "botocore.exceptions.ClientError",
            f"An error occurred ({code}) when calling the PutItem operation: "
            + AWS_CODES[code].format(fn=site.function),
            (
                *here("save", "table.put_item(Item=item)"),
                Frame(BOTO, "_api_call", 565, "return self._make_api_call(operation_name, kwargs)"),
                Frame(BOTO, "_make_api_call", 1023, "raise error_class(parsed_response, operation_name)"),
            ),
        ),
        "HTTPError": lambda p: Exc(
            "requests.exceptions.HTTPError",
            f"502 Server Error: Bad Gateway for url: {p.url()}",
            here("notify", "response.raise_for_status()"),
        ),
        "JSONDecodeError": lambda p: Exc(
            "json.decoder.JSONDecodeError",
            f"Expecting value: line 1 column {(n := p.num(1, 900))} (char {n - 1})",
            here("load_body", "return json.loads(event['body'])"),
        ),
        "ValidationError": lambda p: Exc(
            "pydantic_core._pydantic_core.ValidationError",
            f"1 validation error for Order\nquantity\n  Input should be greater than 0 [type=greater_than, "
            f"input_value={-p.num(0, 9)}, input_type=int]",
            here("parse", "return Order.model_validate(body)"),
        ),
        "PaymentDeclined": lambda p: Exc(
            "billing.errors.PaymentDeclined",
            f"card declined for customer {p.customer_id()}: insufficient_funds",
            here("charge", "raise PaymentDeclined(customer, reason)"),
        ),
    }
    return factories[kind]


def node_exc(site: Site, kind: str, line: int, code: str = "") -> Raise:
    handler = Frame("/var/task/index.js", "Runtime.handler", site.lines[0], column=17)

    def here(function: str) -> tuple[Frame, ...]:
        return handler, Frame(f"/var/task/lib/{site.module}.js", function, line, column=23)

    sdk = (Frame(SMITHY, "throwDefaultError", 867), Frame(SMITHY, "process.processTicksAndRejections", 95))
    factories: dict[str, Raise] = {
        "TypeError": lambda p: Exc(
            "TypeError", f"Cannot read properties of undefined (reading {p.quoted()})", here("toOrder")
        ),
        "SdkError": lambda p: Exc(code, AWS_CODES[code].format(fn=site.function), (*here("saveOrder"), *sdk)),
        "AxiosError": lambda p: Exc(
            "AxiosError",
            f"Request failed with status code {(status := p.rng.choice((502, 503)))}",
            here("callPartner"),
            variant=f"status {status}",  # HTTP status codes are not parameters: 502 and 503 are two groups
        ),
        "SyntaxError": lambda p: Exc(
            "SyntaxError",
            f"Unexpected token < in JSON at position {p.num(0, 40)}",
            (*here("parseBody"), Frame("", "JSON.parse", 0)),
        ),
        "ETIMEDOUT": lambda p: Exc(
            "Error",
            f"connect ETIMEDOUT {p.ip()}:443",
            (Frame("node:net", "TCPConnectWrap.afterConnect [as oncomplete]", 1595),),
        ),
        "Validation": lambda p: Exc(
            "ValidationError", f"order {p.order_id()} is invalid: {p.json_doc()}", here("validate")
        ),
    }
    return factories[kind]


def java_exc(site: Site, kind: str, line: int, code: str = "") -> Raise:
    package = f"com.acme.{site.function.split('-')[0]}"
    handler = Frame("Handler.java", f"{package}.Handler.handleRequest", site.lines[0])

    def here(cls: str, method: str) -> tuple[Frame, ...]:
        return handler, Frame(f"{cls}.java", f"{package}.{cls}.{method}", line)

    factories: dict[str, Raise] = {
        "NullPointerException": lambda p: Exc(
            "java.lang.NullPointerException",
            'Cannot invoke "com.acme.model.Order.getItems()" because "order" is null',
            here("OrderService", "total"),
        ),
        "SdkError": lambda p: Exc(
            f"software.amazon.awssdk.services.dynamodb.model.{code}",
            f"{AWS_CODES[code].format(fn=site.function)} (Service: DynamoDb, Status Code: 400, "
            f"Request ID: {p.amz_request_id()})",
            here("OrderRepository", "save"),
        ),
        "Mismatched": lambda p: Exc(
            "com.fasterxml.jackson.databind.exc.InvalidFormatException",
            f'Cannot deserialize value of type `java.time.Instant` from String "{p.word_value()}": Failed to '
            f'deserialize java.time.Instant\n at [Source: (String)"{p.json_doc()}"; line: 1, column: {p.num(2, 80)}]',
            here("EventMapper", "read"),
        ),
        "IllegalState": lambda p: Exc(
            "java.lang.IllegalStateException",
            f"Order {p.order_id()} is in state SHIPPED, expected PENDING",
            here("OrderService", "cancel"),
        ),
        "SdkClient": lambda p: Exc(
            "software.amazon.awssdk.core.exception.SdkClientException",
            f"Unable to execute HTTP request: Connect to sqs.eu-west-1.amazonaws.com:443 "
            f"[sqs.eu-west-1.amazonaws.com/{p.ip()}] failed: connect timed out",
            here("Publisher", "send"),
        ),
    }
    return factories[kind]


def go_err(site: Site, kind: str, line: int, code: str = "") -> Raise:
    """Go errors carry no stack: the error string is all there is (AWS SDK for Go v2 wording)."""
    main = f"/build/cmd/{site.function}/main.go"
    frames = (
        Frame(main, "main.handle", site.lines[0]),
        Frame(f"/build/internal/{site.module}/{site.module}.go", f"{site.module}.(*Store).Put", line),
    )
    factories: dict[str, Raise] = {
        "Dynamo": lambda p: Exc(
            "OperationError",
            f"operation error DynamoDB: PutItem, https response error StatusCode: 400, "
            f"RequestID: {p.amz_request_id()}, {code}: {AWS_CODES[code].format(fn=site.function)}",
            frames,
        ),
        "S3Denied": lambda p: Exc(
            "OperationError",
            f"operation error S3: GetObject, https response error StatusCode: 403, RequestID: "
            f"{p.amz_request_id()}, HostID: {p.hex(40)}=, api error AccessDenied: Access Denied",
            frames,
        ),
        "Unmarshal": lambda p: Exc(
            "UnmarshalTypeError",
            "decode event: json: cannot unmarshal string into Go struct field Order.quantity of type int",
            frames,
        ),
        "Deadline": lambda p: Exc("wrapError", f"post {p.url()}: context deadline exceeded", frames),
        "NilPointer": lambda p: Exc(
            "runtimeError", "runtime error: invalid memory address or nil pointer dereference", frames
        ),
        "IndexRange": lambda p: Exc(
            "boundsError", f"runtime error: index out of range [{(n := p.num(1, 9))}] with length {n}", frames
        ),
    }
    return factories[kind]


EXCEPTIONS: dict[Runtime, tuple[Callable[[Site, str, int, str], Raise], tuple[str, ...]]] = {
    Runtime.PYTHON: (
        python_exc,
        (
            "KeyError",
            "TypeError",
            "ValueError",
            "ClientError",
            "HTTPError",
            "JSONDecodeError",
            "ValidationError",
            "PaymentDeclined",
        ),
    ),
    Runtime.NODE: (node_exc, ("TypeError", "SdkError", "AxiosError", "SyntaxError", "ETIMEDOUT", "Validation")),
    Runtime.JAVA: (java_exc, ("NullPointerException", "SdkError", "Mismatched", "IllegalState", "SdkClient")),
    Runtime.GO: (go_err, ("Dynamo", "S3Denied", "Unmarshal", "Deadline")),
}
# Messages a function logs beside an exception, or alone when nothing was raised.
LOGGED_WITH_EXCEPTION: tuple[Callable[[Params], str], ...] = (
    lambda p: f"Failed to process record {p.uuid()}",
    lambda p: f"Error saving order {p.order_id()}",
    lambda p: "Unhandled error in handler",
    lambda p: f"could not handle message {p.num(1, 10**9)} from queue",
)
LOGGED_ALONE: tuple[Callable[[Params], str], ...] = (
    lambda p: f"Payment provider returned 502 for order {p.order_id()} after {p.ms()} ms",
    lambda p: f"Failed to publish event to arn:aws:sns:eu-west-1:123456789012:orders-events: {p.json_doc()}",
    lambda p: f"Giving up on message {p.uuid()} after 5 attempts",
    lambda p: f"Webhook {p.url()} answered 500 in {p.num(20, 900)} ms",
    lambda p: f"Could not find customer {p.customer_id()} for invoice {p.num(10000, 99999)}",
    lambda p: f"Export to {p.s3_uri()} failed: AccessDenied",
    lambda p: f"Record rejected by schema: {p.json_doc()}",
    lambda p: f"Unable to refresh token for {p.email()}: invalid_grant",
    lambda p: "Database connection pool exhausted",
    lambda p: f"Lock {p.quoted()} held by {p.ip()} for {p.ms(1000, 9000)} ms, aborting",
)
