"""SQS dead-letter queues that hold messages, and queues whose oldest message waits too long.

A queue is a dead-letter queue when another queue's RedrivePolicy targets it, so every queue's attributes are read
(SQS has no batch call for them: one GetQueueAttributes a queue). The age of a queue's oldest message is not an
attribute; it comes from the AWS/SQS ApproximateAgeOfOldestMessage metric, fetched for every queue in one batched
GetMetricData call. A dead-letter alert names the Lambda function that consumes its source queue (from the
function's event source mapping) as its `function`, so that Show logs and Group errors read that function's logs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import quote

from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from bot.aws.metric_charts import ChartLine, ChartRequest
from bot.aws.metrics import Datapoint, MetricQuery, metric_data
from bot.core.findings import CheckResult, Finding
from bot.durations import Duration, format_duration
from bot.enums import Severity
from scheduler.registry import CheckContext, check

PERIOD = timedelta(minutes=1)
AGE_LOOK_BACK = timedelta(minutes=10)
"""SQS publishes its metrics every minute, a few minutes late: the newest datapoint this far back is the age."""
ATTRIBUTES = ["QueueArn", "RedrivePolicy", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
LIST_PAGE_SIZE = 1000
"""ListQueues's maximum; without MaxResults it returns at most 1,000 queues and no NextToken at all."""


class Problem(StrEnum):
    DLQ = "dlq"
    AGE = "age"


class SqsDeadLettersParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queues: list[str] = Field(default_factory=lambda: ["*"], description="queue name globs, as fnmatch")
    min_messages: int = Field(
        default=1, ge=1, description="messages in a dead-letter queue (waiting + in flight) that fire"
    )
    max_age: Duration | None = Field(
        default=timedelta(hours=1), description="age of a queue's oldest message that fires; null turns this off"
    )


@dataclass(frozen=True)
class Queue:
    name: str
    arn: str
    waiting: int
    in_flight: int
    redrive_target: str | None
    max_receives: str

    @classmethod
    def of(cls, attributes: dict[str, str]) -> Queue:
        policy = json.loads(attributes.get("RedrivePolicy") or "{}")
        return cls(
            name=attributes["QueueArn"].rsplit(":", 1)[-1],
            arn=attributes["QueueArn"],
            waiting=int(attributes.get("ApproximateNumberOfMessages", 0)),
            in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            redrive_target=policy.get("deadLetterTargetArn"),
            max_receives=str(policy.get("maxReceiveCount", "?")),
        )


@check(
    "sqs_dead_letters",
    service="sqs",
    permissions=[
        "sqs:ListQueues",
        "sqs:GetQueueAttributes",
        "cloudwatch:GetMetricData",
        "lambda:ListEventSourceMappings",
    ],
    every="2m",
    params=SqsDeadLettersParams,
)
def sqs_dead_letters(ctx: CheckContext, params: SqsDeadLettersParams) -> CheckResult:
    """SQS dead-letter queues with messages, and queues whose oldest message is too old."""
    queues = read_queues(ctx.client("sqs"))
    sources: dict[str, list[Queue]] = {}
    for queue in queues:
        if queue.redrive_target:
            sources.setdefault(queue.redrive_target, []).append(queue)
    watched = [q for q in queues if any(fnmatchcase(q.name, pattern) for pattern in params.queues)]
    dead_letter_queues = [q for q in watched if q.arn in sources]
    consumers = consumers_of(ctx, {s.arn for q in dead_letter_queues for s in sources[q.arn]})
    findings = [_dead_letters(ctx, q, sources[q.arn], consumers, params) for q in dead_letter_queues]
    if params.max_age is not None and watched:
        ages = oldest_message_ages(ctx, watched)
        findings.extend(_age(ctx, queue, ages[queue.name], params.max_age) for queue in watched)
    return CheckResult.of(findings, scope=f"sqs_dead_letters:{ctx.account_id}:{ctx.region}:")


def read_queues(sqs: BaseClient) -> list[Queue]:
    """Every queue of the region with its attributes; a queue deleted while we read is left out."""
    queues = []
    for page in sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": LIST_PAGE_SIZE}):
        for url in page.get("QueueUrls", []):
            try:
                attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTES)["Attributes"]
            except sqs.exceptions.QueueDoesNotExist:
                continue
            queues.append(Queue.of(attributes))
    return queues


def consumers_of(ctx: CheckContext, queue_arns: set[str]) -> dict[str, list[str]]:
    """The Lambda functions each queue feeds through an event source mapping, by queue ARN; none when a role made
    before the check asked for lambda:ListEventSourceMappings may not list them (the alert then names no function)."""
    found: dict[str, set[str]] = {}
    if not queue_arns:
        return {}
    try:
        for page in ctx.client("lambda").get_paginator("list_event_source_mappings").paginate():
            for mapping in page.get("EventSourceMappings", []):
                if mapping.get("EventSourceArn") in queue_arns:
                    # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
                    found.setdefault(mapping["EventSourceArn"], set()).add(mapping["FunctionArn"].split(":")[6])
    except ClientError as exc:
        if not exc.response.get("Error", {}).get("Code", "").startswith("AccessDenied"):
            raise
    return {arn: sorted(names) for arn, names in found.items()}


def oldest_message_ages(ctx: CheckContext, queues: list[Queue]) -> dict[str, Datapoint | None]:
    """Each queue's newest ApproximateAgeOfOldestMessage datapoint (seconds), or None without recent data."""
    end = ctx.now.astimezone(UTC).replace(second=0, microsecond=0) + PERIOD
    queries = [
        MetricQuery(f"q{index}", "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", {"QueueName": queue.name})
        for index, queue in enumerate(queues)
    ]
    series = metric_data(ctx.client("cloudwatch"), queries, start=end - AGE_LOOK_BACK, end=end, period=PERIOD)
    return {queue.name: max(series[f"q{i}"], default=None) for i, queue in enumerate(queues)}


def console_url(ctx: CheckContext, queue: str) -> str:
    url = f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account_id}/{queue}"
    return f"https://{ctx.region}.console.aws.amazon.com/sqs/v3/home?region={ctx.region}#/queues/{quote(url, safe='')}"


DEPTH = ("ApproximateNumberOfMessagesVisible", "Maximum", "messages waiting", "")
AGE = ("ApproximateAgeOfOldestMessage", "Maximum", "oldest message age", "s")


def queue_chart(ctx: CheckContext, queue: Queue, problem: Problem, threshold: float) -> ChartRequest:
    """The queue's depth and the age of its oldest message (seconds, on an axis of their own), the alert's own metric
    first with its threshold. SQS sends these a minute apart, a few minutes late.
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html"""
    first, second = (DEPTH, AGE) if problem is Problem.DLQ else (AGE, DEPTH)
    lines = tuple(
        ChartLine(f"m{index}", "AWS/SQS", metric, stat, label, {"QueueName": queue.name}, unit)
        for index, (metric, stat, label, unit) in enumerate((first, second))
    )
    return ChartRequest(
        title=f"{queue.name}: {first[2]} and {second[2]}",
        account=ctx.account,
        region=ctx.region,
        lines=lines,
        threshold=threshold,
        comparison="GreaterThanOrEqualToThreshold",
    )


def _finding(
    ctx: CheckContext, queue: Queue, problem: Problem, labels: dict[str, str] | None = None, **fields: Any
) -> Finding:
    return Finding(
        fingerprint=f"sqs_dead_letters:{ctx.account_id}:{ctx.region}:{queue.name}:{problem}",
        severity=Severity.WARNING,
        resource=queue.name,
        account=ctx.account_id,
        region=ctx.region,
        labels={"queue": queue.name, "problem": problem.value} | (labels or {}),
        links={"console": console_url(ctx, queue.name)},
        **fields,
    )


def _dead_letters(
    ctx: CheckContext,
    dlq: Queue,
    sources: list[Queue],
    consumers: dict[str, list[str]],
    params: SqsDeadLettersParams,
) -> Finding:
    count = dlq.waiting + dlq.in_flight
    names = ", ".join(sorted(source.name for source in sources))
    functions = sorted({name for source in sources for name in consumers.get(source.arn, [])})
    consumed_by = {"Consumed by": ", ".join(functions)} if functions else {}
    # What a redrive (the sqs_redrive action) moves where: this queue's messages back to the queues they came from.
    redrive = {"queue_arn": dlq.arn, "source_queues": names, "dead_letters": str(count)}
    firing = count >= params.min_messages
    return _finding(
        ctx,
        dlq,
        Problem.DLQ,
        redrive | ({"function": functions[0]} if functions else {}),
        firing=firing,
        chart=queue_chart(ctx, dlq, Problem.DLQ, params.min_messages).to_payload() if firing else None,
        title=f"{dlq.name}: {_count(count, 'dead letter')} from {names}",
        summary=f"Messages that {names} failed to process, moved here after their last allowed receive.",
        evidence={
            "Messages": f"{dlq.waiting} waiting, {dlq.in_flight} in flight",
            "Source queues": ", ".join(f"{s.name} (after {s.max_receives} receives)" for s in sources),
            "Fires at": _count(params.min_messages, "message"),
        }
        | consumed_by,
    )


def _age(ctx: CheckContext, queue: Queue, newest: Datapoint | None, max_age: timedelta) -> Finding:
    fires_at = {"Fires at": f"oldest message {format_duration(max_age)} old"}
    if newest is None:
        look_back = format_duration(AGE_LOOK_BACK)
        return _finding(
            ctx,
            queue,
            Problem.AGE,
            firing=False,
            title=f"{queue.name}: no message age reported in {look_back}",
            evidence={"Oldest message": f"no ApproximateAgeOfOldestMessage data in {look_back}"} | fires_at,
        )
    age = timedelta(seconds=newest.value)
    firing = age >= max_age
    return _finding(
        ctx,
        queue,
        Problem.AGE,
        firing=firing,
        chart=queue_chart(ctx, queue, Problem.AGE, max_age.total_seconds()).to_payload() if firing else None,
        title=f"{queue.name}: oldest message {format_duration(age)} old",
        evidence={"Oldest message": f"{format_duration(age)} old at {newest.at:%H:%M} UTC"} | fires_at,
        # When the oldest message crossed max_age, not when this run saw it.
        started_at=newest.at - age + max_age,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
