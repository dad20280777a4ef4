"""The sandbox's Lambda functions, one module each."""

from __future__ import annotations

from sandbox.aws.functions import image_resizer, invoice_renderer, orders_api, payments_worker
from sandbox.aws.workload import Workload

WORKLOADS: tuple[Workload, ...] = (
    orders_api.WORKLOAD,
    payments_worker.WORKLOAD,
    invoice_renderer.WORKLOAD,
    image_resizer.WORKLOAD,
)


def workload_named(name: str) -> Workload:
    for workload in WORKLOADS:
        if workload.name == name:
            return workload
    known = ", ".join(workload.name for workload in WORKLOADS)
    raise LookupError(f"{name!r} is not a sandbox function; the sandbox has {known}")
