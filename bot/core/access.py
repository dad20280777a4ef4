"""Who may do what: config rules for every button and command that reads or changes anything; by default anyone
in the channel the thing lives in (an incident's channel; for a command, the channel it is run in).

Channels are compared by id. A rule or an incident may name a channel (`#alerts`); the click or command carries the
channel's id and name as Slack signed them, and either matches."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    SNOOZE = "snooze"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    WAIT = "wait"
    MUTE = "mute"
    LOGS = "logs"
    ERRORS = "errors"
    STATUS = "status"
    DIGEST = "digest"
    BEST_PRACTICES = "best_practices"
    AUDIT = "audit"
    ONCALL = "oncall"
    """`/boltwatch oncall override`: who may put someone on call (reading the schedules is `status`)."""


COMMANDS = frozenset({
    Action.LOGS, Action.ERRORS, Action.STATUS, Action.DIGEST, Action.BEST_PRACTICES, Action.AUDIT, Action.ONCALL,
})  # fmt: skip
"""Actions that are commands rather than buttons (wait and mute are both)."""


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
    remedy: str = ""
    """For a refused runbook action: which rule decides, and what in it (or what new rule) would allow it."""


def may(
    rules: list[AccessRule],
    *,
    action: Action,
    user: str,
    channel: str,
    home_channels: set[str],
    channel_name: str | None = None,
) -> Verdict:
    """Decide whether `user`, in the channel with id `channel` (and name `channel_name`), may do `action` on something
    that lives in `home_channels` (ids or `#names`).

    The first rule that covers the action decides; with none, anyone in the home channel may.
    """
    here = {channel} | ({channel_name, f"#{channel_name}"} if channel_name else set())
    for rule in rules:
        if rule.covers(action):
            return _decide(rule, user, here, home_channels, f"{action.value} here", f"{_what(action)} only works in")
    if not here & home_channels:
        return Verdict(False, f"{_what(action)} only works in {_channels(home_channels)}.")
    return Verdict(True)


def _decide(rule: AccessRule, user: str, here: set[str], home_channels: set[str], verb: str, where: str) -> Verdict:
    """What the first rule that covers an action says: who may (`only … may VERB`), and from where."""
    if rule.users and user not in rule.users:
        return Verdict(False, f"only {', '.join(f'<@{u}>' for u in rule.users)} may {verb}.")
    allowed_channels = set(rule.channels) or home_channels
    if not here & allowed_channels:
        return Verdict(False, f"{where} {_channels(allowed_channels)}.")
    return Verdict(True)


RUN_PREFIX = "run:"


def may_run(
    rules: list[AccessRule],
    *,
    action_name: str,
    user: str,
    channel: str,
    home_channels: set[str],
    channel_name: str | None = None,
) -> Verdict:
    """Decide whether `user` may run the runbook action `action_name` from `channel`. Write actions are denied
    unless a rule names them (`run:NAME` or `run:*`; a plain `*` does not): the first such rule decides."""
    wanted = {f"{RUN_PREFIX}{action_name}", f"{RUN_PREFIX}*"}
    here = {channel} | ({channel_name, f"#{channel_name}"} if channel_name else set())
    for i, rule in enumerate(rules):
        if wanted & set(rule.actions):
            verdict = _decide(rule, user, here, home_channels, f"run {action_name}", f"{action_name} only runs from")
            return verdict if verdict.allowed else replace(verdict, remedy=_rule_remedy(i, rule, user))
    return Verdict(
        False,
        f"no access rule allows `run:{action_name}`; actions that change AWS are off by default.",
        f'An `access:` rule like `{{actions: ["run:{action_name}"], users: [{user}]}}` would allow you.',
    )


def _rule_remedy(index: int, rule: AccessRule, user: str) -> str:
    """What in the rule that decided would let `user` run the action."""
    named = ", ".join(f"`{a}`" for a in rule.actions if str(a).startswith(RUN_PREFIX))
    if rule.users and user not in rule.users:
        return f"`access[{index}]` ({named}) decides: adding `{user}` to its `users` would allow you."
    return f"`access[{index}]` ({named}) decides: its `channels` name where it runs."


def _what(action: Action) -> str:
    return "this command" if action in COMMANDS else "this button"


def _channels(channels: set[str]) -> str:
    return ", ".join(f"<#{c}>" if c.startswith("C") else c for c in sorted(channels))
