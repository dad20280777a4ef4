"""`/boltwatch oncall [SCHEDULE]` (who is on call now, and the next handoffs) and `/boltwatch oncall override
@USER DURATION [SCHEDULE]` (someone on call from now for that long, above the rotations; stored and audited)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.blocks.mrkdwn import channel_ref
from bot.blocks.oncall import oncall_blocks, override_text
from bot.commands import ONCALL, ONCALL_OVERRIDE
from bot.core.access import Action
from bot.core.oncall import Schedule, answer
from bot.core.oncall_store import active_overrides, add_override
from bot.durations import DurationError, DurationTooLong, parse_duration
from bot.services import Services
from handlers.access import command_refusal
from handlers.grammar import did_you_mean
from handlers.usage import UsageError, quoted

LONGEST_OVERRIDE = timedelta(days=30)
_USER = re.compile(r"^(?:<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|@?([UW][A-Z0-9]{2,}))$")
"""A mention as Slack sends it in a command's text (`<@U123|name>`), or a user id as typed."""


async def oncall(services: Services, words: list[str], command: dict[str, Any], respond: Any) -> None:
    schedules = services.schedules
    if not schedules:
        raise UsageError("No on-call schedule is configured: add `schedules:` to the config (see the README).")
    if words and words[0].lower() == "override":
        await _override(services, schedules, words[1:], command, respond)
        return
    if len(words) > 1:
        raise UsageError("Name one schedule at most.", ONCALL.line(services.command_names))
    names = [_schedule(schedules, words[0], services)] if words else list(schedules)
    now = services.clock()
    answers = await services.db.run(
        lambda s: [answer(schedules[n], active_overrides(s, schedule=n, at=now), now) for n in names]
    )
    text, blocks = oncall_blocks(answers)
    await respond(response_type="ephemeral", text=text, blocks=blocks)


def _schedule(schedules: dict[str, Schedule], name: str, services: Services) -> str:
    if name in schedules:
        return name
    hint = did_you_mean(name, list(schedules)) or f" Schedules: {', '.join(schedules)}."
    raise UsageError(f"No schedule is named {quoted(name)}.{hint}", ONCALL.line(services.command_names))


async def _override(
    services: Services, schedules: dict[str, Schedule], words: list[str], command: dict[str, Any], respond: Any
) -> None:
    usage = ONCALL_OVERRIDE.line(services.command_names)
    if refusal := command_refusal(services, Action.ONCALL, command):
        raise UsageError(refusal)
    if len(words) not in (2, 3):
        raise UsageError("@USER and DURATION are needed (and SCHEDULE when there are several).", usage)
    match = _USER.match(words[0])
    if match is None:
        raise UsageError(f"{quoted(words[0])} is not a person: mention them as @name.", usage)
    user = match[1] or match[2]
    try:
        length = parse_duration(words[1], at_most=LONGEST_OVERRIDE)
    except DurationTooLong:
        raise UsageError(f"{quoted(words[1])} is longer than 30 days, the longest override.", usage) from None
    except DurationError:
        raise UsageError(f"{quoted(words[1])} is not a duration like 4h, 1d.", usage) from None
    if len(words) == 3:
        name = _schedule(schedules, words[2], services)
    elif len(schedules) == 1:
        name = next(iter(schedules))
    else:
        raise UsageError(f"Name the schedule: {', '.join(schedules)}.", usage)
    by, channel = command.get("user_id", ""), command.get("channel_id", "")
    now = services.clock()
    until = now + length
    schedule = schedules[name]
    # The notice below is the schedule channel's one note of this handoff (the handoff tick then has none to tell).
    await services.db.run(
        lambda s: add_override(
            s, schedule=name, user=user, starts=now, ends=until, by=by, channel=channel, told=schedule
        )
    )
    text = override_text(user=user, schedule=name, until=until, timezone=schedule.timezone, by=by)
    await respond(response_type="in_channel", text=text)
    home = schedule.channel
    if home and home.removeprefix("#") not in {channel, command.get("channel_name")}:
        await services.answers.post(home, f"{text} (in {channel_ref(channel)})", watch=False)
