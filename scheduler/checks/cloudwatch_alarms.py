"""CloudWatch alarms in ALARM become firing findings; alarms that leave ALARM resolve theirs."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from bot.aws.metric_charts import alarm_chart
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


def alarm_finding(
    alarm: dict[str, Any], *, account_id: str, region: str, params: AlarmParams, account: str | None = None
) -> Finding:
    """The finding of one metric alarm as DescribeAlarms describes it; a pushed alarm state change read into that
    shape (bot/aws/alarm_events.py) gets the same fingerprint, so that both are one alert."""
    name = alarm["AlarmName"]
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    labels = {"alarm": name, "namespace": alarm.get("Namespace", ""), "metric": alarm.get("MetricName", "")}
    if "FunctionName" in dimensions:
        labels["function"] = dimensions["FunctionName"]
    evidence: dict[str, Any] = {"Reason": alarm.get("StateReason", "")}
    if alarm.get("MetricName"):
        statistic = f"({alarm['Statistic']})" if alarm.get("Statistic") else ""
        parts = (alarm.get("Namespace"), alarm["MetricName"], statistic, alarm.get("ComparisonOperator"))
        threshold = alarm.get("Threshold")
        evidence["Metric"] = " ".join(str(p) for p in (*parts, threshold) if p or p == 0)
    if dimensions:
        evidence["Dimensions"] = ", ".join(f"{k}={v}" for k, v in dimensions.items())
    resource = dimensions.get("FunctionName") or next(iter(dimensions.values()), name)
    chart = alarm_chart(alarm, account=account, region=region)
    return Finding(
        fingerprint=alarm_fingerprint(account_id, region, name),
        firing=alarm.get("StateValue") == "ALARM",
        title=f"Alarm {name}",
        severity=_severity(alarm, params.critical_when),
        summary=alarm.get("AlarmDescription") or "",
        resource=resource,
        account=account_id,
        region=region,
        labels=labels,
        links={"console": console_url(region, name)},
        evidence=evidence,
        started_at=alarm.get("StateUpdatedTimestamp"),
        tag_arns=tuple(arn for arn in (alarm.get("AlarmArn"), _function_arn(account_id, region, dimensions)) if arn),
        chart=chart.to_payload() if chart is not None else None,
    )


def _function_arn(account_id: str, region: str, dimensions: dict[str, str]) -> str | None:
    name = dimensions.get("FunctionName")
    return f"arn:aws:lambda:{region}:{account_id}:function:{name}" if name else None


def alarm_fingerprint(account_id: str, region: str, name: str) -> str:
    return f"cloudwatch_alarms:{account_id}:{region}:{name}"


def watches(params: AlarmParams, alarm_name: str) -> bool:
    """Whether a check with `params` looks at the alarm `alarm_name`."""
    return not params.name_prefix or alarm_name.startswith(params.name_prefix)


@check(
    "cloudwatch_alarms",
    service="cloudwatch",
    permissions=["cloudwatch:DescribeAlarms"],
    every="30s",
    params=AlarmParams,
    pushed=True,
)
def cloudwatch_alarms(ctx: CheckContext, params: AlarmParams) -> CheckResult:
    """CloudWatch metric alarms in ALARM."""
    kwargs: dict[str, Any] = {"AlarmTypes": ["MetricAlarm"]}
    if params.name_prefix:
        kwargs["AlarmNamePrefix"] = params.name_prefix
    findings: list[Finding] = []
    for page in ctx.client("cloudwatch").get_paginator("describe_alarms").paginate(**kwargs):
        findings.extend(
            alarm_finding(alarm, account_id=ctx.account_id, region=ctx.region, params=params, account=ctx.account)
            for alarm in page.get("MetricAlarms", [])
        )
    return CheckResult.of(findings, scope=alarm_fingerprint(ctx.account_id, ctx.region, ""))
