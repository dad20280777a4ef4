"""Impaired EC2 status checks for moto's server, so that the sandbox can show an instance that needs a reboot.

moto (5.2.6) reports every running instance's status checks as passed. `install()` lets an instance that
`impair_instance` marked report its instance status check as AWS does when the operating system stops answering
(`impaired`, reachability failed since the moment it was marked) until RebootInstances restarts it (or it stops);
then its checks pass again, at once rather than after AWS's minutes of `initializing`. moto keeps its state in this
process, so the mark is made there, not over HTTP. Drop this module if moto learns to impair an instance.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.instances import Instance

from sandbox.aws.server import SANDBOX_ACCOUNT_ID

MARK = "sandbox_impaired_since"
RUNNING = 16


def install() -> None:
    """Make moto's instances impairable (once; before its server starts)."""
    if getattr(Instance, "sandbox_impairable", False):
        return
    passed = Instance.instance_status.fget
    reboot, stop = Instance.reboot, Instance.stop

    def instance_status(instance: Instance) -> dict[str, Any]:
        since = instance.__dict__.get(MARK)
        if since is None or instance.state_code != RUNNING:
            return passed(instance)  # type: ignore[misc]
        failed = {"Name": "reachability", "Status": "failed", "ImpairedSince": since}
        return {"Status": "impaired", "Details": [failed]}

    def rebooted(instance: Instance) -> None:
        reboot(instance)
        instance.__dict__.pop(MARK, None)

    def stopped(instance: Instance) -> Any:
        instance.__dict__.pop(MARK, None)
        return stop(instance)

    Instance.instance_status = property(instance_status)  # type: ignore[assignment,method-assign]
    Instance.reboot = rebooted  # type: ignore[method-assign]
    Instance.stop = stopped  # type: ignore[method-assign]
    Instance.sandbox_impairable = True  # type: ignore[attr-defined]


def impair_instance(instance_id: str, region: str = "us-east-1", account_id: str = SANDBOX_ACCOUNT_ID) -> None:
    """Fail the instance's instance status check (moto's, in this process) until it is rebooted."""
    instance = ec2_backends[account_id][region].get_instance(instance_id)
    instance.__dict__.setdefault(MARK, datetime.now(UTC))
