"""Pure notification decisions with named reasons (Alertmanager's dedup stage, one message per group).

No I/O and no clock: every function takes what it needs, `now` included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.enums import IncidentStatus


class Reason(StrEnum):
    FIRST_NOTIFICATION = "first notification"
    NEW_ALERT_IN_GROUP = "new alert in group"
    ALERT_CHANGED = "alert changed"
    NEWLY_RESOLVED = "newly resolved"
    ALL_RESOLVED = "all resolved"
    REPEAT_DUE = "repeat due"
    SNOOZE_OVER = "snooze over"
    UNCHANGED = "unchanged"
    SILENCED = "silenced"
    INHIBITED = "inhibited"
    SNOOZED = "snoozed"
    FLAPPING = "flapping"


@dataclass(frozen=True)
class IncidentView:
    """What the decisions need to know about the incident an alert belongs to."""

    status: str
    posted: bool
    snoozed_until: datetime | None
    firing_alerts: int
    last_reminded_at: datetime | None
    opened_at: datetime


def decide_alert(
    *,
    was_firing: bool,
    firing: bool,
    silenced: bool,
    incident: IncidentView | None,
    now: datetime,
    changed: bool = False,
    flapping: bool = False,
    inhibited: bool = False,
) -> Reason:
    """What one observation of one alert means for the incident's message.

    `was_firing` is the alert's state before this observation (False for an alert never seen);
    `incident` is the open incident of its group, None when there is none yet; `changed` says that a firing
    alert now reads differently (its title, summary or severity: "3 errors" became "7 errors"); `flapping` says
    that the alert flaps and this observation changed its state: its incident stays open and hears nothing of it;
    `inhibited` says that a firing alert an inhibit rule names as its source inhibits it (recorded, not notified).
    """
    if silenced:
        return Reason.SILENCED
    if inhibited and firing:
        return Reason.INHIBITED
    if flapping and incident is not None:
        return Reason.FLAPPING
    if firing and not was_firing:
        if incident is None:
            return Reason.FIRST_NOTIFICATION
        if is_snoozed(incident, now):
            return Reason.SNOOZED
        return Reason.NEW_ALERT_IN_GROUP
    if not firing and was_firing:
        if incident is None:
            return Reason.UNCHANGED
        return Reason.ALL_RESOLVED if incident.firing_alerts <= 1 else Reason.NEWLY_RESOLVED
    if firing and changed and incident is not None and incident.posted:
        # Not yet posted: the pending post renders the alert as it is when sent.
        return Reason.SNOOZED if is_snoozed(incident, now) else Reason.ALERT_CHANGED
    return Reason.UNCHANGED


def decide_reminder(incident: IncidentView, *, repeat_interval: timedelta, now: datetime) -> Reason:
    """Whether a firing, unacknowledged incident is due a reminder in its thread."""
    if incident.status != IncidentStatus.OPEN or incident.firing_alerts == 0 or not incident.posted:
        return Reason.UNCHANGED
    if incident.snoozed_until is not None:
        if now < incident.snoozed_until:
            return Reason.SNOOZED
        return Reason.SNOOZE_OVER
    last = incident.last_reminded_at or incident.opened_at
    return Reason.REPEAT_DUE if now - last >= repeat_interval else Reason.UNCHANGED


def is_snoozed(incident: IncidentView, now: datetime) -> bool:
    return incident.snoozed_until is not None and now < incident.snoozed_until


def next_update_at(*, last_update_at: datetime | None, group_interval: timedelta, now: datetime) -> datetime:
    """Alert changes in a group coalesce into at most one message update per `group_interval`."""
    if last_update_at is None:
        return now
    return max(now, last_update_at + group_interval)
