"""What a maintenance window says in the channels it affects: when made, when it starts, when it ends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.limits import fit_text, truncate
from bot.blocks.mrkdwn import inline_code, mention, plain, slack_date
from bot.blocks.mute import confirm_blocks, preview_text, unknown_target_text
from bot.durations import format_duration
from bot.ids import ActionId, MaintenanceButton
from bot.views.maintenance import Announcement, Moment, WindowLine
from bot.views.silence_preview import SilencePreview

BOT_AUTHOR = "boltwatch"


def describe_matchers(matchers: list[dict[str, str]]) -> str:
    """`team=payments, resource=orders-*` as code: what the window mutes."""
    parts = [
        f"{truncate(m['label'], 60)}{'=~' if 'regex' in m else '='}"
        f"{truncate(m.get('value') or m.get('glob') or m.get('regex', ''), 100)}"
        for m in matchers[:5]
    ]
    more = f" …and {len(matchers) - 5} more" if len(matchers) > 5 else ""
    return inline_code(", ".join(parts) + more)


def window_span(window: WindowLine) -> str:
    length = format_duration(window.ends_at - window.starts_at)
    return f"{slack_date(window.starts_at)} to {slack_date(window.ends_at)} ({length})"


def announcement_text(announcement: Announcement) -> str:
    window = announcement.window
    what = describe_matchers(window.matchers)
    why = f" Reason: {plain(truncate(window.reason, 500))}" if window.reason else ""
    if announcement.moment is Moment.CREATED:
        by = "the configuration" if window.author == BOT_AUTHOR else mention(window.author)
        when = "starts now" if announcement.in_force else "is scheduled"
        text = (
            f":construction: A maintenance window for {what} {when} (by {by}): {window_span(window)}. Alerts it "
            f"matches are recorded, not notified, meanwhile.{why}"
        )
    elif announcement.moment is Moment.STARTED:
        text = (
            f":construction: Maintenance for {what} started; until {slack_date(window.ends_at)} alerts it matches are "
            f"recorded, not notified.{why}"
        )
    else:
        noun = "alert" if announcement.muted == 1 else "alerts"
        shown = ", ".join(plain(truncate(t, 100)) for t in announcement.muted_titles)
        more = announcement.muted - len(announcement.muted_titles)
        listing = f": {shown}" + (f" …and {more} more" if more > 0 else "") if shown else ""
        text = (
            f":white_check_mark: Maintenance for {what} ended. It muted {announcement.muted:,} {noun} meanwhile"
            f"{listing}. Alerts still firing are notified again.{why}"
        )
    return fit_text(text)


def maintenance_preview(
    request: MaintenanceButton,
    preview: SilencePreview,
    *,
    starts_at: datetime,
    ends_at: datetime,
    known: bool,
    suggestions: list[str],
) -> tuple[str, list[dict[str, Any]]]:
    """`/boltwatch maintenance`'s private answer: what the window would mute if it were in force now; nothing is
    made or announced until Confirm."""
    span = f"{slack_date(starts_at)} to {slack_date(ends_at)} ({format_duration(ends_at - starts_at)})"
    text = preview_text(f"A maintenance window for {inline_code(request.target)} from {span}", preview)
    if not known:
        text = f"{unknown_target_text(request.target, suggestions)}\n{text}"
    question = "Make it? Nothing is muted or announced until you confirm."
    value = request.encode()
    return text, confirm_blocks(text, question, ActionId.MAINTENANCE_CONFIRM, value, ActionId.MAINTENANCE_CANCEL)
