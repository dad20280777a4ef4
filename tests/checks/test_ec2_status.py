"""The ec2_status check: impaired status checks and stops nobody asked for.

What moto can do, tested through boto3 on moto's server: instances running or stopped through the API, their Name
tags, paging DescribeInstances, IncludeAllInstances. What moto cannot do: every status check it reports is `ok` (or
`not-applicable` when not running), and every stop it records is `Client.UserInitiatedShutdown`. So the firing
cases are tested on `instance_findings` and its classifiers with DescribeInstances / DescribeInstanceStatus entries
in AWS's own response shapes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from sandbox.aws.server import MotoHandle
from scheduler.checks.ec2_status import Ec2StatusParams, ec2_status, instance_findings, unexpected_stop
from scheduler.registry import CheckContext

ACCOUNT_ID = "123456789012"
NOW = datetime.now(UTC).replace(microsecond=0)
AMI = "ami-12c6146b"


class Clients:
    """An EC2 client on moto, failing fast, counting the calls of each operation."""

    def __init__(self, moto: MotoHandle, *, instances_page_size: int | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.ec2 = boto3.client(
            "ec2", endpoint_url=moto.endpoint, region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
        )
        self.ec2.meta.events.register("before-call.ec2", self._count)
        if instances_page_size:
            self.page_size = instances_page_size
            self.ec2.meta.events.register("provide-client-params.ec2.DescribeInstances", self._small_pages)

    def __call__(self, service: str) -> BaseClient:
        assert service == "ec2"
        return self.ec2

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _small_pages(self, params: dict[str, Any], **_: Any) -> None:
        # moto pages DescribeInstances by reservation when MaxResults is set.
        params["MaxResults"] = self.page_size


@pytest.fixture
def clients(moto: MotoHandle) -> Clients:
    return Clients(moto)


def launch(clients: Clients, name: str | None = None) -> str:
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}] if name else []
    reservation = clients.ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, TagSpecifications=tags)
    return reservation["Instances"][0]["InstanceId"]


def no_aws(service: str) -> BaseClient:
    raise AssertionError(f"classifying response entries must not call AWS ({service})")


def context(clients: Callable[[str], BaseClient] = no_aws) -> CheckContext:
    return CheckContext(account="default", account_id=ACCOUNT_ID, region="us-east-1", now=NOW, client_for=clients)


def run(clients: Clients, **params: Any) -> CheckResult:
    clients.calls.clear()
    return ec2_status(context(clients), Ec2StatusParams.model_validate(params))


def by_problem(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {(f.labels["instance"], f.labels["problem"]): f for f in findings}


def stopped(code: str, message: str, transition: str) -> dict[str, Any]:
    """A stopped instance as DescribeInstances returns it (trimmed to the keys the check reads)."""
    return {
        "InstanceId": "i-0a1b2c3d4e5f60718",
        "InstanceType": "m5.large",
        "State": {"Code": 80, "Name": "stopped"},
        "StateReason": {"Code": code, "Message": message},
        "StateTransitionReason": transition,
        "Tags": [{"Key": "Name", "Value": "batch-7"}, {"Key": "team", "Value": "data"}],
    }


RUNNING = {
    "InstanceId": "i-0f9e8d7c6b5a49382",
    "InstanceType": "c6i.xlarge",
    "State": {"Code": 16, "Name": "running"},
    "StateTransitionReason": "",
    "Tags": [{"Key": "Name", "Value": "api-1"}],
}


def impaired_status(*, system: str = "ok", instance: str = "impaired") -> dict[str, Any]:
    """A DescribeInstanceStatus entry for RUNNING, its reachability checks as given."""

    def check(status: str) -> dict[str, Any]:
        detail: dict[str, Any] = {"Name": "reachability", "Status": "passed" if status == "ok" else "failed"}
        if status == "impaired":
            detail["ImpairedSince"] = datetime(2026, 11, 28, 7, 41, tzinfo=UTC)
        return {"Details": [detail], "Status": status}

    return {
        "AvailabilityZone": "us-east-1b",
        "InstanceId": RUNNING["InstanceId"],
        "InstanceState": {"Code": 16, "Name": "running"},
        "InstanceStatus": check(instance),
        "SystemStatus": check(system),
        "AttachedEbsStatus": {"Details": [{"Name": "reachability", "Status": "passed"}], "Status": "ok"},
        "Events": [
            {
                "InstanceEventId": "instance-event-0d59937288b749b32",
                "Code": "system-reboot",
                "Description": "scheduled reboot",
                "NotBefore": datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
            }
        ],
    }


def test_an_impaired_instance_status_check_fires_critical_with_the_failed_check_and_since_when() -> None:
    findings = by_problem(instance_findings(context(), RUNNING, impaired_status()))

    impaired = findings[RUNNING["InstanceId"], "impaired"]
    assert impaired.firing
    assert impaired.severity is Severity.CRITICAL
    assert impaired.title == "api-1 (i-0f9e8d7c6b5a49382): Instance status check impaired"
    assert impaired.fingerprint == f"ec2_status:{ACCOUNT_ID}:us-east-1:i-0f9e8d7c6b5a49382:impaired"
    assert impaired.labels == {"instance": "i-0f9e8d7c6b5a49382", "name": "api-1", "problem": "impaired"}
    assert impaired.evidence["Instance status"] == "impaired (reachability failed)"
    assert impaired.evidence["System status"] == "ok"
    assert impaired.evidence["Scheduled events"] == "system-reboot: scheduled reboot"
    assert impaired.started_at == datetime(2026, 11, 28, 7, 41, tzinfo=UTC)
    assert impaired.links["console"].endswith("#InstanceDetails:instanceId=i-0f9e8d7c6b5a49382")
    assert not findings[RUNNING["InstanceId"], "stopped"].firing


def test_an_impaired_system_status_check_fires_too() -> None:
    [impaired, _] = instance_findings(context(), RUNNING, impaired_status(system="impaired", instance="ok"))

    assert impaired.firing
    assert impaired.title.endswith(": System status check impaired")


def test_both_checks_impaired_are_named_together() -> None:
    [impaired, _] = instance_findings(context(), RUNNING, impaired_status(system="impaired", instance="impaired"))

    assert impaired.title.endswith(": System and Instance status checks impaired")


def test_insufficient_data_and_initializing_checks_do_not_fire() -> None:
    for status in ("insufficient-data", "initializing"):
        [impaired, _] = instance_findings(context(), RUNNING, impaired_status(instance=status))
        assert not impaired.firing


@pytest.mark.parametrize(
    ("code", "message", "cause"),
    [
        (
            "Server.InternalError",
            "Server.InternalError: An internal error caused the instance to terminate during launch.",
            "an internal EC2 error",
        ),
        ("Server.ScheduledStop", "Server.ScheduledStop: Stopped due to scheduled retirement", "a scheduled retirement"),
        (
            "Server.SpotInstanceTermination",
            "Server.SpotInstanceTermination: Spot instance termination",
            "a Spot interruption",
        ),
        (
            "Client.InstanceInitiatedShutdown",
            "Client.InstanceInitiatedShutdown: Instance initiated shutdown",
            "a shutdown from inside the instance",
        ),
        ("Server.SomethingNew", "Server.SomethingNew: a reason AWS adds later", "Server.SomethingNew"),
    ],
)
def test_a_stop_nobody_asked_for_fires_with_its_cause_whatever_the_transition_text_says(
    code: str, message: str, cause: str
) -> None:
    instance = stopped(code, message, "User initiated (2026-11-28 06:12:44 GMT)")

    assert unexpected_stop(instance) == cause
    finding = by_problem(instance_findings(context(), instance, None))["i-0a1b2c3d4e5f60718", "stopped"]
    assert finding.firing
    assert finding.title == f"batch-7 (i-0a1b2c3d4e5f60718): stopped by {cause}"
    assert finding.evidence["State reason"] == message
    assert finding.started_at == datetime(2026, 11, 28, 6, 12, 44, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown"),
        ("Client.UserInitiatedHibernate", "Client.UserInitiatedHibernate: User initiated hibernate"),
    ],
)
def test_a_stop_or_hibernation_through_the_api_does_not_fire(code: str, message: str) -> None:
    assert unexpected_stop(stopped(code, message, "User initiated (2026-11-28 06:12:44 GMT)")) is None


def test_without_a_state_reason_code_the_transition_reason_decides() -> None:
    def without_code(transition: str) -> dict[str, Any]:
        instance = stopped("", "", transition)
        del instance["StateReason"]
        return instance

    assert unexpected_stop(without_code("User initiated (2026-11-28 06:12:44 GMT)")) is None
    assert unexpected_stop(without_code("")) is None
    assert unexpected_stop(without_code("Service initiated (2026-11-28 06:12:44 GMT)")) == (
        "Service initiated (2026-11-28 06:12:44 GMT)"
    )


def test_a_running_instance_never_counts_as_stopped() -> None:
    assert unexpected_stop(RUNNING | {"StateReason": {"Code": "Server.InternalError", "Message": ""}}) is None


def test_running_and_user_stopped_instances_on_moto_fire_nothing(clients: Clients) -> None:
    web = launch(clients, "web-1")
    worker = launch(clients, "worker-1")
    clients.ec2.stop_instances(InstanceIds=[worker])

    findings = by_problem(run(clients).findings)

    assert set(findings) == {(web, "impaired"), (web, "stopped"), (worker, "impaired"), (worker, "stopped")}
    assert not any(finding.firing for finding in findings.values())
    assert findings[worker, "stopped"].title == f"worker-1 ({worker}): stopped"
    assert findings[worker, "stopped"].evidence["State reason"].startswith("Client.UserInitiatedShutdown")
    assert findings[web, "impaired"].evidence["System status"] == "ok"
    assert findings[web, "impaired"].labels["name"] == "web-1"


def test_instances_match_the_globs_by_id_or_by_name_tag(clients: Clients) -> None:
    api = launch(clients, "api-1")
    batch = launch(clients, "batch-1")
    unnamed = launch(clients)

    assert {f.labels["instance"] for f in run(clients, instances=["api-*"]).findings} == {api}
    assert {f.labels["instance"] for f in run(clients, instances=[unnamed, "batch-?"]).findings} == {unnamed, batch}


def test_terminated_instances_are_left_out_so_their_alerts_resolve_through_the_scope(clients: Clients) -> None:
    gone = launch(clients, "gone")
    clients.ec2.terminate_instances(InstanceIds=[gone])

    result = run(clients)

    assert result.findings == []
    assert result.covers(f"ec2_status:{ACCOUNT_ID}:us-east-1:{gone}:impaired")
    assert not result.covers(f"ec2_status:{ACCOUNT_ID}:eu-west-1:{gone}:impaired")


def test_every_page_of_instances_is_read_and_statuses_come_from_one_paginated_listing(moto: MotoHandle) -> None:
    clients = Clients(moto, instances_page_size=2)
    launched = {launch(clients, f"node-{index}") for index in range(5)}

    result = run(clients)

    assert {f.labels["instance"] for f in result.findings} == launched
    assert clients.calls == Counter({"DescribeInstances": 3, "DescribeInstanceStatus": 1})


def test_params_reject_unknown_keys() -> None:
    with pytest.raises(ValueError, match="instance_ids"):
        Ec2StatusParams.model_validate({"instance_ids": ["i-1"]})
