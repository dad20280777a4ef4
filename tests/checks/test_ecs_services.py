"""The ecs_services check against moto: services short of tasks fire, ten services a DescribeServices call.

moto gives a new service `MOTO_ECS_SERVICE_RUNNING` running tasks (0 when unset), read from the environment of
the process moto runs in, which for these tests is this one; update_service(desiredCount=n) makes n run. moto
records no service events, so the events shown as evidence are tested on a DescribeServices entry in AWS's shape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from sandbox.aws.server import MotoHandle
from scheduler.checks.ecs_services import EcsServicesParams, ecs_services, service_finding
from scheduler.registry import CheckContext

ACCOUNT_ID = "123456789012"


class Clients:
    """An ECS client on moto, failing fast, counting calls and the services each DescribeServices asked for."""

    def __init__(self, moto: MotoHandle) -> None:
        self.calls: Counter[str] = Counter()
        self.described: list[int] = []
        self.ecs = boto3.client(
            "ecs", endpoint_url=moto.endpoint, region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
        )
        self.ecs.meta.events.register("before-call.ecs", self._count)
        self.ecs.meta.events.register("provide-client-params.ecs.DescribeServices", self._count_services)

    def __call__(self, service: str) -> BaseClient:
        assert service == "ecs"
        return self.ecs

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _count_services(self, params: dict[str, Any], **_: Any) -> None:
        self.described.append(len(params["services"]))


@pytest.fixture
def clients(moto: MotoHandle) -> Clients:
    return Clients(moto)


def create_service(
    clients: Clients, monkeypatch: pytest.MonkeyPatch, cluster: str, name: str, *, desired: int, running: int
) -> None:
    """A service whose tasks moto reports as `running` of `desired`."""
    ecs = clients.ecs
    if not ecs.describe_clusters(clusters=[cluster])["clusters"]:
        ecs.create_cluster(clusterName=cluster)
        ecs.register_task_definition(
            family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}]
        )
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", str(running))
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition="app", desiredCount=desired)


def no_aws(service: str) -> BaseClient:
    raise AssertionError(f"building a finding from a response entry must not call AWS ({service})")


def context(clients: Callable[[str], BaseClient] = no_aws, now: datetime | None = None) -> CheckContext:
    return CheckContext(
        account="default",
        account_id=ACCOUNT_ID,
        region="us-east-1",
        now=now or datetime.now(UTC),
        client_for=clients,
    )


def run(clients: Clients, now: datetime | None = None, **params: Any) -> CheckResult:
    clients.calls.clear()
    clients.described.clear()
    return ecs_services(context(clients, now), EcsServicesParams.model_validate(params))


def by_service(result: CheckResult) -> dict[str, Finding]:
    return {f"{f.labels['cluster']}/{f.labels['service']}": f for f in result.findings}


def test_a_service_running_fewer_tasks_than_desired_fires(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    create_service(clients, monkeypatch, "shop", "orders-api", desired=3, running=1)

    finding = by_service(run(clients))["shop/orders-api"]

    assert finding.firing
    assert finding.severity is Severity.WARNING
    assert finding.title == "shop/orders-api: 1 of 3 tasks running"
    assert finding.fingerprint == f"ecs_services:{ACCOUNT_ID}:us-east-1:shop:orders-api"
    assert finding.resource == "shop/orders-api"
    assert finding.labels == {"cluster": "shop", "service": "orders-api"}
    assert finding.evidence["Tasks"] == "1 running, 2 pending, 3 desired"
    assert finding.evidence["Deployment"].startswith("IN_PROGRESS, started 0s ago: ECS deployment ecs-svc/")
    assert finding.links["console"] == (
        "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/shop/services/orders-api/health?region=us-east-1"
    )


def test_a_service_with_no_task_running_is_critical(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    create_service(clients, monkeypatch, "shop", "payments", desired=2, running=0)

    finding = by_service(run(clients))["shop/payments"]

    assert finding.firing
    assert finding.severity is Severity.CRITICAL


def test_a_service_at_its_desired_count_does_not_fire_and_a_recovered_one_resolves(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_service(clients, monkeypatch, "shop", "web", desired=2, running=2)
    create_service(clients, monkeypatch, "shop", "worker", desired=2, running=0)
    assert by_service(run(clients))["shop/worker"].firing

    clients.ecs.update_service(cluster="shop", service="worker", desiredCount=2)
    findings = by_service(run(clients))

    assert not findings["shop/web"].firing
    assert not findings["shop/worker"].firing
    assert findings["shop/worker"].title == "shop/worker: 2 of 2 tasks running"


def test_a_service_scaled_to_zero_does_not_fire(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    create_service(clients, monkeypatch, "shop", "batch", desired=0, running=0)

    assert not by_service(run(clients))["shop/batch"].firing


def test_for_at_least_gives_a_fresh_deployment_time_to_bring_its_tasks_up(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_service(clients, monkeypatch, "shop", "orders-api", desired=3, running=1)
    now = datetime.now(UTC)

    fresh = by_service(run(clients, now, for_at_least="5m"))["shop/orders-api"]
    later = by_service(run(clients, now + timedelta(minutes=6), for_at_least="5m"))["shop/orders-api"]

    assert not fresh.firing
    assert fresh.evidence["Fires"] == "when short of tasks and the deployment is 5m old"
    assert later.firing
    assert later.evidence["Deployment"].startswith("IN_PROGRESS, started 6m ago")


def test_only_clusters_matching_the_globs_are_read(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    create_service(clients, monkeypatch, "prod-shop", "orders-api", desired=1, running=0)
    create_service(clients, monkeypatch, "staging-shop", "orders-api", desired=1, running=0)

    result = run(clients, clusters=["prod-*"])

    assert set(by_service(result)) == {"prod-shop/orders-api"}
    assert clients.calls["ListServices"] == 1


def test_services_are_described_ten_at_a_time_per_cluster(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    for index in range(23):
        create_service(clients, monkeypatch, "big", f"svc-{index:02}", desired=1, running=1)
    for index in range(2):
        create_service(clients, monkeypatch, "small", f"svc-{index}", desired=1, running=0)

    result = run(clients)

    assert len(result.findings) == 25
    assert [f.labels["service"] for f in result.findings if f.firing] == ["svc-0", "svc-1"]
    assert sorted(clients.described) == [2, 3, 10, 10]
    assert clients.calls == Counter({"ListClusters": 1, "ListServices": 2, "DescribeServices": 4})


def test_the_run_covers_every_service_of_the_region_so_a_deleted_services_alert_resolves(clients: Clients) -> None:
    result = run(clients)

    assert result.findings == []
    assert result.covers(f"ecs_services:{ACCOUNT_ID}:us-east-1:shop:deleted")
    assert not result.covers(f"ecs_services:{ACCOUNT_ID}:eu-west-1:shop:deleted")


NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SHORT_SERVICE = {
    "serviceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:service/shop/orders-api",
    "serviceName": "orders-api",
    "clusterArn": f"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:cluster/shop",
    "status": "ACTIVE",
    "desiredCount": 4,
    "runningCount": 2,
    "pendingCount": 0,
    "launchType": "FARGATE",
    "deployments": [
        {
            "id": "ecs-svc/9223370261446154962",
            "status": "PRIMARY",
            "taskDefinition": f"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:task-definition/orders-api:42",
            "desiredCount": 4,
            "pendingCount": 0,
            "runningCount": 2,
            "failedTasks": 6,
            "createdAt": datetime(2026, 11, 27, 14, 3, tzinfo=UTC),
            "updatedAt": datetime(2026, 11, 28, 8, 51, tzinfo=UTC),
            "rolloutState": "COMPLETED",
            "rolloutStateReason": "ECS deployment ecs-svc/9223370261446154962 completed.",
        }
    ],
    "events": [
        {
            "id": "5e2b1f0c-7d0e-4c1c-9a0b-1f3c2d4e5f60",
            "createdAt": datetime(2026, 11, 28, 8, 58, tzinfo=UTC),
            "message": "(service orders-api) is unable to consistently start tasks successfully.",
        },
        {
            "id": "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
            "createdAt": datetime(2026, 11, 28, 8, 51, tzinfo=UTC),
            "message": "(service orders-api) has started 2 tasks: (task 6f1e) (task 8c2d).",
        },
        {
            "id": "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
            "createdAt": datetime(2026, 11, 28, 2, 51, tzinfo=UTC),
            "message": "(service orders-api) has reached a steady state.",
        },
        {
            "id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
            "createdAt": datetime(2026, 11, 27, 20, 51, tzinfo=UTC),
            "message": "(service orders-api) has reached a steady state.",
        },
    ],
}


def test_the_newest_service_events_are_the_evidence_of_why_tasks_are_missing() -> None:
    finding = service_finding(context(now=NOW), "shop", SHORT_SERVICE, EcsServicesParams())

    assert finding.firing
    assert finding.evidence["Recent events"].splitlines() == [
        "08:58 UTC (service orders-api) is unable to consistently start tasks successfully.",
        "08:51 UTC (service orders-api) has started 2 tasks: (task 6f1e) (task 8c2d).",
        "02:51 UTC (service orders-api) has reached a steady state.",
    ]
    assert finding.evidence["Deployment"] == (
        "COMPLETED, started 18h 57m ago: ECS deployment ecs-svc/9223370261446154962 completed."
    )


def test_a_service_that_loses_tasks_long_after_its_deployment_fires_at_once_whatever_for_at_least_says() -> None:
    params = EcsServicesParams(for_at_least=timedelta(minutes=30))

    assert service_finding(context(now=NOW), "shop", SHORT_SERVICE, params).firing


def test_a_service_without_ecs_deployments_fires_at_once_whatever_for_at_least_says() -> None:
    external = SHORT_SERVICE | {"deployments": [], "deploymentController": {"type": "EXTERNAL"}}
    params = EcsServicesParams(for_at_least=timedelta(minutes=30))

    finding = service_finding(context(now=NOW), "shop", external, params)

    assert finding.firing
    assert "Deployment" not in finding.evidence


def test_params_reject_unknown_keys_and_accept_a_zero_for_at_least() -> None:
    with pytest.raises(ValueError, match="services"):
        EcsServicesParams.model_validate({"services": ["*"]})
    assert EcsServicesParams.model_validate({"for_at_least": "0s"}).for_at_least == timedelta(0)
    assert EcsServicesParams.model_validate({"for_at_least": "10m"}).for_at_least == timedelta(minutes=10)
