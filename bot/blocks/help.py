"""The `/boltwatch help` message, naming the commands as they are in use (`slack.command_prefix`)."""

from __future__ import annotations

from typing import Any

from bot.commands import (
    ACTIONS,
    AUDIT,
    CHART,
    ERRORS,
    LOGS,
    MAINTENANCE,
    MUTE,
    ONCALL,
    ONCALL_OVERRIDE,
    UNMUTE,
    UNPREFIXED,
    WAIT,
    CommandNames,
    Usage,
)
from bot.ids import Command


def _sub(name: str) -> Usage:
    return Usage(Command.BOLTWATCH, name)


USAGE: dict[str, tuple[Usage, str]] = {
    "/logs": (LOGS, "recent log events of a function or log group"),
    "/errors": (ERRORS, "errors of a function or log group, grouped"),
    "/wait": (WAIT, "wait on a resource state with a boto3 waiter"),
    "/boltwatch help": (_sub("help"), "this message"),
    "/boltwatch status": (_sub("status"), "open incidents, checks and how fresh their data is"),
    "/boltwatch incidents": (_sub("incidents"), "open incidents with their buttons"),
    "/boltwatch actions": (
        ACTIONS,
        "the runbook actions incident INCIDENT offers: what each would call, whether you may run it, its cooldown,"
        " and its Run button",
    ),
    "/boltwatch checks": (_sub("checks"), "the configured checks and their last result"),
    "/boltwatch chart": (
        CHART,
        "a chart of a Lambda function, SQS queue, EC2 instance (`i-…`), ECS service (`CLUSTER/SERVICE`) or alarm:"
        " METRIC, or the resource's standard set; an alarm's own metric and threshold (SINCE: default 3h, 14d at"
        " most)",
    ),
    "/boltwatch digest": (_sub("digest"), "a digest of this channel's incidents, errors and checks, now"),
    "/boltwatch best-practices": (
        _sub("best-practices"),
        "best-practice findings firing now, with Mute, Accept risk and Re-check buttons",
    ),
    "/boltwatch mute": (
        MUTE,
        "silence alerts about a resource (or each one a glob like `orders-*` matches); it shows what it would mute"
        " and waits for your Confirm",
    ),
    "/boltwatch unmute": (UNMUTE, "end the mute (or maintenance window) of that TARGET at once"),
    "/boltwatch maintenance": (
        MAINTENANCE,
        "a maintenance window: mutes TARGET from START (`now`, `30m` from now, `22:00` or `2027-03-01T22:00`, UTC)"
        " for DURATION, and says so in the channels it affects when made, when it starts and when it ends",
    ),
    "/boltwatch audit": (AUDIT, "the runbook actions run, refused and tried of the last SINCE (default 24h)"),
    "/boltwatch oncall": (ONCALL, "who is on call now in each schedule (or SCHEDULE), and the next handoffs"),
    "/boltwatch oncall override": (
        ONCALL_OVERRIDE,
        "put @USER on call from now for DURATION (like `4h`), above the rotations; SCHEDULE when there are several",
    ),
}
"""Each help line by the command's own name (`/logs`), whatever the name in use."""


def help_blocks(commands: list[str], names: CommandNames = UNPREFIXED) -> list[dict[str, Any]]:
    """Usage lines for the given commands, in the order given."""
    lines = [f"`{USAGE[c][0].line(names)}` — {USAGE[c][1]}" for c in commands if c in USAGE]
    notes = (
        "TARGET is a Lambda function name or a log group. SINCE and DURATION are like `15m`, `2h`, `1d`. "
        'A phrase of several words goes in quotes: `filter "resize failed"`. '
        f"`account NAME` and `region REGION` pick where {names(Command.LOGS)}, {names(Command.ERRORS)} and "
        f"{names(Command.WAIT)} look (default: the first of each in the config)."
    )
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Boltwatch commands"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": notes}]},
    ]


def help_text(commands: list[str], names: CommandNames = UNPREFIXED) -> str:
    return "Boltwatch commands: " + "; ".join(USAGE[c][0].line(names) for c in commands if c in USAGE)
