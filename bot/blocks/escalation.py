"""What escalation says: the thread reply naming who is paged, and the line above the incident's message in a
page (a direct message, or a post in a paged channel)."""

from __future__ import annotations

from typing import Any

from bot.blocks.limits import fit_text, truncate
from bot.blocks.mrkdwn import channel_ref, mention, plain


def _whom(told: dict[str, Any]) -> str:
    people = [
        f"{mention(str(user))} (on call in {plain(str(via))})" if via else mention(str(user))
        for user, via in told.get("users") or []
    ]
    people += [channel_ref(str(channel)) for channel in told.get("channels") or []]
    return ", ".join(people)


def _level(told: dict[str, Any]) -> str:
    repeat = f", repeat {told['round']}" if told.get("round") else ""
    return f"level {told.get('level')} of {told.get('levels')}{repeat}"


def escalation_reply(told: dict[str, Any]) -> str:
    """`:rotating_light: Not acknowledged after 15m: paging <@U1> (on call in primary) (level 2 of 2).`"""
    whom = _whom(told)
    nobody = [plain(str(name)) for name in told.get("nobody_in") or []]
    missing = f" Nobody is on call in {', '.join(nobody)} right now." if nobody else ""
    paging = f"paging {whom}" if whom else "nobody to page"
    return fit_text(
        f":rotating_light: Not acknowledged after {plain(str(told.get('after', '')))}: {paging} "
        f"({_level(told)}).{missing}"
    )


def page_intro(told: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The fallback text and the block above the incident's message in a page."""
    title = plain(truncate(str(told.get("title", "")), 200))
    text = (
        f":rotating_light: You are paged: incident #{told.get('incident')} {title} in "
        f"{channel_ref(str(told.get('home', '')))} is not acknowledged after {plain(str(told.get('after', '')))} "
        f"({_level(told)}). Acknowledge it here or in its thread."
    )
    return fit_text(text), {"type": "section", "text": {"type": "mrkdwn", "text": text}}
