"""One check over one target, without the database: the probe that both engines, the Re-check button and
`boltwatch check --once` run (boto3 on the bounded AWS pool, within a timeout), and the labels every finding gets:
the account's configured name and the resource's tags."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.aws.errors import classify
from bot.aws.executor import AwsExecutor
from bot.aws.sessions import AwsSessions, AwsTarget
from bot.aws.tags import TagCache
from bot.core.error_groups import REGRESSED_AFTER
from bot.core.findings import CheckResult, Finding, LogCursorState
from bot.runtime.acks_first import AcksFirst, RunAllowance
from scheduler.registry import CheckContext, CheckFunction, ConfiguredCheck

log = logging.getLogger(__name__)


def check_timeout(configured: ConfiguredCheck) -> float:
    """Seconds one target's run may take: two intervals, at least 30 s."""
    return max(configured.every.total_seconds() * 2, 30)


async def probe_target(
    configured: ConfiguredCheck,
    target: AwsTarget,
    *,
    aws: AwsSessions,
    executor: AwsExecutor,
    tags: TagCache,
    clock: Callable[[], datetime],
    cursors: Mapping[str, LogCursorState] | None = None,
    allowance: RunAllowance | None = None,
    regressed_after: timedelta = REGRESSED_AFTER,
    live_groups: frozenset[str] = frozenset(),
    run: CheckFunction | None = None,
) -> CheckResult:
    """Run one check over one account and region: in a worker thread within its timeout, from the given log
    cursors, each finding labelled with the account's configured name and its resource's tags. Raises what the
    check raised; recording the result is the caller's. `run` replaces the check's own function (a live tail's
    events decided by the check's code)."""
    # Outside the bot (`check --once`) no Slack request waits for its ack: an allowance that never waits.
    allowance = allowance or AcksFirst().run()
    account_id = await executor.run(allowance.in_thread(aws.account_id), target.account)
    ctx = CheckContext(
        account=target.account,
        account_id=account_id,
        region=target.region,
        now=clock(),
        client_for=lambda service: aws.client(service, account=target.account, region=target.region),
        cursors=cursors or {},
        regressed_after=regressed_after,
        live_groups=live_groups,
    )
    check = allowance.in_thread(run or configured.type.run)
    async with asyncio.timeout(check_timeout(configured)):  # the thread runs on; its result is dropped
        result = await executor.run(check, ctx, configured.params)
    result = with_account_name(result, target.account)
    if any(f.tag_arns for f in result.findings):
        result = await with_resource_tags(result, target, aws=aws, executor=executor, tags=tags, allowance=allowance)
    return result


async def with_resource_tags(
    result: CheckResult,
    target: AwsTarget,
    *,
    aws: AwsSessions,
    executor: AwsExecutor,
    tags: TagCache,
    allowance: RunAllowance,
) -> CheckResult:
    """Add each finding's resource tags as labels (never replacing a label the check set); a tagging failure
    only costs the tags. Pushed findings are tagged the same way, so that they route as the polled ones do."""

    def read_tags() -> dict[str, dict[str, str]]:
        client = aws.client("resourcegroupstaggingapi", account=target.account, region=target.region)
        return tags.tags(target.account, target.region, client)

    try:
        found = await executor.run(allowance.in_thread(read_tags))
    except Exception as exc:
        log.warning("could not read tags in %s/%s: %s", target.account, target.region, classify(exc).message)
        return result
    return _relabelled(result, lambda f: with_tags(f, found))


def with_account_name(result: CheckResult, account: str) -> CheckResult:
    """Label every finding with the configured name of its account, which commands and buttons take."""
    return _relabelled(result, lambda f: replace(f, labels={**f.labels, "account_name": account}))


def _relabelled(result: CheckResult, relabel: Callable[[Finding], Finding]) -> CheckResult:
    """`result` with each finding replaced by `relabel(finding)` in its list, one at a time: a copy of the list
    would hold a run's ten thousand findings twice over while it is made."""
    findings = result.findings
    for index, finding in enumerate(findings):
        findings[index] = relabel(finding)
    return result


def with_tags(finding: Finding, tags: dict[str, dict[str, str]]) -> Finding:
    found = next((tags[arn] for arn in finding.tag_arns if tags.get(arn)), {})
    if not found:
        return finding
    return replace(finding, labels={**found, **finding.labels})
