"""mrkdwn as a terminal shows it: what Slack would draw, in plain text.

Entities are decoded, `<!date^…>` becomes a date in the reader's time zone, `<url|label>` becomes `label (url)`,
`<@U…>` and `<#C…>` become `@name` and `#name`, and the common emoji shortcodes become emoji. Emphasis marks
(`*bold*`, `_italic_`) stay: they read well as they are.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sandbox.slack.emoji import emojize

Names = Callable[[str], str | None]
"""A user or channel id → its name (None when unknown)."""

ANGLE = re.compile(r"<([^<>\n]+)>")
DATE = re.compile(r"!date\^(\d+)\^([^^|]*)(?:\^[^|]*)?")
SPECIAL = {"!here": "@here", "!channel": "@channel", "!everyone": "@everyone"}


def readable(text: str, *, names: Names | None = None, now: float | None = None) -> str:
    """`text` (mrkdwn, as sent to Slack) as a person reads it in Slack."""
    now = time.time() if now is None else now
    shown = ANGLE.sub(lambda match: _token(match[1], names or _no_names, now), text)
    return emojize(_unescape(shown))


def _no_names(_ref: str) -> None:
    return None


def _token(token: str, names: Names, now: float) -> str:
    target, _, label = token.partition("|")
    if target.startswith("@"):
        return "@" + (names(target[1:]) or label or target[1:])
    if target.startswith("#"):
        return "#" + (label or names(target[1:]) or target[1:])
    if target.startswith("!subteam^"):
        return label or "@team"
    date = DATE.fullmatch(target)
    if date:
        return format_date(int(date[1]), date[2], now=now) if date[2] else label
    if target in SPECIAL:
        return SPECIAL[target]
    if target.startswith("!"):
        return label or target
    url = target.removeprefix("mailto:")
    return f"{label} ({url})" if label and label != url else url


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def format_date(timestamp: int, template: str, *, now: float) -> str:
    """Slack's date tokens (`{date_short_pretty} {time}`, `{ago}`, …) in the local time zone, 24-hour clock."""
    moment = datetime.fromtimestamp(timestamp).astimezone()
    today = datetime.fromtimestamp(now).astimezone().date()
    pretty = {today: "today", today - timedelta(days=1): "yesterday", today + timedelta(days=1): "tomorrow"}

    def day(style: str) -> str:
        return {
            "num": f"{moment:%Y-%m-%d}",
            "": f"{moment:%B} {moment.day}, {moment.year}",
            "short": f"{moment:%b} {moment.day}, {moment.year}",
            "long": f"{moment:%A}, {moment:%B} {moment.day}, {moment.year}",
        }[style]

    tokens = {
        "date_num": day("num"),
        "date": day(""),
        "date_short": day("short"),
        "date_long": day("long"),
        "date_pretty": pretty.get(moment.date()) or day(""),
        "date_short_pretty": pretty.get(moment.date()) or day("short"),
        "date_long_pretty": pretty.get(moment.date()) or day("long"),
        "time": f"{moment:%H:%M}",
        "time_secs": f"{moment:%H:%M:%S}",
        "ago": _ago(now - timestamp),
    }
    return re.sub(r"\{(\w+)\}", lambda match: tokens.get(match[1], match[0]), template)


def _ago(seconds: float) -> str:
    if seconds < 0:
        return "in the future"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"
