"""`/boltwatch oncall`: who is on call in each schedule now, and the next handoffs (times in each reader's own
zone, and in the schedule's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.limits import fit_blocks, fit_text
from bot.blocks.mrkdwn import bold, mention, plain, slack_date
from bot.views.oncall import Handoff, OnCallAnswer


def _local(moment: datetime, timezone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(timezone)):%a %d %b %H:%M} {timezone}"


def _who(user: str | None) -> str:
    return mention(user) if user else "_nobody_"


def oncall_line(answer: OnCallAnswer) -> str:
    why = f" ({plain(answer.now.why)})" if answer.now.why else ""
    lines = [f":calendar: {bold(answer.schedule)}: {_who(answer.now.user)} is on call now{why}."]
    for handoff in answer.next:
        lines.append(f"• {slack_date(handoff.at)} ({_local(handoff.at, answer.timezone)}) → {_who(handoff.user)}")
    if not answer.next:
        lines.append("• no handoff in the next two months")
    return "\n".join(lines)


def oncall_blocks(answers: list[OnCallAnswer]) -> tuple[str, list[dict[str, Any]]]:
    text = "; ".join(f"{a.schedule}: {a.now.user or 'nobody'} on call" for a in answers)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": fit_text(oncall_line(a))}} for a in answers]
    return fit_text(text), fit_blocks(blocks)


def override_text(*, user: str, schedule: str, until: datetime, timezone: str, by: str) -> str:
    return (
        f":calendar: {mention(user)} is on call in {bold(schedule)} until {slack_date(until)} "
        f"({_local(until, timezone)}): an override by {mention(by)}."
    )


def handoff_note(schedule: str, user: str | None, following: Handoff | None) -> str:
    """`:calendar: Handoff in primary: <@U1> is now on call, until … (then <@U2>).`"""
    who = f"{mention(user)} is now on call" if user else "nobody is on call now"
    until = f", until {slack_date(following.at)} (then {_who(following.user)})" if following else ""
    return fit_text(f":calendar: Handoff in {bold(schedule)}: {who}{until}.")
