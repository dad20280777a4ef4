"""moto's instances taught to fail their status checks (sandbox/aws/impaired_instances.py): an impaired instance
reports it as EC2 does, the ec2_status check alerts on it, and a reboot clears it (what ec2_reboot's waiter sees)."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.client import BaseClient

from sandbox.aws.estate import INSTANCE_IMAGE_ID
from sandbox.aws.impaired_instances import impair_instance
from sandbox.aws.server import MotoHandle, sandbox_client
from scheduler.checks.ec2_status import Ec2StatusParams, ec2_status
from scheduler.registry import CheckContext


def status_of(ec2: BaseClient, instance: str) -> dict:
    [status] = ec2.describe_instance_status(InstanceIds=[instance], IncludeAllInstances=True)["InstanceStatuses"]
    return dict(status)


def test_an_impaired_instance_fails_its_instance_status_check_until_it_is_rebooted(moto: MotoHandle) -> None:
    ec2 = sandbox_client(moto.endpoint, "ec2")
    instance = ec2.run_instances(ImageId=INSTANCE_IMAGE_ID, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    before = datetime.now(UTC).replace(microsecond=0)  # EC2 gives seconds

    impair_instance(instance)

    status = status_of(ec2, instance)
    assert status["InstanceStatus"]["Status"] == "impaired" and status["SystemStatus"]["Status"] == "ok"
    [detail] = status["InstanceStatus"]["Details"]
    assert detail["Name"] == "reachability" and detail["Status"] == "failed" and detail["ImpairedSince"] >= before
    ctx = CheckContext("default", "123456789012", "us-east-1", datetime.now(UTC), client_for=lambda _: ec2)
    [impaired] = [f for f in ec2_status(ctx, Ec2StatusParams()).findings if f.labels["problem"] == "impaired"]
    assert impaired.firing and impaired.title.endswith("Instance status check impaired")

    ec2.reboot_instances(InstanceIds=[instance])

    assert status_of(ec2, instance)["InstanceStatus"]["Status"] == "ok"
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=[instance], WaiterConfig={"Delay": 1, "MaxAttempts": 2})
