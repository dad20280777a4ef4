"""ECS services running fewer tasks than they want.

Clusters and their services are listed page by page, and services are described ten at a time (DescribeServices'
limit), one cluster at a time since the call takes one cluster.

A check keeps no memory between runs, so `for_at_least` cannot measure how long a service has been short of tasks.
It measures what ECS records instead: the start of the service's primary deployment. A rollout (or a new service)
gets that long to bring its tasks up; a service that loses tasks long after its last deployment fires at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, timedelta
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.core.findings import CheckResult, Finding
from bot.durations import DurationOrZero, format_duration
from bot.enums import Severity
from scheduler.registry import CheckContext, check

DESCRIBE_BATCH = 10
"""DescribeServices takes at most ten services a call."""
LIST_PAGE_SIZE = 100
"""The largest page ListClusters and ListServices return."""
RECENT_EVENTS = 3


class EcsServicesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clusters: list[str] = Field(default_factory=lambda: ["*"], description="cluster name globs, as fnmatch")
    for_at_least: DurationOrZero = Field(
        default=timedelta(0),
        description="how old the service's primary deployment must be before a shortfall fires; 0s fires at once",
    )


@check(
    "ecs_services",
    service="ecs",
    permissions=["ecs:ListClusters", "ecs:ListServices", "ecs:DescribeServices"],
    every="60s",
    params=EcsServicesParams,
)
def ecs_services(ctx: CheckContext, params: EcsServicesParams) -> CheckResult:
    """ECS services whose running tasks are fewer than their desired count."""
    ecs = ctx.client("ecs")
    page = {"PageSize": LIST_PAGE_SIZE}
    cluster_arns = [
        arn
        for response in ecs.get_paginator("list_clusters").paginate(PaginationConfig=page)
        for arn in response["clusterArns"]
        if any(fnmatchcase(_last(arn), pattern) for pattern in params.clusters)
    ]
    findings: list[Finding] = []
    for cluster_arn in cluster_arns:
        service_arns = [
            arn
            for response in ecs.get_paginator("list_services").paginate(cluster=cluster_arn, PaginationConfig=page)
            for arn in response["serviceArns"]
        ]
        for start in range(0, len(service_arns), DESCRIBE_BATCH):
            batch = service_arns[start : start + DESCRIBE_BATCH]
            # A service deleted since the listing comes back under "failures"; the scope resolves its alert.
            described = ecs.describe_services(cluster=cluster_arn, services=batch)["services"]
            findings.extend(
                service_finding(ctx, _last(cluster_arn), service, params)
                for service in described
                if service.get("status") == "ACTIVE"
            )
    return CheckResult.of(findings, scope=f"ecs_services:{ctx.account_id}:{ctx.region}:")


def service_finding(ctx: CheckContext, cluster: str, service: Mapping[str, Any], params: EcsServicesParams) -> Finding:
    """One service's finding from its DescribeServices entry."""
    name = service["serviceName"]
    running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
    deployment = primary_deployment(service)
    started = deployment.get("createdAt") if deployment else None
    waited = ctx.now - started if started else None
    short = running < desired
    firing = short and (not params.for_at_least or waited is None or waited >= params.for_at_least)
    evidence = {"Tasks": f"{running} running, {service.get('pendingCount', 0)} pending, {desired} desired"}
    if deployment:
        state = deployment.get("rolloutState") or deployment.get("status", "")
        reason = deployment.get("rolloutStateReason")
        evidence["Deployment"] = f"{state}, started {_ago(waited)}" + (f": {reason}" if reason else "")
    events = [
        f"{event['createdAt'].astimezone(UTC):%H:%M} UTC {event['message']}"
        for event in service.get("events", [])[:RECENT_EVENTS]
    ]
    if events:
        evidence["Recent events"] = "\n".join(events)
    evidence["Fires"] = (
        f"when short of tasks and the deployment is {format_duration(params.for_at_least)} old"
        if params.for_at_least
        else "when short of tasks"
    )
    return Finding(
        fingerprint=f"ecs_services:{ctx.account_id}:{ctx.region}:{cluster}:{name}",
        firing=firing,
        title=f"{cluster}/{name}: {running} of {desired} tasks running",
        severity=Severity.CRITICAL if short and running == 0 else Severity.WARNING,
        resource=f"{cluster}/{name}",
        account=ctx.account_id,
        region=ctx.region,
        labels={"cluster": cluster, "service": name},
        links={"console": console_url(ctx.region, cluster, name)},
        evidence=evidence,
    )


def primary_deployment(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The deployment ECS is bringing up; None for services under an external or CodeDeploy controller."""
    return next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)


def console_url(region: str, cluster: str, service: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{cluster}/services/{service}/health?region={region}"
    )


def _last(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _ago(waited: timedelta | None) -> str:
    return f"{format_duration(waited)} ago" if waited is not None else "an unknown time"
