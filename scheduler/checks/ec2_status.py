"""EC2 instances whose status checks are impaired, and instances that stopped without anyone asking them to.

DescribeInstances gives each instance's Name tag and why it last changed state; DescribeInstanceStatus (with
IncludeAllInstances) gives its system, instance and attached-EBS status checks. The two are joined by instance id
and classified by pure functions, so that shapes moto cannot produce are tested on AWS's own response shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from scheduler.registry import CheckContext, check

PAGE_SIZE = 1000
"""The largest page DescribeInstances and DescribeInstanceStatus return."""
STATUS_CHECKS = {"SystemStatus": "System", "InstanceStatus": "Instance", "AttachedEbsStatus": "Attached EBS"}
USER_INITIATED = frozenset({"Client.UserInitiatedShutdown", "Client.UserInitiatedHibernate"})
STOP_CAUSES = {
    "Server.InternalError": "an internal EC2 error",
    "Server.InsufficientInstanceCapacity": "insufficient EC2 capacity",
    "Server.ScheduledStop": "a scheduled retirement",
    "Server.SpotInstanceShutdown": "a Spot interruption",
    "Server.SpotInstanceTermination": "a Spot interruption",
    "Client.InstanceInitiatedShutdown": "a shutdown from inside the instance",
    "Client.VolumeLimitExceeded": "the EBS volume limit",
    "Client.InvalidSnapshot.NotFound": "a missing EBS snapshot",
    "Client.InternalError": "a client error at launch",
}
TRANSITION_TIME = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")


class Problem(StrEnum):
    IMPAIRED = "impaired"
    STOPPED = "stopped"


class Ec2StatusParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[str] = Field(
        default_factory=lambda: ["*"], description="globs matched against the instance id or its Name tag"
    )


@check(
    "ec2_status",
    service="ec2",
    permissions=["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"],
    every="60s",
    params=Ec2StatusParams,
)
def ec2_status(ctx: CheckContext, params: Ec2StatusParams) -> CheckResult:
    """EC2 instances with impaired status checks, or stopped without being asked to."""
    ec2 = ctx.client("ec2")
    page = {"PageSize": PAGE_SIZE}
    instances = [
        instance
        for response in ec2.get_paginator("describe_instances").paginate(PaginationConfig=page)
        for reservation in response["Reservations"]
        for instance in reservation["Instances"]
        if instance["State"]["Name"] != "terminated" and _matches(instance, params.instances)
    ]
    statuses = {
        status["InstanceId"]: status
        for response in ec2.get_paginator("describe_instance_status").paginate(
            IncludeAllInstances=True, PaginationConfig=page
        )
        for status in response["InstanceStatuses"]
    }
    findings = [
        finding
        for instance in instances
        for finding in instance_findings(ctx, instance, statuses.get(instance["InstanceId"]))
    ]
    return CheckResult.of(findings, scope=f"ec2_status:{ctx.account_id}:{ctx.region}:")


def instance_findings(
    ctx: CheckContext, instance: Mapping[str, Any], status: Mapping[str, Any] | None
) -> list[Finding]:
    """One instance's two findings, from its DescribeInstances entry and its DescribeInstanceStatus entry."""
    subject = Subject(ctx, instance)
    failing = impaired_checks(status or {})
    stop_cause = unexpected_stop(instance)
    impaired = subject.finding(
        Problem.IMPAIRED,
        firing=bool(failing),
        severity=Severity.CRITICAL,
        title=f"{' and '.join(failing)} status check{'s' if len(failing) > 1 else ''} impaired"
        if failing
        else "status checks not impaired",
        evidence=_status_evidence(status or {}),
        started_at=_impaired_since(status or {}),
    )
    reason = instance.get("StateReason", {})
    stopped = subject.finding(
        Problem.STOPPED,
        firing=stop_cause is not None,
        severity=Severity.WARNING,
        title=f"stopped by {stop_cause}" if stop_cause else instance["State"]["Name"],
        evidence={
            "State": instance["State"]["Name"],
            "State reason": reason.get("Message") or reason.get("Code") or "none given",
            "Transition": instance.get("StateTransitionReason") or "none given",
        },
        started_at=_transition_time(instance) if stop_cause else None,
    )
    return [impaired, stopped]


def impaired_checks(status: Mapping[str, Any]) -> list[str]:
    """The kinds of status check ("System", "Instance", "Attached EBS") that report `impaired`."""
    return [kind for key, kind in STATUS_CHECKS.items() if status.get(key, {}).get("Status") == "impaired"]


def unexpected_stop(instance: Mapping[str, Any]) -> str | None:
    """Why a stopped instance stopped, when nobody asked it to; None when it runs, a user stopped it, or AWS gives
    no reason at all.

    StateReason's code decides when there is one: the transition text can read "User initiated" for a shutdown
    from inside the instance too. Without a code, only a transition that is not "User initiated" counts.
    """
    if instance["State"]["Name"] != "stopped":
        return None
    code = instance.get("StateReason", {}).get("Code", "")
    if code:
        return None if code in USER_INITIATED else STOP_CAUSES.get(code, code)
    transition = instance.get("StateTransitionReason") or ""
    return None if not transition or transition.startswith("User initiated") else transition


class Subject:
    """One instance in one run: what both of its findings share."""

    def __init__(self, ctx: CheckContext, instance: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.id: str = instance["InstanceId"]
        self.name = _name(instance)

    def finding(self, problem: Problem, *, title: str, **fields: Any) -> Finding:
        ctx = self.ctx
        shown = f"{self.name} ({self.id})" if self.name else self.id
        return Finding(
            fingerprint=f"ec2_status:{ctx.account_id}:{ctx.region}:{self.id}:{problem}",
            title=f"{shown}: {title}",
            resource=self.id,
            account=ctx.account_id,
            region=ctx.region,
            labels={"instance": self.id, "name": self.name, "problem": problem.value},
            links={"console": console_url(ctx.region, self.id)},
            **fields,
        )


def console_url(region: str, instance_id: str) -> str:
    return f"https://{region}.console.aws.amazon.com/ec2/home?region={region}#InstanceDetails:instanceId={instance_id}"


def _name(instance: Mapping[str, Any]) -> str:
    return next((tag["Value"] for tag in instance.get("Tags", []) if tag["Key"] == "Name"), "")


def _matches(instance: Mapping[str, Any], patterns: list[str]) -> bool:
    names = [instance["InstanceId"], _name(instance)]
    return any(fnmatchcase(name, pattern) for pattern in patterns for name in names if name)


def _status_evidence(status: Mapping[str, Any]) -> dict[str, str]:
    evidence = {}
    for key, kind in STATUS_CHECKS.items():
        if key not in status:
            continue
        failed = [detail["Name"] for detail in status[key].get("Details", []) if detail.get("Status") == "failed"]
        shown = status[key].get("Status", "unknown") + (f" ({', '.join(failed)} failed)" if failed else "")
        evidence[f"{kind} status"] = shown
    events = [f"{event['Code']}: {event.get('Description', '')}" for event in status.get("Events", [])]
    if events:
        evidence["Scheduled events"] = "; ".join(events)
    return evidence or {"Status checks": "not reported"}


def _impaired_since(status: Mapping[str, Any]) -> datetime | None:
    times = [
        detail["ImpairedSince"]
        for key in STATUS_CHECKS
        for detail in status.get(key, {}).get("Details", [])
        if detail.get("ImpairedSince")
    ]
    return min(times, default=None)


def _transition_time(instance: Mapping[str, Any]) -> datetime | None:
    found = TRANSITION_TIME.search(instance.get("StateTransitionReason") or "")
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) if found else None
