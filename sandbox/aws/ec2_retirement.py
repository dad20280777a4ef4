"""An instance AWS stops, as EC2 stops one at a scheduled retirement. moto stops instances only as their user does
(Client.UserInitiatedShutdown, which ec2_status leaves alone): the reason is set on moto's instance, which lives in
the process that runs moto (the sandbox's, the tests' and the benches' all run it in process)."""

from __future__ import annotations

from sandbox.aws.server import SANDBOX_ACCOUNT_ID, sandbox_client

RETIREMENT = "Server.ScheduledStop"


def stop_for_retirement(
    endpoint: str, instance: str, *, account: str = SANDBOX_ACCOUNT_ID, region: str = "us-east-1"
) -> None:
    """Stop `instance` through moto's API, then give it the state reason of a scheduled retirement."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.instances import StateReason

    sandbox_client(endpoint, "ec2", region).stop_instances(InstanceIds=[instance])
    stopped = ec2_backends[account][region].get_instance(instance)
    stopped.state_reason = StateReason(f"{RETIREMENT}: Stopped due to scheduled retirement", RETIREMENT)
