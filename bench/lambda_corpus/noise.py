"""The healthy lines of a function, many of which mention errors without being one.

Levels are the logger's (DEBUG, INFO, WARN); RAW is a line written straight to stdout (`print`,
`process.stdout.write`, `fmt.Println`), with no level at all. WARN lines stay warnings whatever they say.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.lambda_corpus.params import Params

Noise = tuple[str, Callable[[Params], str]]

ROUTINE: tuple[Noise, ...] = (
    ("INFO", lambda p: f"Processing batch of {p.num(1, 100)} records"),
    ("INFO", lambda p: f"GET /orders/{p.order_id()} 200 {p.num(3, 400)}ms"),
    ("INFO", lambda p: f"Order {p.order_id()} accepted for {p.email()}"),
    ("DEBUG", lambda p: f"event: {p.json_doc()}"),
    ("DEBUG", lambda p: f"cache hit for key {p.quoted()} ({p.num(1, 90)} entries)"),
    ("INFO", lambda p: f"Wrote {p.num(1, 5000)} rows to {p.s3_uri()}"),
    ("INFO", lambda p: f"Task completed in {p.ms()} ms"),
    ("RAW", lambda p: f"Loaded {p.num(5, 300)} rules from {p.s3_uri()}"),
    ("INFO", lambda p: f"Received message {p.uuid()} with body {p.json_doc()}"),
)
# Lines that say "error", "exception", "failed" or "fatal" and report no failure.
MISLEADING: tuple[Noise, ...] = (
    ("INFO", lambda p: f"processed {p.num(1, 500)} records, 0 errors, {p.num(0, 9)} skipped"),
    ("INFO", lambda p: f"retrying after error: ThrottlingException (attempt {p.num(1, 4)}/5)"),
    ("INFO", lambda p: f"metrics error_rate=0.0{p.num(0, 9)} p99={p.num(40, 900)}ms"),
    ("WARN", lambda p: f"Caught ConditionalCheckFailedException for order {p.order_id()}; treating as duplicate"),
    ("WARN", lambda p: f"Slow call to {p.url()}: {p.ms(800, 2900)} ms"),
    ("INFO", lambda p: f"Validation passed, no errors in {p.num(3, 40)} fields"),
    ("WARN", lambda p: "Exception ignored while closing connection: ConnectionResetError"),
    ("INFO", lambda p: f"failed=0 succeeded={p.num(1, 200)}"),
    ("WARN", lambda p: f"Failed to emit metric {p.quoted()}; will retry"),
    ("DEBUG", lambda p: f'response: {{"errors": [], "error": null, "status": {p.rng.choice((200, 201, 204))}}}'),
    ("INFO", lambda p: f"Upstream answered 503, retrying in {p.num(50, 400)}ms"),
    ("WARN", lambda p: f"Error budget at {p.num(60, 99)}% for service orders"),
    ("INFO", lambda p: "Fatal-error handler registered"),
    ("RAW", lambda p: f"no errors found in {p.num(2, 80)} files"),
    # A log shipper's own line about the records it forwards: the level inside the document is not this line's.
    ("DEBUG", lambda p: f'forwarding {{"level":"ERROR","message":"upstream {p.num(500, 504)}","id":"{p.uuid()}"}}'),
)
