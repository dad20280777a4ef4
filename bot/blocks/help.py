"""The `/boltwatch help` message."""

from __future__ import annotations

from typing import Any

USAGE: dict[str, tuple[str, str]] = {
    "/logs": ("/logs TARGET [SINCE] [filter TEXT] [limit N]", "recent log events of a function or log group"),
    "/errors": ("/errors TARGET [SINCE]", "errors of a function or log group, grouped"),
    "/wait": ("/wait SERVICE WAITER ID... [timeout DURATION]", "wait on a resource state with a boto3 waiter"),
    "/boltwatch help": ("/boltwatch help", "this message"),
    "/boltwatch status": ("/boltwatch status", "open incidents, checks and how fresh their data is"),
    "/boltwatch incidents": ("/boltwatch incidents", "open incidents with their buttons"),
    "/boltwatch checks": ("/boltwatch checks", "the configured checks and their last result"),
    "/boltwatch digest": ("/boltwatch digest", "a digest of this channel's incidents, errors and checks, now"),
    "/boltwatch best-practices": (
        "/boltwatch best-practices",
        "best-practice findings firing now, with Mute, Accept risk and Re-check buttons",
    ),
    "/boltwatch mute": ("/boltwatch mute TARGET DURATION [reason]", "silence alerts about a resource"),
}


def help_blocks(commands: list[str]) -> list[dict[str, Any]]:
    """Usage lines for the given commands, in the order given."""
    lines = [f"`{USAGE[c][0]}` — {USAGE[c][1]}" for c in commands if c in USAGE]
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Boltwatch commands"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "TARGET is a Lambda function name or a log group. "
                    "SINCE is like `15m`, `2h`, `1d`. Every command takes `account NAME` and `region REGION`.",
                }
            ],
        },
    ]


def help_text(commands: list[str]) -> str:
    return "Boltwatch commands: " + "; ".join(USAGE[c][0] for c in commands if c in USAGE)
