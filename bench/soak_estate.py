"""The soak benchmark's bot: `python -m bench.soak_estate --config FILE [boltwatch run options]`, or its worker:
`python -m bench.soak_estate worker --config FILE [boltwatch worker options]`.

The real `boltwatch run` (or `boltwatch worker`), with one more check type, `soak_estate`, that stands in for a
large estate without AWS: `alerts` alerts over `alerts / per_incident` groups, firing; each run a rotating one in
`churn_every` of them clears (and fires again on the next run), so incidents see updates, flap samples and resolves
every cycle. As a real check should, it reports only what fires and lets its scope resolve the rest.
"""

from __future__ import annotations

import sys

from pydantic import BaseModel, ConfigDict, Field

from bot.cli import main
from bot.core.findings import CheckResult, Finding
from scheduler.registry import CheckContext, check


class SoakParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alerts: int = Field(default=10_000, ge=1)
    per_incident: int = Field(default=10, ge=1)
    channels: int = Field(default=20, ge=1)
    churn_every: int = Field(default=50, ge=2)


@check("soak_estate", service="sts", permissions=["sts:GetCallerIdentity"], every="15s", params=SoakParams)
def soak_estate(ctx: CheckContext, params: SoakParams) -> CheckResult:
    """A synthetic estate: many firing alerts, a few clearing each run."""
    cycle = int(ctx.now.timestamp() // 15)
    scope = f"soak_estate:{ctx.account_id}:{ctx.region}:"
    group = params.per_incident
    findings = [
        Finding(
            fingerprint=f"{scope}resource-{i}",
            firing=True,
            title=f"resource-{i}: 3 errors in 5m",
            summary="3 errors in 5m",
            resource=f"resource-{i}",
            account=ctx.account_id,
            region=ctx.region,
            # The team follows the service, so that a group (route + service) holds `per_incident` alerts.
            labels={"service": f"service-{i // group}", "team": f"team-{i // group % params.channels}"},
            links={"console": f"https://console.aws.amazon.com/resource-{i}"},
            evidence={"Errors": "3 of 120 invocations"},
        )
        for i in range(params.alerts)
        if (i + cycle) % params.churn_every
    ]
    return CheckResult.of(findings, scope=scope)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments if arguments[:1] == ["worker"] else ["run", *arguments]))
