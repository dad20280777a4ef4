"""What a newcomer sees first: the sandbox's config, the estate it watches, and commands to try with real names."""

from __future__ import annotations

from typing import Any

from sandbox.aws.estate import Estate
from sandbox.aws.queues import DEAD_LETTER_QUEUE, QUEUE

ALERT_WITHIN_SECONDS = 30
"""How long a `:break` takes at most to become an alert: the slowest function check's interval."""
STORM_SIZE = 70

SANDBOX_CONFIG: dict[str, Any] = {
    "slack": {"channel": "#alerts"},
    "aws": {"regions": ["us-east-1"], "max_attempts": 2},
    "checks": [
        {"type": "cloudwatch_alarms", "every": "15s"},
        {"type": "lambda_errors", "every": f"{ALERT_WITHIN_SECONDS}s", "window": "15m"},
        {"type": "log_errors", "every": "15s", "log_groups": ["/aws/lambda/*"]},
        {"type": "sqs_dead_letters", "every": "30s"},
        {"type": "ec2_status", "every": "30s"},
    ],
    # Two runbook actions the browser view runs (sandbox/slack's local user, U0ALICE, may): Redrive on the
    # dead-letters incident, Reboot on an impaired instance's; each verified in the incident's thread.
    "actions": {"enabled": ["sqs_redrive", "ec2_reboot"]},
    "access": [{"actions": ["run:sqs_redrive", "run:ec2_reboot"], "users": ["U0ALICE"]}],
    "routes": [
        # A broken function is one message, whichever checks see it (its errors metric and its logs).
        {
            "name": "per-function",
            "match_re": {"check": "lambda_errors|log_errors"},
            "group_by": ["function", "account", "region"],
        },
        # Everything else groups by check, the default: an alarm storm is one message, updated in place.
        {"name": "per-check", "group_by": ["check", "account", "region"]},
    ],
}


def broken_first(estate: Estate) -> str:
    """The function the suggested `:break` breaks: the Java one, whose stack traces group well."""
    names = [function.name for function in estate.functions]
    return "invoice-renderer" if "invoice-renderer" in names else names[0]


def estate_lines(estate: Estate) -> list[str]:
    functions = ", ".join(function.name for function in estate.functions)
    dead_letters = f"{estate.dlq_messages} waiting" if estate.dlq_messages else "empty"
    return [
        f"The estate is quiet but for one alarm, {estate.alarm_firing}, firing on purpose:",
        f"  functions      {functions}",
        f"  instance       {estate.instance_id} (running)",
        f"  queue          {QUEUE}, failing into {DEAD_LETTER_QUEUE} ({dead_letters})",
        f"  alarms         {estate.alarm_firing} (ALARM), {estate.alarm_ok} (OK)",
    ]


def try_lines(estate: Estate) -> list[str]:
    """The commands to try, with the estate's real names: each one works as printed."""
    broken, errors = broken_first(estate), "payments-worker"
    commands = [
        (f":break {broken}", f"make it fail: an alert in #alerts within {ALERT_WITHIN_SECONDS} s"),
        (f":wait-for-alert {ALERT_WITHIN_SECONDS}", "wait for the next alert message (for scripts)"),
        (f"/logs {broken} 10m", "its log events of the last 10 minutes"),
        (f"/errors {errors} 2h", "its errors of the last 2 hours, grouped"),
        (f"/wait ec2 instance_running {estate.instance_id}", "wait on a resource state"),
        ("/boltwatch status", "open incidents and how the checks are doing"),
        (f":alarm {estate.alarm_firing} OK", "clear an alarm (ALARM fires it)"),
        (f":storm {STORM_SIZE}", f"{STORM_SIZE} alarms at once: still one message"),
        (":dead-letter", f"a failed order lands in {DEAD_LETTER_QUEUE}: Redrive it from the alert"),
        (":impair-instance", f"{estate.instance_id}'s status checks fail: Reboot it from the alert"),
        (":stop-instance", f"stop {estate.instance_id} (:start-instance starts it)"),
        (":quit", "stop everything, once work in flight is done (Ctrl-C stops at once)"),
    ]
    width = max(len(command) for command, _ in commands) + 3
    return [
        "Try these (slash commands as you would type them in Slack; : commands change the emulated AWS):",
        *(f"  {command.ljust(width)}{what}" for command, what in commands),
    ]
