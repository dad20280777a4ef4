"""The best-practice rules as pure functions over AWS API answers: each says whether one resource breaks it, why
that matters, and the numbers behind the verdict. No I/O: `best_practices.py` reads AWS and calls these.

References: Dashbird's Well-Architected insights (Lambda, SQS, logs) and Prowler's pillars (S3 checks).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from bot.enums import Severity


class Rule(StrEnum):
    ASYNC_NO_DLQ = "async_no_dlq"
    DEPRECATED_RUNTIME = "deprecated_runtime"
    LAMBDA_TIMEOUT = "lambda_timeout"
    LOG_RETENTION = "log_retention"
    SQS_NO_DLQ = "sqs_no_dlq"
    ERRORS_NO_ALARM = "errors_no_alarm"
    S3_PUBLIC_ACCESS_BLOCK = "s3_public_access_block"
    S3_ENCRYPTION = "s3_encryption"
    LAMBDA_MEMORY = "lambda_memory"


WHY: dict[Rule, str] = {
    Rule.ASYNC_NO_DLQ: "An asynchronous event that fails every retry is dropped for good unless a DLQ or "
    "on-failure destination keeps it.",
    Rule.DEPRECATED_RUNTIME: "A deprecated runtime gets no security patches, and Lambda later blocks updating it.",
    Rule.LAMBDA_TIMEOUT: "A default 3 s timeout cuts off slow invocations; a 900 s one hides hung ones and bills "
    "them in full.",
    Rule.LOG_RETENTION: "Logs kept forever cost more every month and hold data longer than anyone needs.",
    Rule.SQS_NO_DLQ: "A message that always fails is retried until it expires, blocking work and then vanishing.",
    Rule.ERRORS_NO_ALARM: "A function that fails with no alarm fails silently.",
    Rule.S3_PUBLIC_ACCESS_BLOCK: "Without a public access block one ACL or policy edit can expose the bucket.",
    Rule.S3_ENCRYPTION: "Objects written without default encryption rely on every writer to ask for it.",
    Rule.LAMBDA_MEMORY: "Memory far above what the function uses is billed on every invocation.",
}

TITLES: dict[Rule, str] = {
    Rule.ASYNC_NO_DLQ: "Async Lambda without a DLQ or on-failure destination",
    Rule.DEPRECATED_RUNTIME: "Deprecated Lambda runtime",
    Rule.LAMBDA_TIMEOUT: "Lambda timeout at a risky value",
    Rule.LOG_RETENTION: "Log group without retention",
    Rule.SQS_NO_DLQ: "SQS queue without a dead-letter queue",
    Rule.ERRORS_NO_ALARM: "Failing function without an Errors alarm",
    Rule.S3_PUBLIC_ACCESS_BLOCK: "S3 bucket without a full public access block",
    Rule.S3_ENCRYPTION: "S3 bucket without default encryption",
    Rule.LAMBDA_MEMORY: "Lambda memory over-provisioned",
}

DEPRECATED_RUNTIMES: dict[str, date] = {
    # The "deprecation date" column of AWS's Lambda runtimes page: no more patches from then on.
    "python2.7": date(2021, 7, 15),
    "python3.6": date(2022, 7, 18),
    "python3.7": date(2023, 12, 4),
    "python3.8": date(2024, 10, 14),
    "nodejs10.x": date(2021, 7, 30),
    "nodejs12.x": date(2023, 3, 31),
    "nodejs14.x": date(2023, 12, 4),
    "nodejs16.x": date(2024, 6, 12),
    "java8": date(2024, 1, 8),
    "go1.x": date(2024, 1, 8),
    "provided": date(2024, 1, 8),
    "dotnetcore3.1": date(2023, 4, 3),
    "dotnet5.0": date(2022, 5, 10),
    "dotnet6": date(2024, 12, 20),
    "dotnet7": date(2024, 5, 14),
    "ruby2.5": date(2021, 7, 30),
    "ruby2.7": date(2023, 12, 7),
}
ASYNC_PRINCIPALS = frozenset(
    f"{service}.amazonaws.com"
    for service in ("s3", "sns", "events", "scheduler", "ses", "logs", "iot", "codecommit", "config", "cloudformation")
)
"""Services that invoke Lambda asynchronously (Event invocation type); queue and stream pollers are synchronous."""
DEFAULT_TIMEOUT_S = 3
MAX_TIMEOUT_S = 900
PRICE_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
"""us-east-1 on-demand Lambda compute prices, first pricing tier."""
DAYS_A_MONTH = 30
MIN_MEMORY_MB = 128
MEMORY_STEP_MB = 64
MEMORY_HEADROOM = 1.3
REPORT = re.compile(r"Memory Size: (\d+) MB\s+Max Memory Used: (\d+) MB")


@dataclass(frozen=True)
class Verdict:
    """One resource judged by one rule: firing or not, and what to show."""

    rule: Rule
    resource: str
    firing: bool
    title: str
    severity: Severity = Severity.WARNING
    evidence: dict[str, str] = field(default_factory=dict)


def async_no_dlq(function: Mapping[str, Any], policy: str | None, invoke_config: Mapping[str, Any] | None) -> Verdict:
    """At risk when something invokes it asynchronously (a service principal that does, or an async invoke config
    exists) and neither a DeadLetterConfig nor an on-failure destination catches what fails."""
    name = function["FunctionName"]
    triggers = async_principals(policy)
    configured = invoke_config is not None
    dlq = (function.get("DeadLetterConfig") or {}).get("TargetArn")
    destination = ((invoke_config or {}).get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
    is_async = bool(triggers) or configured
    evidence = {
        "Async triggers": ", ".join(triggers) or ("an async invoke config" if configured else "none found"),
        "Dead-letter queue": dlq or "none",
        "On-failure destination": destination or "none",
    }
    return Verdict(
        Rule.ASYNC_NO_DLQ, name, is_async and not dlq and not destination,
        f"{name}: invoked asynchronously with nowhere for failed events to go", evidence=evidence,
    )  # fmt: skip


def async_principals(policy: str | None) -> list[str]:
    """The async-invoking services a function's resource policy lets invoke it."""
    statements = json.loads(policy).get("Statement", []) if policy else []
    found = []
    for statement in statements:
        principal = statement.get("Principal")
        services = principal.get("Service") if isinstance(principal, dict) else None
        for service in [services] if isinstance(services, str) else services or []:
            if service in ASYNC_PRINCIPALS and statement.get("Effect", "Allow") == "Allow" and service not in found:
                found.append(service)
    return found


def deprecated_runtime(function: Mapping[str, Any], today: date) -> Verdict:
    name, runtime = function["FunctionName"], function.get("Runtime") or "container image"
    since = DEPRECATED_RUNTIMES.get(runtime)
    firing = since is not None and since <= today
    evidence = {"Runtime": runtime, "Deprecated": f"since {since:%Y-%m-%d}" if since else "no"}
    return Verdict(Rule.DEPRECATED_RUNTIME, name, firing, f"{name}: runtime {runtime} is deprecated", evidence=evidence)


def lambda_timeout(function: Mapping[str, Any], slowest_ms: float | None, near: float) -> Verdict:
    """Fires at the 900 s maximum, or at the 3 s default when the slowest invocation of the day reached `near`
    (a fraction) of it."""
    name, timeout = function["FunctionName"], int(function.get("Timeout", DEFAULT_TIMEOUT_S))
    slowest = "no invocations" if slowest_ms is None else f"{slowest_ms:.0f} ms"
    evidence = {"Timeout": f"{timeout} s", "Slowest invocation (1 day)": slowest}
    if timeout == MAX_TIMEOUT_S:
        title = f"{name}: timeout at the {MAX_TIMEOUT_S} s maximum"
        return Verdict(Rule.LAMBDA_TIMEOUT, name, True, title, Severity.INFO, evidence)
    close = timeout == DEFAULT_TIMEOUT_S and slowest_ms is not None and slowest_ms >= near * timeout * 1000
    evidence["Fires at"] = f"{near:.0%} of the default {DEFAULT_TIMEOUT_S} s, or {MAX_TIMEOUT_S} s"
    title = f"{name}: default {DEFAULT_TIMEOUT_S} s timeout, slowest invocation {slowest}"
    return Verdict(Rule.LAMBDA_TIMEOUT, name, close, title, Severity.WARNING, evidence)


def log_retention(group: Mapping[str, Any]) -> Verdict:
    name, days = group["logGroupName"], group.get("retentionInDays")
    stored = group.get("storedBytes", 0)
    evidence = {"Retention": f"{days} days" if days else "never expire", "Stored": f"{stored / 1e9:.2f} GB"}
    return Verdict(Rule.LOG_RETENTION, name, days is None, f"{name}: logs never expire", Severity.INFO, evidence)


def sqs_no_dlq(attributes: Mapping[str, str], dead_letter_targets: Iterable[str]) -> Verdict | None:
    """None for a queue that is itself some queue's dead-letter queue: it needs no DLQ of its own."""
    arn = attributes["QueueArn"]
    if arn in set(dead_letter_targets):
        return None
    name = arn.rsplit(":", 1)[-1]
    policy = json.loads(attributes.get("RedrivePolicy") or "{}")
    target = policy.get("deadLetterTargetArn")
    evidence = {"Dead-letter queue": target.rsplit(":", 1)[-1] if target else "none"}
    return Verdict(Rule.SQS_NO_DLQ, name, not target, f"{name}: no dead-letter queue", evidence=evidence)


def errors_alarmed_functions(alarms: Iterable[Mapping[str, Any]]) -> set[str]:
    """Function names that some alarm watches AWS/Lambda Errors of, as a plain metric or inside metric math."""
    watched: set[str] = set()
    for alarm in alarms:
        metrics = [alarm] + [(m.get("MetricStat") or {}).get("Metric", {}) for m in alarm.get("Metrics", [])]
        for metric in metrics:
            if metric.get("Namespace") == "AWS/Lambda" and metric.get("MetricName") == "Errors":
                watched.update(d["Value"] for d in metric.get("Dimensions", []) if d["Name"] == "FunctionName")
    return watched


def errors_no_alarm(name: str, errors: float, alarmed: set[str]) -> Verdict:
    evidence = {"Errors (1 day)": f"{errors:.0f}", "Errors alarm": "yes" if name in alarmed else "none"}
    title = f"{name}: {errors:.0f} errors in a day and no alarm on them"
    return Verdict(Rule.ERRORS_NO_ALARM, name, errors > 0 and name not in alarmed, title, evidence=evidence)


def s3_public_access_block(bucket: str, config: Mapping[str, bool] | None) -> Verdict:
    """`config` is GetPublicAccessBlock's configuration, None when the bucket has none."""
    off = [key for key, value in (config or {}).items() if not value]
    firing = config is None or bool(off)
    shown = "none" if config is None else ("all four settings on" if not off else "off: " + ", ".join(off))
    title = f"{bucket}: " + ("no public access block" if config is None else "public access block partly off")
    return Verdict(Rule.S3_PUBLIC_ACCESS_BLOCK, bucket, firing, title, evidence={"Public access block": shown})


def s3_encryption(bucket: str, rules: list[Mapping[str, Any]] | None) -> Verdict:
    """`rules` is GetBucketEncryption's rules, None when the bucket has no default encryption."""
    algorithms = [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm", "?") for r in rules or []]
    evidence = {"Default encryption": ", ".join(algorithms) or "none"}
    title = f"{bucket}: no default encryption"
    return Verdict(Rule.S3_ENCRYPTION, bucket, not algorithms, title, Severity.INFO, evidence)


@dataclass(frozen=True)
class MemoryUse:
    """What one function's REPORT lines and metrics say about its memory over a day."""

    reports: int
    max_used_mb: int
    duration_ms: float
    invocations: int


def peak_memory(messages: Iterable[str]) -> tuple[int, int]:
    """(REPORT lines, highest Max Memory Used in MB) of Lambda log messages."""
    used = [int(match.group(2)) for message in messages if (match := REPORT.search(message))]
    return len(used), max(used, default=0)


def lambda_memory(function: Mapping[str, Any], use: MemoryUse, *, ratio: float, min_reports: int) -> Verdict:
    """Fires when the day's peak use is at most `ratio` of the configured memory, over at least `min_reports`
    invocations. Suggests the peak × 1.3, rounded up to 64 MB (at least 128 MB), and estimates the monthly saving:
    (configured − suggested) / 1024 GB × the day's total duration in seconds × 30 × the price per GB-second
    (x86_64 $0.0000166667, arm64 $0.0000133334). It assumes durations stay the same at the lower memory, which
    holds only for functions not bound by CPU (CPU scales with memory)."""
    name, memory = function["FunctionName"], int(function.get("MemorySize", MIN_MEMORY_MB))
    suggested = max(MIN_MEMORY_MB, math.ceil(use.max_used_mb * MEMORY_HEADROOM / MEMORY_STEP_MB) * MEMORY_STEP_MB)
    architecture = (function.get("Architectures") or ["x86_64"])[0]
    price = PRICE_PER_GB_SECOND.get(architecture, PRICE_PER_GB_SECOND["x86_64"])
    saving = max(memory - suggested, 0) / 1024 * use.duration_ms / 1000 * DAYS_A_MONTH * price
    firing = use.reports >= min_reports and use.max_used_mb <= ratio * memory and suggested < memory
    evidence = {
        "Memory": f"{memory} MB configured, peak {use.max_used_mb} MB used over {use.reports} REPORT lines",
        "Suggested": f"{suggested} MB (peak × {MEMORY_HEADROOM}, rounded up to {MEMORY_STEP_MB} MB)",
        "Usage (1 day)": f"{use.invocations} invocations, {use.duration_ms / 1000:.1f} s in total",
        "Monthly saving": f"${saving:.2f} at ${price}/GB-s ({architecture}), if durations stay the same",
    }
    title = f"{name}: uses {use.max_used_mb} of {memory} MB, about ${saving:.2f} a month to save"
    return Verdict(Rule.LAMBDA_MEMORY, name, firing, title, Severity.INFO, evidence)


def today(now: datetime) -> date:
    return now.astimezone(UTC).date()
