"""orders-api (python3.12): the public orders endpoint behind API Gateway."""

from __future__ import annotations

import random

from sandbox.aws.functions.shop import customer_id, euros, order_id
from sandbox.aws.lambda_logs import FunctionRuntime, Invocation, Outcome, python_voice
from sandbox.aws.workload import Workload


def orders_accepted(rng: random.Random) -> Invocation:
    order = order_id(rng)
    return Invocation(
        (
            (
                "INFO",
                f"Received order {order} from customer {customer_id(rng)} "
                f"({rng.randint(1, 6)} items, total {euros(rng)} EUR)",
            ),
            ("INFO", f"Reserved stock for order {order} in {rng.randint(18, 140)} ms"),
            ("INFO", f"Order {order} accepted; queued for payment"),
        ),
        duration_ms=rng.uniform(90, 420),
        memory_used_mb=rng.randint(74, 96),
    )


def orders_retried_then_accepted(rng: random.Random) -> Invocation:
    order = order_id(rng)
    return Invocation(
        (
            ("INFO", f"Received order {order} from customer {customer_id(rng)} (1 items, total {euros(rng)} EUR)"),
            (
                "WARNING",
                "retrying after transient error: ConnectionResetError(104, 'Connection reset by peer') "
                "calling inventory (attempt 2 of 3)",
            ),
            ("INFO", f"Order {order} accepted; queued for payment"),
        ),
        duration_ms=rng.uniform(600, 1400),
        memory_used_mb=rng.randint(74, 96),
    )


def orders_missing_customer(rng: random.Random) -> Invocation:
    return Invocation(
        (
            ("INFO", f"Received order {order_id(rng)} from customer None ({rng.randint(1, 4)} items)"),
            (
                None,
                "[ERROR] KeyError: 'customer_id'\n"
                "Traceback (most recent call last):\n"
                '  File "/var/task/orders/handler.py", line 41, in handler\n'
                '    order = parse_order(json.loads(event["body"]))\n'
                '  File "/var/task/orders/model.py", line 27, in parse_order\n'
                '    customer_id=payload["customer_id"],',
            ),
        ),
        Outcome.ERROR,
        duration_ms=rng.uniform(3, 12),
        memory_used_mb=rng.randint(74, 90),
    )


def orders_bad_quantity(rng: random.Random) -> Invocation:
    sku = f"SKU-{rng.randint(1000, 9999)}"
    quantity = rng.choice(["three", "-2", "1.5", "", "10 "])
    return Invocation(
        (
            (
                None,
                f"[ERROR] ValueError: invalid quantity {quantity!r} for {sku}\n"
                "Traceback (most recent call last):\n"
                '  File "/var/task/orders/handler.py", line 41, in handler\n'
                '    order = parse_order(json.loads(event["body"]))\n'
                '  File "/var/task/orders/model.py", line 33, in parse_order\n'
                '    lines=[parse_line(item) for item in payload["items"]],\n'
                '  File "/var/task/orders/model.py", line 19, in parse_line\n'
                "    raise ValueError(f\"invalid quantity {item['qty']!r} for {item['sku']}\")",
            ),
        ),
        Outcome.ERROR,
        duration_ms=rng.uniform(3, 12),
        memory_used_mb=rng.randint(74, 90),
    )


def orders_stock_conflict(rng: random.Random) -> Invocation:
    order = order_id(rng)
    return Invocation(
        (
            ("INFO", f"Received order {order} from customer {customer_id(rng)} (2 items, total {euros(rng)} EUR)"),
            (
                "ERROR",
                f"Could not reserve stock for order {order}\n"
                "Traceback (most recent call last):\n"
                '  File "/var/task/orders/inventory.py", line 88, in reserve\n'
                "    table.update_item(\n"
                '  File "/var/lang/lib/python3.12/site-packages/botocore/client.py", line 569, in _api_call\n'
                "    return self._make_api_call(operation_name, kwargs)\n"
                '  File "/var/lang/lib/python3.12/site-packages/botocore/client.py", line 1023, '
                "in _make_api_call\n"
                "    raise error_class(parsed_response, operation_name)\n"
                "botocore.errorfactory.ConditionalCheckFailedException: An error occurred "
                "(ConditionalCheckFailedException) when calling the UpdateItem operation: "
                "The conditional request failed",
            ),
            ("INFO", f"Order {order} rejected with 409: out of stock"),
        ),
        duration_ms=rng.uniform(60, 200),
        memory_used_mb=rng.randint(74, 96),
    )


def orders_payment_call_hangs(rng: random.Random) -> Invocation:
    order = order_id(rng)
    return Invocation(
        (
            ("INFO", f"Received order {order} from customer {customer_id(rng)} (1 items, total {euros(rng)} EUR)"),
            ("INFO", f"Calling payment provider for order {order}"),
        ),
        Outcome.TIMEOUT,
        memory_used_mb=rng.randint(80, 99),
    )


WORKLOAD = Workload(
    name="orders-api",
    runtime="python3.12",
    handler="orders.handler.handler",
    description="Takes orders from the storefront",
    platform=FunctionRuntime("python:3.12.v38", python_voice, memory_mb=256, timeout_s=3, init_ms=(320, 520)),
    hour=(
        (orders_accepted, 14),
        (orders_retried_then_accepted, 2),
        (orders_missing_customer, 3),
        (orders_bad_quantity, 3),
        (orders_stock_conflict, 2),
        (orders_payment_call_hangs, 2),
    ),
    failure=orders_missing_customer,
    tags={"team": "checkout", "project": "storefront"},
)
