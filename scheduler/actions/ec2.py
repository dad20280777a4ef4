"""EC2 runbook actions for `ec2_status` findings: reboot an impaired instance, start one that stopped unexpectedly."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.aws.runbook import VerifyWaiter
from scheduler.registry import action


class InstanceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instance: str = Field(pattern=r"^i-[0-9a-f]{8,17}$", description="the instance id (the alert's `instance` label)")


def _instance(params: InstanceParams) -> str:
    return params.instance


def _instance_ids(params: InstanceParams) -> dict[str, Any]:
    return {"InstanceIds": [params.instance]}


@action(
    "ec2_reboot",
    title="Reboot instance",
    applies_to=["ec2_status"],
    when={"problem": "impaired"},
    service="ec2",
    operation="RebootInstances",
    permissions=["ec2:RebootInstances"],
    params=InstanceParams,
    resource=_instance,
    confirm="Reboot {resource}: the operating system restarts; the instance keeps its volumes, addresses and id.",
    reversible="no undo, but nothing is lost that a restart keeps",
    verify=VerifyWaiter("instance_status_ok", _instance_ids),
)
def ec2_reboot(params: InstanceParams) -> dict[str, Any]:
    """Reboot an instance whose status checks are impaired."""
    return _instance_ids(params)


@action(
    "ec2_start",
    title="Start instance",
    applies_to=["ec2_status"],
    when={"problem": "stopped"},
    service="ec2",
    operation="StartInstances",
    permissions=["ec2:StartInstances"],
    params=InstanceParams,
    resource=_instance,
    confirm="Start {resource}: the stopped instance boots again (billing resumes).",
    reversible="stop the instance again",
    verify=VerifyWaiter("instance_running", _instance_ids),
)
def ec2_start(params: InstanceParams) -> dict[str, Any]:
    """Start an instance that stopped without anyone asking it to."""
    return _instance_ids(params)
