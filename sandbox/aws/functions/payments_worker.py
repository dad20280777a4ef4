"""payments-worker (nodejs20.x): charges cards for orders taken from orders-queue."""

from __future__ import annotations

import json
import random

from sandbox.aws.functions.shop import euros, order_id
from sandbox.aws.lambda_logs import FunctionRuntime, Invocation, Outcome, node_voice
from sandbox.aws.workload import Workload


def _node_invoke_error(error_type: str, message: str, stack: list[str]) -> str:
    shape = {"errorType": error_type, "errorMessage": message, "stack": [f"{error_type}: {message}", *stack]}
    return "Invoke Error \t" + json.dumps(shape, separators=(",", ":"))


def payments_charged(rng: random.Random) -> Invocation:
    return Invocation(
        (
            ("INFO", f"Processing {rng.randint(1, 5)} records from orders-queue"),
            ("INFO", f"Charged order {order_id(rng)}: {euros(rng)} EUR (charge ch_{rng.getrandbits(64):016x})"),
        ),
        duration_ms=rng.uniform(180, 900),
        memory_used_mb=rng.randint(88, 140),
    )


def payments_retried_then_charged(rng: random.Random) -> Invocation:
    return Invocation(
        (
            ("INFO", "Processing 1 records from orders-queue"),
            ("WARN", "retrying after transient error: ECONNRESET calling api.payments.example (attempt 2/3)"),
            ("INFO", f"Charged order {order_id(rng)}: {euros(rng)} EUR (charge ch_{rng.getrandbits(64):016x})"),
        ),
        duration_ms=rng.uniform(1200, 2600),
        memory_used_mb=rng.randint(88, 140),
    )


def payments_missing_amount(rng: random.Random) -> Invocation:
    message = "Cannot read properties of undefined (reading 'amount')"
    stack = [
        "    at chargeOrder (file:///var/task/src/charge.mjs:22:41)",
        "    at Runtime.handler (file:///var/task/index.mjs:14:11)",
        "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    ]
    return Invocation(
        (
            ("INFO", f"Processing {rng.randint(1, 3)} records from orders-queue"),
            ("ERROR", _node_invoke_error("TypeError", message, stack)),
        ),
        Outcome.ERROR,
        duration_ms=rng.uniform(20, 60),
        memory_used_mb=rng.randint(88, 120),
    )


def payments_declined(rng: random.Random) -> Invocation:
    reason = rng.choice(["insufficient_funds", "expired_card", "do_not_honor"])
    return Invocation(
        (
            ("INFO", "Processing 1 records from orders-queue"),
            ("ERROR", f"Payment declined for order {order_id(rng)}: card_declined ({reason}), {euros(rng)} EUR"),
        ),
        duration_ms=rng.uniform(300, 700),
        memory_used_mb=rng.randint(88, 120),
    )


def payments_provider_down(rng: random.Random) -> Invocation:
    message = f"upstream 502 from api.payments.example after 3 attempts (request req_{rng.getrandbits(48):012x})"
    stack = [
        "    at PaymentClient.charge (file:///var/task/src/payment-client.mjs:61:13)",
        "    at async chargeOrder (file:///var/task/src/charge.mjs:30:20)",
        "    at async Runtime.handler (file:///var/task/index.mjs:14:5)",
    ]
    return Invocation(
        (
            ("INFO", "Processing 1 records from orders-queue"),
            ("WARN", "retrying after transient error: 502 Bad Gateway calling api.payments.example (attempt 2/3)"),
            ("ERROR", _node_invoke_error("PaymentProviderError", message, stack)),
        ),
        Outcome.ERROR,
        duration_ms=rng.uniform(2500, 4000),
        memory_used_mb=rng.randint(88, 140),
    )


WORKLOAD = Workload(
    name="payments-worker",
    runtime="nodejs20.x",
    handler="index.handler",
    description="Charges cards for orders from orders-queue",
    platform=FunctionRuntime("nodejs:20.v41", node_voice, memory_mb=512, timeout_s=30, init_ms=(140, 260)),
    hour=(
        (payments_charged, 16),
        (payments_retried_then_charged, 3),
        (payments_missing_amount, 3),
        (payments_declined, 3),
        (payments_provider_down, 2),
    ),
    failure=payments_missing_amount,
    tags={"team": "payments", "project": "storefront"},
    throttles_per_hour=3,
)
