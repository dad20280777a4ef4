"""ECS runbook actions for `ecs_services` findings: replace a service's tasks with a fresh deployment."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.aws.runbook import VerifyWaiter
from scheduler.registry import action

NAME = r"^[A-Za-z0-9_-]{1,255}$"


class ServiceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cluster: str = Field(pattern=NAME, description="the cluster's name (the alert's `cluster` label)")
    service: str = Field(pattern=NAME, description="the service's name (the alert's `service` label)")


def _service(params: ServiceParams) -> str:
    return f"{params.cluster}/{params.service}"


def _services(params: ServiceParams) -> dict[str, Any]:
    return {"cluster": params.cluster, "services": [params.service]}


@action(
    "ecs_force_deployment",
    title="Force new deployment",
    applies_to=["ecs_services"],
    service="ecs",
    operation="UpdateService",
    permissions=["ecs:UpdateService"],
    params=ServiceParams,
    resource=_service,
    confirm="Force a new deployment of {resource}: ECS starts fresh tasks from the same task definition and "
    "stops the old ones as the new ones pass their health checks.",
    reversible="no undo, but nothing changes except which tasks run: same task definition, same desired count",
    verify=VerifyWaiter("services_stable", _services),
)
def ecs_force_deployment(params: ServiceParams) -> dict[str, Any]:
    """Replace a service's tasks when too few of them run."""
    return {"cluster": params.cluster, "service": params.service, "forceNewDeployment": True}
