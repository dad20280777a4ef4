"""The functions of the corpus: a runtime and a logger each, their traffic, and the failures they meet.

Failure rates are skewed the way production is: a function's error rate is drawn log-uniformly, its signatures
share it by a Zipf law (one or two huge groups, many small ones), and some signatures burst for an hour.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.lambda_corpus.catalog import AWS_CODES, EXCEPTIONS, LOGGED_ALONE, LOGGED_WITH_EXCEPTION, Site, go_err
from bench.lambda_corpus.invocation import (
    Failure,
    GoCrash,
    GoRecoveredPanic,
    LoggedError,
    OutOfMemory,
    ProcessExit,
    Raised,
    Timeout,
)
from bench.lambda_corpus.writers import Runtime, Style

R, S = Runtime, Style
FUNCTIONS: tuple[tuple[str, Runtime, Style], ...] = (
    ("orders-api", R.PYTHON, S.PY_TEXT),
    ("checkout-api", R.NODE, S.NODE_TEXT),
    ("stream-ingest", R.GO, S.SLOG_JSON),
    ("ledger-posting", R.JAVA, S.LOG4J_TEXT),
    ("payments-webhook", R.PYTHON, S.POWERTOOLS),
    ("cart-service", R.NODE, S.PINO),
    ("geo-lookup", R.GO, S.SLOG_TEXT),
    ("settlement-batch", R.JAVA, S.JAVA_JSON),
    ("report-export", R.PYTHON, S.PY_JSON),
    ("search-indexer", R.NODE, S.NODE_JSON),
    ("invoice-renderer", R.PYTHON, S.PY_TEXT),
    ("session-auth", R.NODE, S.NODE_CONSOLE_JSON),
    ("metrics-rollup", R.GO, S.SLOG_JSON),
    ("pricing-engine", R.JAVA, S.LOG4J_TEXT),
    ("customer-sync", R.PYTHON, S.POWERTOOLS),
    ("webhook-relay", R.NODE, S.WINSTON_SYSLOG),
    ("dns-checker", R.GO, S.SLOG_TEXT),
    ("kyc-verifier", R.JAVA, S.JAVA_JSON),
    ("fraud-scorer", R.PYTHON, S.PY_TEXT),
    ("notify-push", R.NODE, S.PINO),
    ("shipment-tracker", R.GO, S.SLOG_JSON),
    ("loyalty-points", R.JAVA, S.LOG4J_TEXT),
    ("email-sender", R.PYTHON, S.POWERTOOLS),
    ("image-resizer", R.NODE, S.NODE_TEXT),
    ("queue-drainer", R.GO, S.SLOG_TEXT),
    ("catalog-import", R.PYTHON, S.PY_JSON),
    ("graphql-gateway", R.NODE, S.PINO),
    ("refund-worker", R.PYTHON, S.PY_TEXT),
    ("feature-flags", R.NODE, S.NODE_JSON),
    ("audit-archiver", R.PYTHON, S.POWERTOOLS),
)


@dataclass
class Signature:
    failure: Failure
    rate: float  # chance per invocation, outside a burst
    burst: tuple[int, int] | None = None  # ms window where the rate is BURST times higher


@dataclass
class Function:
    name: str
    runtime: Runtime
    style: Style
    weight: float
    memory_mb: int
    timeout_s: int
    traced: bool
    misleading_share: float
    signatures: list[Signature] = field(default_factory=list)
    broken_init: tuple[int, int] | None = None  # a bad deploy: every cold start fails to import its handler
    cold_next: bool = True


BURST = 8.0


def build_fleet(rng: random.Random, count: int, start_ms: int, span_ms: int) -> list[Function]:
    fleet = []
    for index in range(count):
        name, runtime, style = FUNCTIONS[index % len(FUNCTIONS)]
        if index >= len(FUNCTIONS):
            name = f"{name}-{index // len(FUNCTIONS) + 1}"
        timeout_s = rng.choice((3, 6, 10, 15, 30))
        function = Function(
            name,
            runtime,
            style,
            weight=1 / (index % 17 + 1) ** 0.9,
            memory_mb=rng.choice((128, 256, 512, 1024)),
            timeout_s=timeout_s,
            traced=rng.random() < 0.3,
            misleading_share=rng.uniform(0.1, 0.5),
        )
        failures = _failures(rng, name, runtime, timeout_s)
        error_rate = 10 ** rng.uniform(-1.2, -0.15)
        weights = [1 / (rank + 1) ** 1.3 for rank in range(len(failures))]
        for failure, weight in zip(failures, weights, strict=True):
            burst = None
            if rng.random() < 0.25:
                begin = start_ms + rng.randrange(span_ms)
                burst = (begin, begin + rng.randint(20, 90) * 60_000)
            function.signatures.append(Signature(failure, error_rate * weight / sum(weights), burst))
        if runtime in (Runtime.PYTHON, Runtime.NODE) and rng.random() < 0.25:
            begin = start_ms + rng.randrange(span_ms)
            function.broken_init = (begin, begin + rng.randint(5, 25) * 60_000)
        fleet.append(function)
    return fleet


def _failures(rng: random.Random, name: str, runtime: Runtime, timeout_s: int) -> list[Failure]:
    """A function's failure signatures, most frequent first."""
    make, kinds = EXCEPTIONS[runtime]
    site = Site.draw(name, rng)
    failures: list[Failure] = []
    batch = rng.choice((1, 1, 4, 8))
    for kind in rng.sample(kinds, rng.randint(2, min(5, len(kinds)))):
        line = rng.randint(12, 400)
        codes = rng.sample(sorted(AWS_CODES), 2) if kind in ("ClientError", "SdkError", "Dynamo") else [""]
        # Two AWS error codes at one call site are two groups; so is one exception type at two lines.
        sites = [(line, codes[0])]
        if len(codes) == 2 and rng.random() < 0.6:
            sites.append((line, codes[1]))
        elif rng.random() < 0.3:
            sites.append((line + rng.randint(5, 60), codes[0]))
        for at, code in sites:
            label = f"{kind} {code} at line {at}".replace("  ", " ")
            raise_ = make(site, kind, at, code)
            if rng.random() < 0.45:
                failures.append(LoggedError(label, rng.choice(LOGGED_WITH_EXCEPTION), raise_, batch=batch))
            else:
                message = rng.choice(LOGGED_WITH_EXCEPTION)
                failures.append(Raised(label, raise_, rng.choice((0.0, 0.0, 0.5, 0.9)), message))
    for index in rng.sample(range(len(LOGGED_ALONE)), rng.randint(1, 4)):
        level = "FATAL" if rng.random() < 0.1 else "ERROR"
        failures.append(LoggedError(f"logged #{index}", LOGGED_ALONE[index], level=level, batch=batch))
    if rng.random() < 0.6:
        failures.append(Timeout(timeout_s=timeout_s))
    if rng.random() < 0.2:
        failures.append(OutOfMemory())
    if runtime is Runtime.GO and rng.random() < 0.8:
        kind = rng.choice(("NilPointer", "IndexRange"))
        failures.append(GoCrash(f"panic {kind}", go_err(site, kind, rng.randint(12, 400))))
    if runtime is Runtime.GO and rng.random() < 0.5:
        failures.append(GoRecoveredPanic("recovered panic", go_err(site, "NilPointer", rng.randint(12, 400))))
    if runtime is Runtime.NODE and rng.random() < 0.25:
        failures.append(ProcessExit())
    rng.shuffle(failures)
    return failures
