"""EC2 instances as the push tests and the detection bench need them: launched in moto, stopped by AWS, and the
EventBridge event that says so.

moto stops instances only as their user does (Client.UserInitiatedShutdown, which ec2_status leaves alone): an AWS
stop's reason is set on moto's instance, which lives in the process that runs moto (the sandbox's, the tests' and the
benches' all run it in process)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sandbox.aws.server import SANDBOX_ACCOUNT_ID, sandbox_client

RETIREMENT = "Server.ScheduledStop"
IMAGE_ID = "ami-0c02fb55956c7d316"


def launch(endpoint: str, region: str = "us-east-1") -> str:
    """A new instance's id."""
    ec2 = sandbox_client(endpoint, "ec2", region)
    return str(ec2.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"])


def stop_for_retirement(
    endpoint: str, instance: str, *, account: str = SANDBOX_ACCOUNT_ID, region: str = "us-east-1"
) -> None:
    """Stop `instance` through moto's API, then give it the state reason of a scheduled retirement."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.instances import StateReason

    sandbox_client(endpoint, "ec2", region).stop_instances(InstanceIds=[instance])
    stopped = ec2_backends[account][region].get_instance(instance)
    stopped.state_reason = StateReason(f"{RETIREMENT}: Stopped due to scheduled retirement", RETIREMENT)


def state_change(
    instance: str, state: str, *, account: str = SANDBOX_ACCOUNT_ID, region: str = "us-east-1"
) -> dict[str, Any]:
    """The "EC2 Instance State-change Notification" EventBridge sends when `instance` enters `state`."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "EC2 Instance State-change Notification",
        "source": "aws.ec2", "account": account, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region, "resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance}"],
        "detail": {"instance-id": instance, "state": state},
    }  # fmt: skip
