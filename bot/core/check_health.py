"""Check health: the findings a check's own failures raise (its runs are recorded by `check_targets`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sqlalchemy.orm import Session

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from bot.store.models import CheckHealth

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
    account_ids: Mapping[str, str] | None = None,
) -> CheckResult:
    """Findings about the check itself: one per (account name, region); firing once it failed several runs in a row.
    Each carries its account's id where it is known (`account_ids`, by name), as the check's own findings do, so
    that an inhibit rule's `equal: [account, region]` pairs them."""
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
                account=(account_ids or {}).get(account, ""),
                region=region,
                labels={"failing_check": check, "account_name": account},
                evidence=evidence,
            )
        )
    return CheckResult.of(findings)


def record_cycle_seconds(session: Session, *, name: str, seconds: float) -> None:
    """How long the check's last run over every target took (`/boltwatch checks` warns when it exceeds the check's
    interval); a run over some targets (a Re-check) is not recorded."""
    health = session.get(CheckHealth, name)
    if health is not None:
        health.last_run_seconds = seconds
