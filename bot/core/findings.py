"""What a check run observes: findings, and the fingerprints the run covered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.enums import Severity
from bot.views.error_groups import GroupSummary


@dataclass(frozen=True)
class Finding:
    """One observation of one check run; transient. `labels` are what routes match and group on."""

    fingerprint: str
    firing: bool
    title: str
    severity: Severity = Severity.WARNING
    summary: str = ""
    resource: str = ""
    account: str = ""
    region: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    tag_arns: tuple[str, ...] = ()
    notify: bool = True
    """False: recorded as an alert (for lists and digests) but never posted as an incident."""
    """ARNs whose tags become labels (the first ARN with a tag wins), so routes can match team or owner tags."""
    chart: Mapping[str, Any] | None = None
    """What a chart of this alert shows (`bot.aws.metric_charts.ChartRequest` as a payload): drawn at fire and
    at resolve."""

    def all_labels(self, check: str) -> dict[str, str]:
        """The finding's labels plus the ones every finding has."""
        base = {
            "check": check,
            "severity": self.severity.value,
            "account": self.account,
            "region": self.region,
            "resource": self.resource,
        }
        return base | dict(self.labels)


@dataclass(frozen=True)
class LogCursorState:
    """Where a scan of one log group stands: the newest timestamp read, the event ids read near it (so an
    overlapping re-read neither skips late events nor repeats any), and what the check remembers."""

    timestamp_ms: int
    seen_event_ids: tuple[str, ...] = ()
    memory: Mapping[str, Any] = field(default_factory=dict)


CursorKey = tuple[str, str, str]
"""(account name, region, log group)."""


@dataclass(frozen=True)
class CheckResult:
    """Findings plus every fingerprint the run looked at: covered but not firing means resolved."""

    findings: list[Finding]
    covered: frozenset[str]
    scopes: tuple[str, ...] = ()
    cursors: Mapping[CursorKey, LogCursorState] = field(default_factory=dict)
    error_groups: Mapping[str, tuple[GroupSummary, ...]] = field(default_factory=dict)
    """The error groups a log-reading run saw, by source (`account/region/log group`): remembered like those of
    `/errors`, so that both, and the digest, agree on which groups are new."""

    @classmethod
    def of(
        cls, findings: list[Finding], covered: set[str] | frozenset[str] | None = None, scope: str | None = None
    ) -> CheckResult:
        """`scope`: a fingerprint prefix the run saw completely, so that firing alerts under it that were not
        reported at all (a deleted alarm, a removed function) resolve too."""
        fingerprints = {f.fingerprint for f in findings}
        scopes = (scope,) if scope else ()
        return cls(findings=findings, covered=frozenset(fingerprints | set(covered or ())), scopes=scopes)

    def merge(self, other: CheckResult) -> CheckResult:
        return CheckResult(
            self.findings + other.findings,
            self.covered | other.covered,
            self.scopes + other.scopes,
            {**self.cursors, **other.cursors},
            {**self.error_groups, **other.error_groups},
        )

    def covers(self, fingerprint: str) -> bool:
        return fingerprint in self.covered or any(fingerprint.startswith(scope) for scope in self.scopes)
