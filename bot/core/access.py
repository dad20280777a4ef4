"""Who may press which incident button: config rules, default anyone in the alert's channel."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    SNOOZE = "snooze"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    WAIT = "wait"
    MUTE = "mute"


class AccessRule(BaseModel):
    """`actions` may be done by `users` (any user if empty) from `channels` (the alert's channel if empty)."""

    model_config = ConfigDict(extra="forbid")

    actions: list[Action | str] = Field(min_length=1)
    users: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)

    def covers(self, action: Action) -> bool:
        return "*" in self.actions or action in self.actions


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    why: str = ""


def may(rules: list[AccessRule], *, action: Action, user: str, channel: str, home_channels: set[str]) -> Verdict:
    """Decide whether `user`, clicking in `channel`, may do `action` on something that lives in `home_channels`.

    The first rule that covers the action decides; with none, anyone in the home channel may.
    """
    for rule in rules:
        if not rule.covers(action):
            continue
        if rule.users and user not in rule.users:
            return Verdict(False, f"only {', '.join(f'<@{u}>' for u in rule.users)} may {action.value} here.")
        allowed_channels = set(rule.channels) or home_channels
        if channel not in allowed_channels:
            return Verdict(False, f"this button only works in {_channels(allowed_channels)}.")
        return Verdict(True)
    if channel not in home_channels:
        return Verdict(False, f"this button only works in {_channels(home_channels)}.")
    return Verdict(True)


def _channels(channels: set[str]) -> str:
    return ", ".join(f"<#{c}>" if c.startswith("C") else c for c in sorted(channels))
