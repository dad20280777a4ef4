"""`boltwatch check TYPE --once`: run one check now, print its findings and the message it would post."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.aws.errors import classify
from bot.aws.sessions import AwsSessions
from bot.aws.settings import AwsSettings
from bot.blocks.incident import incident_message
from bot.config import CheckSettings, ConfigError, FileSettings
from bot.core.findings import Finding
from bot.enums import IncidentStatus
from bot.views.incident import AlertLine, IncidentSnapshot
from scheduler.registry import CheckContext, configure_checks


def run_check_once(check_type: str, file_settings: FileSettings | None) -> int:
    configured_checks = [c for c in (file_settings.checks if file_settings else []) if c.type == check_type]
    try:
        [check] = configure_checks(configured_checks[:1] or [CheckSettings(type=check_type)])
    except ConfigError as exc:
        if not configured_checks:
            exc.problems.append(f"(add a `type: {check_type}` entry with its params to a config and pass --config)")
        raise
    aws = AwsSessions(file_settings.aws if file_settings else AwsSettings())
    now = datetime.now(UTC)
    findings: list[Finding] = []
    failed = 0
    for target in aws.targets():
        try:
            ctx = CheckContext(
                account=target.account,
                account_id=aws.account_id(target.account),
                region=target.region,
                now=now,
                client_for=lambda service, t=target: aws.client(service, account=t.account, region=t.region),
            )
            findings.extend(check.type.run(ctx, check.params).findings)
        except Exception as exc:
            failed += 1
            print(f"{target.account} / {target.region}: {classify(exc).message}")
    firing = [f for f in findings if f.firing]
    print(f"{check.name}: {len(firing)} firing, {len(findings) - len(firing)} not firing, {failed} targets failed")
    for finding in firing:
        where = f"{finding.resource} ({finding.account}/{finding.region})"
        print(f"  FIRING {finding.severity.value}: {finding.title} — {where}")
    if firing:
        text, blocks = incident_message(_snapshot(firing, now), now=now)
        print(
            "\nThe Slack message it would post:\n" + json.dumps({"text": text, "blocks": blocks}, indent=2, default=str)
        )
    return 1 if failed else 0


def _snapshot(firing: list[Finding], now: datetime) -> IncidentSnapshot:
    alerts = [
        AlertLine(
            f.title,
            f.severity,
            True,
            f.summary,
            f.resource,
            f.account,
            f.region,
            f.started_at or now,
            dict(f.labels),
            dict(f.links),
            dict(f.evidence),
        )
        for f in firing
    ]
    lead = min(firing, key=lambda f: f.severity.rank)
    return IncidentSnapshot(
        0, lead.title, lead.severity, IncidentStatus.OPEN, "", "preview", now, None, None, None, None, None, alerts
    )
