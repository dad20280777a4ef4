"""`/boltwatch SUBCOMMAND`: help, status, incidents, actions, checks, chart, digest, best-practices, mute, unmute,
maintenance, audit, oncall."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.help import help_blocks, help_text
from bot.blocks.mrkdwn import inline_code
from bot.blocks.runbook import audit_blocks
from bot.blocks.status import checks_blocks, incidents_blocks, status_blocks
from bot.commands import AUDIT, SUBCOMMANDS, UNPREFIXED, CommandNames
from bot.core.access import Action, may
from bot.durations import DurationError, parse_duration
from bot.ids import Command
from bot.services import Services
from bot.views.audit_queries import action_audit
from bot.views.status_queries import (
    blocked_lines,
    check_lines,
    leader_line,
    open_incidents,
    queue_line,
    silence_lines,
)
from handlers.access import command_refusal
from handlers.ack_runner import EncodedAnswer
from handlers.actions_command import show_actions
from handlers.best_practices import show_list
from handlers.chart_command import show_chart
from handlers.error_handler import answers_errors
from handlers.grammar import did_you_mean, split_words
from handlers.maintenance_command import maintenance
from handlers.mute_command import Author, mute, unmute
from handlers.oncall_command import oncall
from handlers.usage import UsageError

SUBCOMMAND_ACCESS = {
    "status": Action.STATUS, "checks": Action.STATUS, "incidents": Action.STATUS, "digest": Action.DIGEST,
    "best-practices": Action.BEST_PRACTICES, "audit": Action.AUDIT, "actions": Action.STATUS,
    "oncall": Action.STATUS, "chart": Action.STATUS,
}  # fmt: skip
"""What the access rules call each reading subcommand (mute, unmute and maintenance are checked as `mute`)."""
AVAILABLE = ["/logs", "/errors", "/wait", *(f"/boltwatch {sub}" for sub in SUBCOMMANDS), "/boltwatch oncall override"]


def help_answer(names: CommandNames) -> EncodedAnswer:
    text, blocks = help_text(AVAILABLE, names), help_blocks(AVAILABLE, names)
    return EncodedAnswer(text=text, response_type="ephemeral", blocks=blocks)


HELP = help_answer(UNPREFIXED)

PostDigestNow = Callable[[str, str], Awaitable[None]]
"""`post_digest_now(channel_id, channel_name)`: the digests of this channel, up to now, posted in it."""


def register(app: AsyncApp, services: Services, post_digest_now: PostDigestNow) -> None:
    names = services.command_names
    prefixed_help = help_answer(names) if names != UNPREFIXED else None

    @app.command(names(Command.BOLTWATCH))
    @answers_errors
    async def boltwatch(ack: Any, command: dict[str, Any], respond: Any, client: AsyncWebClient) -> None:
        words = split_words(command.get("text") or "", "/boltwatch help")
        sub = words[0].lower() if words else "help"
        if sub == "help":
            await (prefixed_help or HELP)(ack)
            return
        if sub not in SUBCOMMANDS:
            hint = did_you_mean(sub, list(SUBCOMMANDS))
            await ack(
                response_type="ephemeral",
                text=f"{inline_code(sub)} is not a /boltwatch command.{hint} Try `/boltwatch help`.",
            )
            return
        action = SUBCOMMAND_ACCESS.get(sub)
        if action is not None and (refusal := command_refusal(services, action, command)):
            await ack(response_type="ephemeral", text=refusal)
            return
        await ack()
        now = services.clock()
        if sub in {"status", "checks"}:
            schedule = services.check_schedule
            distributed = services.settings.file.scheduler.engine == "procrastinate"
            incidents, checks, silences, blocked, queue, leader = await services.db.run(
                lambda s: (
                    open_incidents(s),
                    check_lines(s, schedule),
                    silence_lines(s, now),
                    blocked_lines(s),
                    queue_line(s) if distributed and sub == "status" else None,
                    leader_line(s) if not distributed and sub == "status" else None,
                )
            )
            if sub == "status":
                blocks = status_blocks(
                    incidents, checks, now=now, silences=silences, blocked=blocked, queue=queue,
                    distributed=distributed, leader=leader,
                )  # fmt: skip
            else:
                blocks = checks_blocks(checks, now=now)
            await respond(response_type="ephemeral", text=f"Boltwatch {sub}", blocks=blocks)
        elif sub == "audit":
            await _audit(services, words[1:], respond)
        elif sub == "actions":
            await show_actions(services, words[1:], command, respond)
        elif sub == "oncall":
            await oncall(services, words[1:], command, respond)
        elif sub == "chart":
            await show_chart(services, words[1:], command, respond)
        elif sub == "best-practices":
            await show_list(services, respond)
        elif sub == "digest":
            await post_digest_now(command["channel_id"], command.get("channel_name") or "")
        elif sub == "incidents":
            incidents = await services.db.run(open_incidents)
            await respond(
                response_type="ephemeral", text=f"{len(incidents)} open incidents", blocks=incidents_blocks(incidents)
            )
        else:
            user, channel = command["user_id"], command["channel_id"]
            verdict = may(
                services.settings.file.access, action=Action.MUTE, user=user, channel=channel,
                home_channels={channel}, channel_name=command.get("channel_name"),
            )  # fmt: skip
            if not verdict.allowed:
                raise UsageError(f"You can't mute or unmute here: {verdict.why}")
            author = Author(user, channel, command.get("channel_name") or "")
            run = {"mute": mute, "unmute": unmute, "maintenance": maintenance}[sub]
            await run(services, client, words[1:], author, respond)


AUDIT_SINCE = "24h"


async def _audit(services: Services, words: list[str], respond: Any) -> None:
    """`/boltwatch audit [SINCE]`: the runbook action attempts of that long (a day by default), privately."""
    since_text = words[0] if words else AUDIT_SINCE
    try:
        since = parse_duration(since_text)
    except DurationError as exc:
        raise UsageError(str(exc), AUDIT.line(services.command_names)) from None
    start = services.clock() - since
    lines = await services.db.run(lambda s: action_audit(s, since=start))
    await respond(response_type="ephemeral", text=f"{len(lines)} runbook action attempts",
                  blocks=audit_blocks(lines, since=since_text))  # fmt: skip
