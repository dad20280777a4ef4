"""CloudWatch runbook actions for `cloudwatch_alarms` findings: pause an alarm's actions for a while (it goes on
evaluating, but notifies and triggers nothing), Boltwatch enabling them again by itself when the time is up; and
resume them early.

`metric_threshold` findings get neither: they are Boltwatch's own thresholds over GetMetricData, not an alarm."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from botocore.client import BaseClient
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.aws.runbook import Lookup, NotApplicable, Progress, Remember, UndoAfter, VerifyPoll
from bot.durations import Duration, format_duration
from scheduler.registry import action

ALARM = r"^[^<>&\x00-\x1f\x7f]{1,255}$"
"""CloudWatch's alarm names, but for `<`, `>` and `&`: an action's resource shows in Slack text as it is."""
SHORTEST_PAUSE = timedelta(minutes=5)
LONGEST_PAUSE = timedelta(hours=24)
ACTION_KINDS = (("ALARM", "AlarmActions"), ("OK", "OKActions"), ("INSUFFICIENT_DATA", "InsufficientDataActions"))


class AlarmParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alarm: str = Field(pattern=ALARM, description="the alarm's name (the alert's `alarm` label)")


def _a_pause(duration: timedelta) -> timedelta:
    if not SHORTEST_PAUSE <= duration <= LONGEST_PAUSE:
        raise ValueError(f"a pause lasts from 5m to 24h, not {format_duration(duration)}")
    return duration


PauseDuration = Annotated[Duration, AfterValidator(_a_pause)]


class PauseTarget(AlarmParams):
    duration: PauseDuration = Field(default=timedelta(hours=1), title="Pause for", description="5m to 24h: 30m, 2h")


class PauseParams(PauseTarget):
    actions: str = Field(min_length=1, description="what the alarm's actions are, as read when confirming")


def _alarm(params: AlarmParams) -> str:
    return params.alarm


def _alarm_names(params: AlarmParams) -> dict[str, Any]:
    return {"AlarmNames": [params.alarm]}


def _enabled_before(response: dict[str, Any]) -> dict[str, Any]:
    alarms = response.get("MetricAlarms") or [{}]
    return {"actions_enabled": alarms[0].get("ActionsEnabled")}


def _actions_state(cloudwatch: BaseClient, params: dict[str, Any], *, wanted: bool) -> Progress:
    """Whether the alarm's ActionsEnabled is `wanted` yet (botocore has no waiter for it)."""
    alarms = cloudwatch.describe_alarms(**params).get("MetricAlarms") or []
    if not alarms:
        return Progress(done=True, text="the alarm is gone")
    enabled = bool(alarms[0].get("ActionsEnabled"))
    return Progress(done=enabled == wanted, text=f"actions enabled: {enabled}", ok=enabled == wanted)


def _actions_disabled(cloudwatch: BaseClient, params: dict[str, Any]) -> Progress:
    return _actions_state(cloudwatch, params, wanted=False)


def _actions_enabled(cloudwatch: BaseClient, params: dict[str, Any]) -> Progress:
    return _actions_state(cloudwatch, params, wanted=True)


READ_ALARMS = ("cloudwatch:DescribeAlarms",)
ACTIONS_DISABLED = VerifyPoll("alarm_actions_disabled", _actions_disabled, _alarm_names, READ_ALARMS, 12, 5)
ACTIONS_ENABLED = VerifyPoll("alarm_actions_enabled", _actions_enabled, _alarm_names, READ_ALARMS, 12, 5)


def alarm_actions(client: BaseClient, target: PauseTarget) -> dict[str, Any]:
    """The alarm's actions in words; NotApplicable when there is no such alarm, its actions are off already, or it
    has none (blocking)."""
    alarms = client.describe_alarms(**_alarm_names(target)).get("MetricAlarms") or []
    if not alarms:
        raise NotApplicable(f"There is no metric alarm named {target.alarm} in this account and region.")
    alarm = alarms[0]
    if not alarm.get("ActionsEnabled", True):
        raise NotApplicable(
            f"The actions of alarm {target.alarm} are disabled already: nothing to pause. "
            f"(alarm_actions_resume, or the CloudWatch console, enables them.)"
        )
    listed = [f"on {state}: {', '.join(alarm[key])}" for state, key in ACTION_KINDS if alarm.get(key)]
    if not listed:
        raise NotApplicable(f"Alarm {target.alarm} has no actions: pausing them would change nothing.")
    return {"actions": "; ".join(listed)}


REENABLE = UndoAfter(
    after=lambda params: params.duration,
    operation="EnableAlarmActions",
    request=_alarm_names,
    done="The actions of alarm {resource} are enabled again",
    started_by="paused by",
    verify=ACTIONS_ENABLED,
)
"""When the pause is up, Boltwatch enables the alarm's actions again by itself."""


@action(
    "alarm_actions_pause",
    title="Pause alarm actions",
    applies_to=["cloudwatch_alarms"],
    service="cloudwatch",
    operation="DisableAlarmActions",
    permissions=["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions", "cloudwatch:DescribeAlarms"],
    params=PauseParams,
    resource=_alarm,
    confirm="Pause the actions of alarm {resource} ({actions}) for the time below. The alarm goes on evaluating "
    "and changing state, and Boltwatch goes on alerting here, but the alarm notifies and triggers nothing until "
    "its actions are enabled again: by Boltwatch itself when the pause is up.",
    reversible="alarm_actions_resume enables the actions at once; otherwise Boltwatch does when the pause is up",
    change="actions off for {duration}",
    lookup=Lookup(PauseTarget, alarm_actions),
    editable=["duration"],
    remember=Remember("DescribeAlarms", _alarm_names, _enabled_before),
    verify=ACTIONS_DISABLED,
    undo_after=REENABLE,
)
def alarm_actions_pause(params: PauseParams) -> dict[str, Any]:
    """Stop a flapping or known alarm from paging for a while, without deleting or changing it."""
    return _alarm_names(params)


@action(
    "alarm_actions_resume",
    title="Resume alarm actions",
    applies_to=["cloudwatch_alarms"],
    service="cloudwatch",
    operation="EnableAlarmActions",
    permissions=["cloudwatch:EnableAlarmActions"],
    params=AlarmParams,
    resource=_alarm,
    confirm="Enable the actions of alarm {resource} now, ending the pause alarm_actions_pause began: its next "
    "state change notifies and triggers its actions again, and Boltwatch's own re-enable at the end of the pause "
    "is called off.",
    reversible="alarm_actions_pause again",
    change="actions on",
    restores="alarm_actions_pause",
    verify=ACTIONS_ENABLED,
)
def alarm_actions_resume(params: AlarmParams) -> dict[str, Any]:
    """End a pause of an alarm's actions before its time."""
    return _alarm_names(params)
