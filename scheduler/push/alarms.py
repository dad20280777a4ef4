"""A pushed CloudWatch alarm state change → the finding the `cloudwatch_alarms` check makes of the same alarm, as
the check configured to watch it: same fingerprint, labels, severity, so that push and poll are one alert."""

from __future__ import annotations

from dataclasses import dataclass

from bot.aws.alarm_events import AlarmChange
from bot.core.findings import Finding
from scheduler.checks.cloudwatch_alarms import AlarmParams, alarm_finding, watches
from scheduler.registry import ConfiguredCheck

ALARM_CHECK = "cloudwatch_alarms"


@dataclass(frozen=True)
class AlarmWatcher:
    """The check a pushed alarm is observed as: its configured name and params."""

    name: str
    params: AlarmParams


def watcher_of(checks: list[ConfiguredCheck], alarm_name: str) -> AlarmWatcher | None:
    """The first `cloudwatch_alarms` check that watches `alarm_name` (its `name_prefix`); with none configured, the
    type's defaults. None when checks are configured and none watches it: its poll would resolve what push opened."""
    configured = [c for c in checks if c.type.name == ALARM_CHECK]
    if not configured:
        return AlarmWatcher(ALARM_CHECK, AlarmParams())
    return next((AlarmWatcher(c.name, c.params) for c in configured if watches(c.params, alarm_name)), None)


def pushed_finding(change: AlarmChange, watcher: AlarmWatcher) -> Finding:
    return alarm_finding(change.alarm, account_id=change.account_id, region=change.region, params=watcher.params)
