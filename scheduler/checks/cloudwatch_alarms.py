"""CloudWatch alarms in ALARM become firing findings; alarms that leave ALARM resolve theirs."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from bot.core.findings import CheckResult, Finding
from bot.enums import Severity
from scheduler.registry import CheckContext, check


class AlarmParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_prefix: str | None = Field(default=None, description="only alarms whose name starts with this")
    critical_when: list[str] = Field(
        default_factory=lambda: ["critical", "sev1", "p1"],
        description="an alarm whose name or description contains one of these words is critical",
    )


def console_url(region: str, alarm_name: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{quote(alarm_name, safe='')}"
    )


def _severity(alarm: dict[str, Any], words: list[str]) -> Severity:
    text = f"{alarm.get('AlarmName', '')} {alarm.get('AlarmDescription', '')}".lower()
    return Severity.CRITICAL if any(word in text for word in words) else Severity.WARNING


def _finding(ctx: CheckContext, alarm: dict[str, Any], params: AlarmParams) -> Finding:
    name = alarm["AlarmName"]
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    labels = {"alarm": name, "namespace": alarm.get("Namespace", ""), "metric": alarm.get("MetricName", "")}
    if "FunctionName" in dimensions:
        labels["function"] = dimensions["FunctionName"]
    evidence: dict[str, Any] = {"Reason": alarm.get("StateReason", "")}
    if alarm.get("MetricName"):
        comparison = alarm.get("ComparisonOperator", "")
        evidence["Metric"] = (
            f"{alarm.get('Namespace', '')} {alarm['MetricName']} ({alarm.get('Statistic', '')}) "
            f"{comparison} {alarm.get('Threshold', '')}"
        )
    if dimensions:
        evidence["Dimensions"] = ", ".join(f"{k}={v}" for k, v in dimensions.items())
    resource = dimensions.get("FunctionName") or next(iter(dimensions.values()), name)
    return Finding(
        fingerprint=f"cloudwatch_alarms:{ctx.account_id}:{ctx.region}:{name}",
        firing=alarm.get("StateValue") == "ALARM",
        title=f"Alarm {name}",
        severity=_severity(alarm, params.critical_when),
        summary=alarm.get("AlarmDescription") or "",
        resource=resource,
        account=ctx.account_id,
        region=ctx.region,
        labels=labels,
        links={"console": console_url(ctx.region, name)},
        evidence=evidence,
        started_at=alarm.get("StateUpdatedTimestamp"),
        tag_arns=tuple(arn for arn in (alarm.get("AlarmArn"), _function_arn(ctx, dimensions)) if arn),
    )


def _function_arn(ctx: CheckContext, dimensions: dict[str, str]) -> str | None:
    name = dimensions.get("FunctionName")
    return f"arn:aws:lambda:{ctx.region}:{ctx.account_id}:function:{name}" if name else None


@check(
    "cloudwatch_alarms",
    service="cloudwatch",
    permissions=["cloudwatch:DescribeAlarms"],
    every="30s",
    params=AlarmParams,
)
def cloudwatch_alarms(ctx: CheckContext, params: AlarmParams) -> CheckResult:
    """CloudWatch metric alarms in ALARM."""
    kwargs: dict[str, Any] = {"AlarmTypes": ["MetricAlarm"]}
    if params.name_prefix:
        kwargs["AlarmNamePrefix"] = params.name_prefix
    findings: list[Finding] = []
    for page in ctx.client("cloudwatch").get_paginator("describe_alarms").paginate(**kwargs):
        findings.extend(_finding(ctx, alarm, params) for alarm in page.get("MetricAlarms", []))
    return CheckResult.of(findings, scope=f"cloudwatch_alarms:{ctx.account_id}:{ctx.region}:")
