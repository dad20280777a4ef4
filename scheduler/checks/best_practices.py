"""Best-practice findings (Dashbird's Well-Architected insights, Prowler's pillars): one finding per rule and
resource, firing while the resource breaks the rule, so that fixing it resolves the finding.

The rules themselves are pure functions in `best_practice_rules.py`; this module reads AWS for them. Metrics for
every function come from one batched GetMetricData call (over the last day, one period); memory use comes from
the REPORT lines of each function's log group, at most `max_report_pages` FilterLogEvents pages a function.

Best-practice findings are slow-moving: by default (`incidents: never`) they are findings with `notify=False`, so
they are recorded as alerts for `/boltwatch best-practices` and the digest but never open an incident in the alert
channel. `incidents: all` lets them route like any alert.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, timedelta
from fnmatch import fnmatchcase
from typing import Any, Literal
from urllib.parse import quote

from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from bot.aws.logs import LAMBDA_PREFIX
from bot.aws.metrics import MetricQuery, metric_data
from bot.core.findings import CheckResult, Finding
from scheduler.checks import best_practice_rules as rules
from scheduler.checks.best_practice_rules import Rule, Verdict
from scheduler.checks.sqs_dead_letters import console_url as queue_console_url
from scheduler.registry import CheckContext, check

DAY = timedelta(days=1)
LAMBDA_RULES = {
    Rule.ASYNC_NO_DLQ,
    Rule.DEPRECATED_RUNTIME,
    Rule.LAMBDA_TIMEOUT,
    Rule.ERRORS_NO_ALARM,
    Rule.LAMBDA_MEMORY,
}
METRICS = {"slowest": ("Duration", "Maximum"), "duration": ("Duration", "Sum"), "errors": ("Errors", "Sum"),
           "invocations": ("Invocations", "Sum")}  # fmt: skip
REPORT_FILTER = '"REPORT RequestId"'


class BestPracticesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=lambda: list(Rule), description="the rules to apply")
    functions: list[str] = Field(default_factory=lambda: ["*"], description="function name globs, as fnmatch")
    log_groups: list[str] = Field(default_factory=lambda: ["*"], description="log group name globs")
    timeout_near: float = Field(default=0.8, gt=0, le=1, description="slowest / 3 s default timeout that fires")
    memory_used_ratio: float = Field(default=0.5, gt=0, lt=1, description="peak used / configured that fires")
    min_reports: int = Field(default=10, ge=1, description="REPORT lines needed to judge memory")
    max_report_pages: int = Field(default=5, ge=1, le=50, description="FilterLogEvents pages a function")
    incidents: Literal["never", "all"] = Field(default="never", description="whether findings open incidents")


@check(
    "best_practices",
    service="lambda",
    permissions=[
        "lambda:ListFunctions",
        "lambda:GetPolicy",
        "lambda:GetFunctionEventInvokeConfig",
        "cloudwatch:GetMetricData",
        "cloudwatch:DescribeAlarms",
        "logs:DescribeLogGroups",
        "logs:FilterLogEvents",
        "sqs:ListQueues",
        "sqs:GetQueueAttributes",
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetEncryptionConfiguration",
    ],
    every="1h",
    params=BestPracticesParams,
)
def best_practices(ctx: CheckContext, params: BestPracticesParams) -> CheckResult:
    """Best-practice findings: Lambda, log, SQS and S3 settings that break a Well-Architected rule."""
    enabled = set(params.rules)
    verdicts: list[Verdict] = []
    if enabled & LAMBDA_RULES:
        verdicts += _lambda_verdicts(ctx, params, enabled)
    if Rule.LOG_RETENTION in enabled:
        groups = ctx.client("logs").get_paginator("describe_log_groups").paginate()
        verdicts += [
            rules.log_retention(group)
            for page in groups
            for group in page.get("logGroups", [])
            if any(fnmatchcase(group["logGroupName"], pattern) for pattern in params.log_groups)
        ]
    if Rule.SQS_NO_DLQ in enabled:
        verdicts += _queue_verdicts(ctx.client("sqs"))
    if enabled & {Rule.S3_PUBLIC_ACCESS_BLOCK, Rule.S3_ENCRYPTION}:
        verdicts += _bucket_verdicts(ctx, enabled)
    findings = [finding(ctx, verdict, params) for verdict in verdicts]
    scopes = tuple(f"{prefix(ctx)}{rule}:" for rule in Rule)
    return CheckResult(findings=findings, covered=frozenset(f.fingerprint for f in findings), scopes=scopes)


def prefix(ctx: CheckContext) -> str:
    return f"best_practices:{ctx.account_id}:{ctx.region}:"


def finding(ctx: CheckContext, verdict: Verdict, params: BestPracticesParams) -> Finding:
    fingerprint = f"{prefix(ctx)}{verdict.rule}:{verdict.resource}"
    link, arn = _where(ctx, verdict)
    return Finding(
        fingerprint=fingerprint,
        firing=verdict.firing,
        title=verdict.title,
        severity=verdict.severity,
        summary=rules.WHY[verdict.rule],
        resource=verdict.resource,
        account=ctx.account_id,
        region=ctx.region,
        labels={"rule": verdict.rule.value, "fingerprint": fingerprint},
        links={"console": link},
        evidence=verdict.evidence,
        tag_arns=(arn,),
        # Slow-moving: kept to `/boltwatch best-practices` and the digest unless configured `incidents: all`.
        notify=params.incidents == "all",
    )


def _where(ctx: CheckContext, verdict: Verdict) -> tuple[str, str]:
    """The console link and the ARN of a verdict's resource."""
    region, name, console = ctx.region, verdict.resource, f"https://{ctx.region}.console.aws.amazon.com"
    if verdict.rule in LAMBDA_RULES:
        link = f"{console}/lambda/home?region={region}#/functions/{quote(name, safe='')}?tab=configure"
        return link, f"arn:aws:lambda:{region}:{ctx.account_id}:function:{name}"
    if verdict.rule is Rule.LOG_RETENTION:
        link = f"{console}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{name.replace('/', '$252F')}"
        return link, f"arn:aws:logs:{region}:{ctx.account_id}:log-group:{name}"
    if verdict.rule is Rule.SQS_NO_DLQ:
        return queue_console_url(ctx, name), f"arn:aws:sqs:{region}:{ctx.account_id}:{name}"
    return (
        f"https://s3.console.aws.amazon.com/s3/buckets/{name}?region={region}&tab=permissions",
        f"arn:aws:s3:::{name}",
    )


def _lambda_verdicts(ctx: CheckContext, params: BestPracticesParams, enabled: set[Rule]) -> list[Verdict]:
    client = ctx.client("lambda")
    functions = [
        function
        for page in client.get_paginator("list_functions").paginate()
        for function in page["Functions"]
        if any(fnmatchcase(function["FunctionName"], pattern) for pattern in params.functions)
    ]
    usage = (
        day_usage(ctx, functions) if enabled & {Rule.LAMBDA_TIMEOUT, Rule.ERRORS_NO_ALARM, Rule.LAMBDA_MEMORY} else {}
    )
    alarmed = _errors_alarmed(ctx.client("cloudwatch")) if Rule.ERRORS_NO_ALARM in enabled else set()
    today = rules.today(ctx.now)
    verdicts: list[Verdict] = []
    for function in functions:
        name = function["FunctionName"]
        if Rule.ASYNC_NO_DLQ in enabled:
            verdicts.append(rules.async_no_dlq(function, _policy(client, name), _invoke_config(client, name)))
        if Rule.DEPRECATED_RUNTIME in enabled:
            verdicts.append(rules.deprecated_runtime(function, today))
        if Rule.LAMBDA_TIMEOUT in enabled:
            verdicts.append(rules.lambda_timeout(function, usage[name].get("slowest"), params.timeout_near))
        if Rule.ERRORS_NO_ALARM in enabled:
            verdicts.append(rules.errors_no_alarm(name, usage[name].get("errors") or 0, alarmed))
        if Rule.LAMBDA_MEMORY in enabled:
            verdicts.append(_memory(ctx, params, function, usage[name]))
    return verdicts


def day_usage(ctx: CheckContext, functions: list[Mapping[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Each function's slowest invocation (ms), total duration (ms), errors and invocations over the last day,
    from one batched GetMetricData call (four queries a function); None where CloudWatch has no datapoint."""
    end = ctx.now.astimezone(UTC).replace(second=0, microsecond=0)
    queries = [
        MetricQuery(f"f{index}_{key}", "AWS/Lambda", metric, stat, {"FunctionName": function["FunctionName"]})
        for index, function in enumerate(functions)
        for key, (metric, stat) in METRICS.items()
    ]
    series = metric_data(ctx.client("cloudwatch"), queries, start=end - DAY, end=end, period=DAY) if queries else {}
    usage: dict[str, dict[str, float | None]] = {}
    for index, function in enumerate(functions):
        values = {key: [point.value for point in series[f"f{index}_{key}"]] for key in METRICS}
        numbers: dict[str, float | None] = {key: sum(v) if v else None for key, v in values.items()}
        numbers["slowest"] = max(values["slowest"], default=None)
        usage[function["FunctionName"]] = numbers
    return usage


def _policy(client: BaseClient, name: str) -> str | None:
    try:
        return str(client.get_policy(FunctionName=name)["Policy"])
    except client.exceptions.ResourceNotFoundException:
        return None


def _invoke_config(client: BaseClient, name: str) -> dict[str, Any] | None:
    try:
        return dict(client.get_function_event_invoke_config(FunctionName=name))
    except client.exceptions.ResourceNotFoundException:
        return None


def _errors_alarmed(cloudwatch: BaseClient) -> set[str]:
    pages = cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"])
    return rules.errors_alarmed_functions(alarm for page in pages for alarm in page.get("MetricAlarms", []))


def _memory(
    ctx: CheckContext, params: BestPracticesParams, function: Mapping[str, Any], usage: Mapping[str, float | None]
) -> Verdict:
    reports, peak = 0, 0
    if int(function.get("MemorySize", rules.MIN_MEMORY_MB)) > rules.MIN_MEMORY_MB:
        reports, peak = rules.peak_memory(report_lines(ctx, function["FunctionName"], params.max_report_pages))
    use = rules.MemoryUse(reports, peak, usage.get("duration") or 0.0, round(usage.get("invocations") or 0))
    return rules.lambda_memory(function, use, ratio=params.memory_used_ratio, min_reports=params.min_reports)


def report_lines(ctx: CheckContext, function: str, max_pages: int) -> list[str]:
    """The REPORT lines of the function's last day, at most `max_pages` pages (FilterLogEvents is 5 TPS)."""
    logs, end = ctx.client("logs"), int(ctx.now.timestamp() * 1000)
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=LAMBDA_PREFIX + function, startTime=end - int(DAY.total_seconds() * 1000), endTime=end,
        filterPattern=REPORT_FILTER,
    )  # fmt: skip
    messages: list[str] = []
    try:
        for count, page in enumerate(pages, start=1):
            messages += [event["message"] for event in page.get("events", [])]
            if count >= max_pages:
                break
    except logs.exceptions.ResourceNotFoundException:
        return []
    return messages


def _queue_verdicts(sqs: BaseClient) -> list[Verdict]:
    queues = []
    for page in sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 1000}):
        for url in page.get("QueueUrls", []):
            try:
                names = ["QueueArn", "RedrivePolicy"]
                queues.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"])
            except sqs.exceptions.QueueDoesNotExist:
                continue
    targets = {json.loads(q["RedrivePolicy"]).get("deadLetterTargetArn") for q in queues if q.get("RedrivePolicy")}
    return [v for q in queues if (v := rules.sqs_no_dlq(q, targets)) is not None]


def _bucket_verdicts(ctx: CheckContext, enabled: set[Rule]) -> list[Verdict]:
    """Buckets are listed globally; each region's run judges the buckets that live in it."""
    s3 = ctx.client("s3")
    verdicts: list[Verdict] = []
    pages = s3.get_paginator("list_buckets").paginate() if s3.can_paginate("list_buckets") else [s3.list_buckets()]
    for bucket in (bucket for page in pages for bucket in page.get("Buckets", [])):
        name = bucket["Name"]
        if (s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1") != ctx.region:
            continue
        if Rule.S3_PUBLIC_ACCESS_BLOCK in enabled:
            block = _absent_as_none(s3.get_public_access_block, name, "PublicAccessBlockConfiguration")
            verdicts.append(rules.s3_public_access_block(name, block))
        if Rule.S3_ENCRYPTION in enabled:
            encryption = _absent_as_none(s3.get_bucket_encryption, name, "ServerSideEncryptionConfiguration")
            verdicts.append(rules.s3_encryption(name, encryption["Rules"] if encryption else None))
    return verdicts


ABSENT = {"NoSuchPublicAccessBlockConfiguration", "ServerSideEncryptionConfigurationNotFoundError"}


def _absent_as_none(read: Any, bucket: str, key: str) -> Any:
    """`read(Bucket=bucket)[key]`, or None when S3 says the bucket has no such configuration."""
    try:
        return read(Bucket=bucket)[key]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ABSENT:
            return None
        raise
