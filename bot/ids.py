"""Every slash command, event, action id and callback id the bot handles, and the typed payload of every button.

These are a public contract: messages posted months ago still carry them; never rename a released one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum


class Command(StrEnum):
    LOGS = "/logs"
    ERRORS = "/errors"
    WAIT = "/wait"
    BOLTWATCH = "/boltwatch"


class EventType(StrEnum):
    """The Events API events the bot subscribes to."""

    APP_HOME_OPENED = "app_home_opened"


class ActionId(StrEnum):
    INCIDENT_ACK = "incident_ack"
    INCIDENT_RESOLVE = "incident_resolve"
    INCIDENT_SNOOZE = "incident_snooze"
    INCIDENT_REOPEN = "incident_reopen"
    INCIDENT_LOGS = "incident_logs"
    INCIDENT_ERRORS = "incident_errors"
    INCIDENT_ALERTS = "incident_alerts"
    INCIDENT_CONSOLE = "incident_console"
    WAIT_CANCEL = "wait_cancel"
    ERRORS_SAMPLES = "errors_samples"
    LOGS_OLDER = "logs_older"
    LOGS_NEWER = "logs_newer"
    LOGS_GROUP_ERRORS = "logs_group_errors"
    LOGS_LIVE_STOP = "logs_live_stop"
    COMMAND_PICK = "command_pick"
    BEST_PRACTICE_MUTE = "best_practice_mute"
    BEST_PRACTICE_ACCEPT = "best_practice_accept"
    BEST_PRACTICE_RECHECK = "best_practice_recheck"
    MUTE_CONFIRM = "mute_confirm"
    MUTE_CANCEL = "mute_cancel"
    MAINTENANCE_CONFIRM = "maintenance_confirm"
    MAINTENANCE_CANCEL = "maintenance_cancel"
    INCIDENT_RUN = "incident_run"


class CallbackId(StrEnum):
    SNOOZE_MODAL = "incident_snooze_modal"
    ACCEPT_RISK_MODAL = "best_practice_accept_modal"
    ACTION_CONFIRM = "action_confirm"


class BadPayload(ValueError):
    """A button value that is not one of ours (forged, or from a newer release)."""


_INCIDENT_VALUE = re.compile(r"incident:([0-9]{1,18})(?::snooze:([a-z0-9]{1,12}))?")


@dataclass(frozen=True)
class IncidentButton:
    """The value every incident button carries: which incident, and for Snooze the chosen duration."""

    incident_id: int
    snooze: str | None = None

    def encode(self) -> str:
        return f"incident:{self.incident_id}" + (f":snooze:{self.snooze}" if self.snooze else "")

    @classmethod
    def parse(cls, value: str | None) -> IncidentButton:
        match = _INCIDENT_VALUE.fullmatch(value or "")
        if match is None:
            raise BadPayload(f"not an incident button value: {value!r}")
        return cls(int(match.group(1)), match.group(2))


_NUMBERED_VALUE = re.compile(r"([a-z_]+):([0-9]{1,18})")


def _number_after(prefix: str, value: str | None, what: str) -> int:
    """The N of a `prefix:N` button value (ASCII digits, whole value); BadPayload for anything else."""
    match = _NUMBERED_VALUE.fullmatch(value or "")
    if match is None or match.group(1) != prefix:
        raise BadPayload(f"not {what} button value: {value!r}")
    return int(match.group(2))


@dataclass(frozen=True)
class WaitButton:
    """The value of a `/wait` message's Cancel button: which wait job."""

    job_id: int

    def encode(self) -> str:
        return f"wait:{self.job_id}"

    @classmethod
    def parse(cls, value: str | None) -> WaitButton:
        return cls(_number_after("wait", value, "a wait"))


@dataclass(frozen=True)
class ErrorGroupButton:
    """The value of an `/errors` group's Show samples button: which error group."""

    group_id: int

    def encode(self) -> str:
        return f"error_group:{self.group_id}"

    @classmethod
    def parse(cls, value: str | None) -> ErrorGroupButton:
        return cls(_number_after("error_group", value, "an error group"))


@dataclass(frozen=True)
class LogsPage:
    """The value of the Older / Newer / Group errors buttons under a `/logs` answer: which window of which group."""

    account: str
    region: str
    log_group: str
    start_ms: int
    end_ms: int
    limit: int
    filter_text: str | None = None

    def encode(self) -> str:
        fields = [self.account, self.region, self.log_group, self.start_ms, self.end_ms, self.limit, self.filter_text]
        return json.dumps(fields, separators=(",", ":"))[:2000]

    @classmethod
    def parse(cls, value: str | None) -> LogsPage:
        try:
            account, region, group, start, end, limit, text = json.loads(value or "")
            page = cls(str(account), str(region), str(group), int(start), int(end), int(limit), text and str(text))
        except (ValueError, TypeError) as exc:
            raise BadPayload(f"not a logs page value: {value!r}") from exc
        if not (0 <= page.start_ms < page.end_ms and 1 <= page.limit <= 1000 and page.log_group):
            raise BadPayload(f"not a logs page value: {value!r}")
        return page


@dataclass(frozen=True)
class CommandPick:
    """A button that runs a command again with one of several matching targets filled in."""

    command: str
    text: str

    def encode(self) -> str:
        return json.dumps([self.command, self.text], separators=(",", ":"))

    @classmethod
    def parse(cls, value: str | None) -> CommandPick:
        try:
            command, text = json.loads(value or "")
        except (ValueError, TypeError) as exc:
            raise BadPayload(f"not a command pick: {value!r}") from exc
        if command not in {Command.LOGS.value, Command.ERRORS.value}:
            raise BadPayload(f"not a command pick: {value!r}")
        return cls(command, str(text))


MAX_MUTE_TARGET = 256
MAX_MUTE_REASON = 500
MAX_MUTE_SECONDS = 30 * 86400
_MARKUP_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


@dataclass(frozen=True)
class MuteButton:
    """The value of Confirm under `/boltwatch mute` of a target that matches nothing known: the parsed request
    (its length counts from the click)."""

    target: str
    seconds: int
    reason: str = ""

    def encode(self) -> str:
        text = json.dumps(["mute", self.target, self.seconds, self.reason], separators=(",", ":"), ensure_ascii=False)
        # What people typed, kept from reading as Slack markup (`<!here>`) wherever the value is shown or logged.
        return text.translate(_MARKUP_SAFE)

    @classmethod
    def parse(cls, value: str | None) -> MuteButton:
        try:
            kind, target, seconds, reason = json.loads(value or "")
        except (ValueError, TypeError) as exc:
            raise BadPayload(f"not a mute button value: {value!r}") from exc
        if not (
            kind == "mute" and isinstance(target, str) and type(seconds) is int and isinstance(reason, str)
            and 0 < len(target) <= MAX_MUTE_TARGET and 0 < seconds <= MAX_MUTE_SECONDS
            and len(reason) <= MAX_MUTE_REASON
        ):  # fmt: skip
            raise BadPayload(f"not a mute button value: {value!r}")
        return cls(target, seconds, reason)


MAX_MAINTENANCE_AHEAD = 365 * 86400
"""The furthest ahead a maintenance window made in Slack may start."""


@dataclass(frozen=True)
class MaintenanceButton:
    """The value of Confirm under `/boltwatch maintenance`'s preview: the parsed request, its start in Unix seconds."""

    target: str
    start: int
    seconds: int
    reason: str = ""

    def encode(self) -> str:
        request = ["maintenance", self.target, self.start, self.seconds, self.reason]
        return json.dumps(request, separators=(",", ":"), ensure_ascii=False).translate(_MARKUP_SAFE)

    @classmethod
    def parse(cls, value: str | None) -> MaintenanceButton:
        try:
            kind, target, start, seconds, reason = json.loads(value or "")
        except (ValueError, TypeError) as exc:
            raise BadPayload(f"not a maintenance button value: {value!r}") from exc
        if not (
            kind == "maintenance" and isinstance(target, str) and type(start) is int and type(seconds) is int
            and isinstance(reason, str) and 0 < len(target) <= MAX_MUTE_TARGET and 0 < seconds <= MAX_MUTE_SECONDS
            and 0 < start < 2**33 and len(reason) <= MAX_MUTE_REASON
        ):  # fmt: skip
            raise BadPayload(f"not a maintenance button value: {value!r}")
        return cls(target, start, seconds, reason)


_BEST_PRACTICE_VALUE = re.compile(r"^bp:(best_practices:\d{12}:[a-z0-9-]{1,30}:[a-z0-9_]{1,40}:.+)$", re.DOTALL)
MAX_FINGERPRINT = 200
"""The alerts table's limit."""


@dataclass(frozen=True)
class BestPracticeButton:
    """The value of a best-practice finding's buttons: its fingerprint (`best_practices:{account}:{region}:...`)."""

    fingerprint: str

    def encode(self) -> str:
        return f"bp:{self.fingerprint}"

    @classmethod
    def parse(cls, value: str | None) -> BestPracticeButton:
        match = _BEST_PRACTICE_VALUE.match(value or "")
        if match is None or len(match.group(1)) > MAX_FINGERPRINT:
            raise BadPayload(f"not a best-practice button value: {value!r}")
        return cls(match.group(1))


def _metadata(value: str | None, what: str) -> dict[str, object]:
    try:
        data = json.loads(value or "")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise BadPayload(f"not {what}: {value!r}")
    return data


@dataclass(frozen=True)
class SnoozeModal:
    """The private metadata of the custom-snooze modal: which incident, and the channel it was opened from."""

    incident_id: int
    channel: str

    def encode(self) -> str:
        return json.dumps({"incident_id": self.incident_id, "channel": self.channel})

    @classmethod
    def parse(cls, value: str | None) -> SnoozeModal:
        data = _metadata(value, "a snooze modal's metadata")
        incident_id, channel = data.get("incident_id"), data.get("channel", "")
        if type(incident_id) is not int or incident_id < 0 or not isinstance(channel, str):
            raise BadPayload(f"not a snooze modal's metadata: {value!r}")
        return cls(incident_id, channel)


@dataclass(frozen=True)
class AcceptRiskModal:
    """The private metadata of the accept-risk modal: which finding, the channel, and where to show the list again."""

    fingerprint: str
    channel: str
    response_url: str | None

    def encode(self) -> str:
        return json.dumps({"fingerprint": self.fingerprint, "channel": self.channel, "response_url": self.response_url})

    @classmethod
    def parse(cls, value: str | None) -> AcceptRiskModal:
        data = _metadata(value, "an accept-risk modal's metadata")
        fingerprint, channel, url = data.get("fingerprint"), data.get("channel", ""), data.get("response_url")
        if not isinstance(channel, str) or not (url is None or isinstance(url, str)):
            raise BadPayload(f"not an accept-risk modal's metadata: {value!r}")
        # The fingerprint obeys the best-practice button's rules.
        return cls(BestPracticeButton.parse(f"bp:{fingerprint}").fingerprint, channel, url)


_RUN_VALUE = re.compile(r"run:([0-9]{1,18}):([a-z][a-z0-9_]{0,59})")
_DIGEST = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class RunButton:
    """The value of a runbook action's button (or overflow option) on an incident: which incident, which action."""

    incident_id: int
    action: str

    def encode(self) -> str:
        return f"run:{self.incident_id}:{self.action}"

    @classmethod
    def parse(cls, value: str | None) -> RunButton:
        match = _RUN_VALUE.fullmatch(value or "")
        if match is None:
            raise BadPayload(f"not a runbook action value: {value!r}")
        return cls(int(match.group(1)), match.group(2))


@dataclass(frozen=True)
class ActionConfirmModal:
    """The private metadata of the confirmation modal: the button's payload, the channel it was clicked in, and a
    digest of what the action read from AWS for it (so that a confirmation of what has changed since runs nothing)."""

    run: RunButton
    channel: str
    channel_name: str | None = None
    looked: str | None = None

    def encode(self) -> str:
        data = {"run": self.run.encode(), "channel": self.channel, "channel_name": self.channel_name}
        return json.dumps(data | ({"looked": self.looked} if self.looked is not None else {}))

    @classmethod
    def parse(cls, value: str | None) -> ActionConfirmModal:
        data = _metadata(value, "a confirmation modal's metadata")
        run, channel, name = data.get("run"), data.get("channel", ""), data.get("channel_name")
        looked = data.get("looked")
        if not isinstance(run, str) or not isinstance(channel, str) or not (name is None or isinstance(name, str)):
            raise BadPayload(f"not a confirmation modal's metadata: {value!r}")
        if not (looked is None or (isinstance(looked, str) and _DIGEST.fullmatch(looked))):
            raise BadPayload(f"not a confirmation modal's metadata: {value!r}")
        return cls(RunButton.parse(run), channel, name, looked)
