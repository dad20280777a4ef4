"""Check health: when each check last ran, last succeeded, and how many runs in a row failed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from bot.store.models import CheckHealth


def record_run(
    session: Session,
    *,
    name: str,
    check_type: str,
    now: datetime,
    error: str | None,
    firing: int,
    every_target: bool = True,
    seconds: float | None = None,
) -> CheckHealth:
    """Record one run that took `seconds`. A run over some of the targets (a Re-check) counts as a run and its
    failure as a failure, but its success clears neither the failures nor the firing count of the targets it did not
    run, and its time says nothing of a whole cycle's."""
    health = session.get(CheckHealth, name)
    if health is None:
        health = CheckHealth(name=name, check_type=check_type, consecutive_failures=0, findings_firing=0)
        session.add(health)
    health.check_type, health.last_run_at = check_type, now
    if every_target:
        health.findings_firing = firing
        if seconds is not None:
            health.last_run_seconds = seconds
    if error is not None:
        health.last_error = error
        health.consecutive_failures = (health.consecutive_failures or 0) + 1
    elif every_target or not health.consecutive_failures:
        health.last_ok_at, health.last_error, health.consecutive_failures = now, None, 0
    return health


FAILURES_BEFORE_INCIDENT = 3


class CheckProblem(Protocol):
    """Why a check failed in one place, as its health finding tells it. The runner passes the AWS layer's classified
    errors (`bot.aws.errors.AwsProblem`), which have these two attributes: the core reads them without knowing AWS."""

    @property
    def message(self) -> str: ...

    @property
    def iam_action(self) -> str | None: ...


def health_result(
    *,
    check: str,
    targets: list[tuple[str, str]],
    problems: Mapping[tuple[str, str], CheckProblem],
    consecutive_failures: int,
) -> CheckResult:
    """Findings about the check itself: one per (account name, region); firing once it failed several runs in a row."""
    findings = []
    for account, region in targets:
        problem = problems.get((account, region))
        firing = problem is not None and consecutive_failures >= FAILURES_BEFORE_INCIDENT
        evidence: dict[str, str] = {}
        if problem is not None:
            evidence = {"AWS error": problem.message, "Failed runs in a row": str(consecutive_failures)}
            if problem.iam_action:
                evidence["Missing IAM action"] = problem.iam_action
        findings.append(
            Finding(
                fingerprint=f"check_health:{check}:{account}:{region}",
                firing=firing,
                title=f"Check {check} is failing in {account} / {region}",
                severity=Severity.WARNING,
                summary=problem.message if problem else "",
                resource=f"check {check}",
                region=region,
                labels={"failing_check": check, "account_name": account},
                evidence=evidence,
            )
        )
    return CheckResult.of(findings)
