"""Slash commands as people type them: the names in use and each command's usage line.

`/logs`, `/errors` and `/wait` are names other apps use too: `slack.command_prefix` goes in front of them (`bw-` makes
`/bw-logs`, `/bw-errors`, `/bw-wait`); `/boltwatch` is the bot's own name and keeps it. Usage errors, the help message
and the Slack app manifest are all written from here, so they show the names Slack actually sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.ids import Command

PREFIXED = frozenset({Command.LOGS, Command.ERRORS, Command.WAIT})
"""The generic names; the prefix goes in front of these only."""
MAX_PREFIX = 20
"""Slack takes command names of 32 characters at most: `/` + 20 + `errors` leaves room."""
_PREFIX = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{MAX_PREFIX - 1}}}")


def checked_prefix(prefix: str) -> str:
    """`prefix` if Slack takes it at the front of a command name (lowercase letters, digits, `-`, `_`), else
    ValueError saying so."""
    if prefix and not _PREFIX.fullmatch(prefix):
        raise ValueError(
            f"{prefix!r} is not a command prefix Slack takes: up to {MAX_PREFIX} lowercase letters, digits, - and _"
            " (like bw-)"
        )
    return prefix


@dataclass(frozen=True)
class CommandNames:
    """The name each command answers to, with `prefix` in front of the generic ones."""

    prefix: str = ""

    def __call__(self, command: Command) -> str:
        return f"/{self.prefix}{command.value[1:]}" if command in PREFIXED else command.value


UNPREFIXED = CommandNames()


@dataclass(frozen=True)
class Usage:
    """How to type one command (or one `/boltwatch` subcommand): its arguments after the command's name."""

    command: Command
    arguments: str = ""

    def line(self, names: CommandNames = UNPREFIXED) -> str:
        return f"{names(self.command)} {self.arguments}".rstrip()

    def __str__(self) -> str:
        return self.line()


_SCOPE = "[account NAME] [region REGION]"
LOGS = Usage(Command.LOGS, f"TARGET [SINCE | live [for DURATION]] [filter TEXT] [limit N] {_SCOPE}")
ERRORS = Usage(Command.ERRORS, f"TARGET [SINCE] {_SCOPE}")
WAIT = Usage(Command.WAIT, f"SERVICE WAITER ID... [timeout DURATION] {_SCOPE}")
MUTE = Usage(Command.BOLTWATCH, "mute TARGET DURATION [reason]")
UNMUTE = Usage(Command.BOLTWATCH, "unmute TARGET")
MAINTENANCE = Usage(Command.BOLTWATCH, "maintenance TARGET START DURATION [reason]")
AUDIT = Usage(Command.BOLTWATCH, "audit [SINCE]")
ACTIONS = Usage(Command.BOLTWATCH, "actions INCIDENT")
ONCALL = Usage(Command.BOLTWATCH, "oncall [SCHEDULE]")
ONCALL_OVERRIDE = Usage(Command.BOLTWATCH, "oncall override @USER DURATION [SCHEDULE]")
CHART = Usage(Command.BOLTWATCH, f"chart TARGET [METRIC] [SINCE] {_SCOPE}")
SUBCOMMANDS = (
    "help", "status", "incidents", "actions", "checks", "chart", "digest", "best-practices", "mute", "unmute",
    "maintenance", "audit", "oncall",
)  # fmt: skip
"""`/boltwatch`'s subcommands, in the order help lists them."""
_ARGUMENTS = {
    "mute": MUTE.arguments,
    "unmute": UNMUTE.arguments,
    "maintenance": MAINTENANCE.arguments,
    "audit": AUDIT.arguments,
    "actions": ACTIONS.arguments,
    "oncall": ONCALL.arguments,
    "chart": CHART.arguments,
}
BOLTWATCH = Usage(Command.BOLTWATCH, " | ".join(_ARGUMENTS.get(sub, sub) for sub in SUBCOMMANDS))

USAGE = {Command.LOGS: LOGS, Command.ERRORS: ERRORS, Command.WAIT: WAIT, Command.BOLTWATCH: BOLTWATCH}
"""Each command's whole usage: Slack shows it as the command's hint while people type."""
DESCRIPTION = {
    Command.LOGS: "Recent log events of a Lambda function or log group",
    Command.ERRORS: "Errors of a Lambda function or log group, grouped",
    Command.WAIT: "Wait on an AWS resource state with a boto3 waiter",
    Command.BOLTWATCH: (
        "Status, incidents, runbook actions, checks, metric charts, digest, best practices, mute, unmute, "
        "maintenance, audit, on call, help"
    ),
}
"""What each command does, as Slack lists it among the workspace's commands."""
