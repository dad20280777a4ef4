"""What `/boltwatch chart TARGET [METRIC]` draws: the resource TARGET names (a Lambda function, an SQS queue, an EC2
instance, an ECS service or a CloudWatch alarm) and its metrics, as a ChartRequest. Blocking boto3: run it on the
AWS executor.

Without a metric, a resource's standard set; with one, any metric AWS documents for that kind of resource, or any
that CloudWatch lists for it (ListMetrics: published in the last two weeks). Statistics and units follow AWS's
metric pages:
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bot.aws.metric_charts import ChartLine, ChartRequest, alarm_chart, period_for

Clients = Callable[[str], BaseClient]
"""`clients(service)`: a boto3 client of the place the command looks in."""


class ResourceKind(StrEnum):
    LAMBDA = "lambda"
    SQS = "sqs"
    EC2 = "ec2"
    ECS = "ecs"
    ALARM = "alarm"


KIND_NAMES = {
    ResourceKind.LAMBDA: "Lambda function",
    ResourceKind.SQS: "SQS queue",
    ResourceKind.EC2: "EC2 instance",
    ResourceKind.ECS: "ECS service",
    ResourceKind.ALARM: "CloudWatch alarm",
}


@dataclass(frozen=True)
class Known:
    stat: str
    unit: str = ""


NAMESPACES = {
    ResourceKind.LAMBDA: "AWS/Lambda",
    ResourceKind.SQS: "AWS/SQS",
    ResourceKind.EC2: "AWS/EC2",
    ResourceKind.ECS: "AWS/ECS",
}
_COUNT, _MAX, _AVG = Known("Sum"), Known("Maximum"), Known("Average")
KNOWN_METRICS: dict[ResourceKind, dict[str, Known]] = {
    ResourceKind.LAMBDA: {
        "Invocations": _COUNT, "Errors": _COUNT, "Throttles": _COUNT, "Duration": Known("Average", "ms"),
        "ConcurrentExecutions": _MAX, "IteratorAge": Known("Maximum", "ms"), "DeadLetterErrors": _COUNT,
        "DestinationDeliveryFailures": _COUNT, "ProvisionedConcurrencySpilloverInvocations": _COUNT,
        "ProvisionedConcurrentExecutions": _MAX, "ProvisionedConcurrencyUtilization": _MAX,
        "RecursiveInvocationsDropped": _COUNT, "PostRuntimeExtensionsDuration": Known("Average", "ms"),
        "AsyncEventsReceived": _COUNT, "AsyncEventAge": Known("Maximum", "ms"), "AsyncEventsDropped": _COUNT,
    },
    ResourceKind.SQS: {
        "ApproximateNumberOfMessagesVisible": _MAX, "ApproximateAgeOfOldestMessage": Known("Maximum", "s"),
        "ApproximateNumberOfMessagesNotVisible": _MAX, "ApproximateNumberOfMessagesDelayed": _MAX,
        "NumberOfMessagesSent": _COUNT, "NumberOfMessagesReceived": _COUNT, "NumberOfMessagesDeleted": _COUNT,
        "NumberOfEmptyReceives": _COUNT, "SentMessageSize": Known("Average", "bytes"),
    },
    ResourceKind.EC2: {
        "CPUUtilization": Known("Average", "%"), "StatusCheckFailed": _MAX, "StatusCheckFailed_Instance": _MAX,
        "StatusCheckFailed_System": _MAX, "NetworkIn": Known("Sum", "bytes"), "NetworkOut": Known("Sum", "bytes"),
        "DiskReadOps": _COUNT, "DiskWriteOps": _COUNT, "CPUCreditBalance": _AVG, "CPUCreditUsage": _COUNT,
        "EBSReadOps": _COUNT, "EBSWriteOps": _COUNT,
    },
    ResourceKind.ECS: {"CPUUtilization": Known("Average", "%"), "MemoryUtilization": Known("Average", "%")},
}  # fmt: skip
"""The metrics AWS documents for each kind, with the statistic that reads them best (counts summed, levels at
their highest, utilisation averaged) and their unit."""
STANDARD: dict[ResourceKind, tuple[tuple[str, str], ...]] = {
    # Percentiles would be better than Average/Maximum for Duration; moto, which the tests run on, has none.
    ResourceKind.LAMBDA: (
        ("Invocations", "Sum"), ("Errors", "Sum"), ("Throttles", "Sum"),
        ("Duration", "Average"), ("Duration", "Maximum"),
    ),
    ResourceKind.SQS: (("ApproximateNumberOfMessagesVisible", "Maximum"), ("ApproximateAgeOfOldestMessage", "Maximum")),
    ResourceKind.EC2: (("CPUUtilization", "Average"), ("StatusCheckFailed", "Maximum")),
    ResourceKind.ECS: (("CPUUtilization", "Average"), ("MemoryUtilization", "Average")),
}  # fmt: skip
"""What a chart of a resource shows when no metric is asked for."""
_INSTANCE = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_KIND_PREFIX = re.compile(r"^(lambda|sqs|ec2|ecs|alarm):(.+)$")


class UnknownTarget(Exception):
    """`name` is no resource of `kinds` (those TARGET may be); `names` are real ones to suggest from."""

    def __init__(self, name: str, kinds: list[ResourceKind], names: list[str]) -> None:
        super().__init__(name)
        self.name, self.kinds, self.names = name, kinds, names


class AmbiguousChartTarget(Exception):
    """TARGET names resources of several kinds; `kind:TARGET` picks one."""

    def __init__(self, target: str, kinds: list[ResourceKind]) -> None:
        super().__init__(target)
        self.target, self.kinds = target, kinds


class UnknownMetric(Exception):
    """METRIC is neither documented for the resource's kind nor listed by CloudWatch for the resource."""

    def __init__(self, metric: str, kind: ResourceKind, names: list[str]) -> None:
        super().__init__(metric)
        self.metric, self.kind, self.names = metric, kind, names


class MetricOfAlarm(Exception):
    """An alarm's chart is its own metric: a METRIC after an alarm's name is not taken."""


class UnchartableAlarm(Exception):
    """An alarm on an extended statistic (p99): not drawn, as moto, which the tests run on, cannot serve one."""


@dataclass(frozen=True)
class Resource:
    kind: ResourceKind
    name: str
    """The name people know it by: a function, queue or alarm name, an instance id, `cluster/service`."""
    dimensions: dict[str, str]
    alarm: dict[str, Any] | None = None
    """DescribeAlarms' description, for an alarm."""


def find_resource(clients: Clients, target: str) -> Resource:
    """The one resource TARGET names (`kind:NAME` forces a kind). Raises UnknownTarget or AmbiguousChartTarget."""
    forced = _KIND_PREFIX.match(target)
    kinds = [ResourceKind(forced.group(1))] if forced else list(ResourceKind)
    name = forced.group(2) if forced else target
    found = [resource for kind in kinds if (resource := _lookup(clients, kind, name)) is not None]
    if len(found) > 1:
        raise AmbiguousChartTarget(target, [resource.kind for resource in found])
    if not found:
        raise UnknownTarget(name, kinds, suggestions(clients, kinds))
    return found[0]


def _lookup(clients: Clients, kind: ResourceKind, name: str) -> Resource | None:
    """The resource of `kind` called `name`, or None; each kind is one Describe/Get call, asked only of names that
    can be of that kind."""
    if kind is ResourceKind.EC2:
        return _instance(clients("ec2"), name) if _INSTANCE.match(name) else None
    if kind is ResourceKind.ECS:
        return _service(clients("ecs"), name) if name.count("/") == 1 else None
    if kind is ResourceKind.LAMBDA:
        if "/" in name or len(name) > 140:
            return None
        try:
            clients("lambda").get_function(FunctionName=name)
        except ClientError as exc:
            _unless_missing(exc, "ResourceNotFoundException")
            return None
        return Resource(kind, name, {"FunctionName": name})
    if kind is ResourceKind.SQS:
        if "/" in name or len(name) > 80:
            return None
        try:
            clients("sqs").get_queue_url(QueueName=name)
        except ClientError as exc:
            _unless_missing(exc, "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
            return None
        return Resource(kind, name, {"QueueName": name})
    alarms = clients("cloudwatch").describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    return Resource(kind, name, {}, alarms[0]) if alarms else None


def _instance(ec2: BaseClient, instance_id: str) -> Resource | None:
    try:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    except ClientError as exc:
        _unless_missing(exc, "InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed")
        return None
    if not any(reservation["Instances"] for reservation in reservations):
        return None
    return Resource(ResourceKind.EC2, instance_id, {"InstanceId": instance_id})


def _service(ecs: BaseClient, name: str) -> Resource | None:
    cluster, service = name.split("/")
    try:
        services = ecs.describe_services(cluster=cluster, services=[service])["services"]
    except ClientError as exc:
        _unless_missing(exc, "ClusterNotFoundException")
        return None
    if not [found for found in services if found.get("status") != "INACTIVE"]:
        return None
    return Resource(ResourceKind.ECS, name, {"ClusterName": cluster, "ServiceName": service})


def _unless_missing(exc: ClientError, *codes: str) -> None:
    """Raise `exc` unless AWS says with it that the resource does not exist (a denial, say, is raised)."""
    if exc.response.get("Error", {}).get("Code") not in codes:
        raise exc


SUGGESTED = 300
"""At most this many names of each kind are read to suggest from, when TARGET matches nothing."""


def suggestions(clients: Clients, kinds: list[ResourceKind]) -> list[str]:
    """Function, queue and alarm names to suggest from (instances and services are ids people copy, not type)."""
    names: list[str] = []
    if ResourceKind.LAMBDA in kinds:
        functions = clients("lambda").get_paginator("list_functions")
        for page in functions.paginate(PaginationConfig={"MaxItems": SUGGESTED}):
            names.extend(function["FunctionName"] for function in page["Functions"])
    if ResourceKind.SQS in kinds:
        urls = clients("sqs").list_queues(MaxResults=min(SUGGESTED, 1000)).get("QueueUrls", [])
        names.extend(url.rsplit("/", 1)[-1] for url in urls)
    if ResourceKind.ALARM in kinds:
        paginator = clients("cloudwatch").get_paginator("describe_alarms")
        for page in paginator.paginate(AlarmTypes=["MetricAlarm"], PaginationConfig={"MaxItems": SUGGESTED}):
            names.extend(alarm["AlarmName"] for alarm in page["MetricAlarms"])
    return names


def metric_names(clients: Clients, resource: Resource) -> dict[str, Known]:
    """The metrics a chart of `resource` may show: those AWS documents for its kind, and any CloudWatch lists for it."""
    known = dict(KNOWN_METRICS[resource.kind])
    dimensions = [{"Name": name, "Value": value} for name, value in resource.dimensions.items()]
    paginator = clients("cloudwatch").get_paginator("list_metrics")
    for page in paginator.paginate(Namespace=NAMESPACES[resource.kind], Dimensions=dimensions):
        for metric in page.get("Metrics", []):
            known.setdefault(metric["MetricName"], _AVG)
    return known


def chart_request(
    clients: Clients, resource: Resource, metric: str | None, *, span: timedelta, account: str | None, region: str
) -> ChartRequest:
    """The chart of `resource` over `span`: `metric` (any case), or its standard set; an alarm's own metric and
    threshold at its own period. Raises UnknownMetric, MetricOfAlarm or UnchartableAlarm."""
    if resource.kind is ResourceKind.ALARM:
        if metric is not None:
            raise MetricOfAlarm(metric)
        assert resource.alarm is not None
        request = alarm_chart(resource.alarm, account=account, region=region)
        if request is None:
            raise UnchartableAlarm(resource.alarm.get("ExtendedStatistic") or "its statistic")
        return replace(request, title=f"Alarm {request.title}")
    if metric is None:
        wanted = [(name, stat, KNOWN_METRICS[resource.kind][name].unit) for name, stat in STANDARD[resource.kind]]
        title = f"{KIND_NAMES[resource.kind]} {resource.name}"
    else:
        known = metric_names(clients, resource)
        by_lower = {name.lower(): name for name in known}
        if metric.lower() not in by_lower:
            raise UnknownMetric(metric, resource.kind, sorted(known))
        name = by_lower[metric.lower()]
        wanted = [(name, known[name].stat, known[name].unit)]
        title = f"{KIND_NAMES[resource.kind]} {resource.name}: {name}"
    lines = tuple(
        ChartLine(f"m{index}", NAMESPACES[resource.kind], name, stat, f"{name} ({stat})", resource.dimensions, unit)
        for index, (name, stat, unit) in enumerate(wanted)
    )
    return ChartRequest(title=title, account=account, region=region, lines=lines, period_seconds=period_for(span))
