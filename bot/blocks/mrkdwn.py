"""Safe text for Slack, in one place: whatever comes from AWS, logs or users can neither ping, nor forge a link, nor
format itself; and dates that Slack shows in each reader's time zone.

Slack's mrkdwn has no escape character for formatting (a backslash stays visible and changes nothing), and a
zero-width space next to `*` makes formatting *more* likely, not less: Slack only opens or closes `*bold*`,
`_italic_`, `~strike~` at a word boundary, and it counts the zero-width space as one (jsx-slack's "exact mode"
inserts it to force formatting mid-word). So `plain` swaps each formatting character that stands at a boundary for
a lookalike that Slack does not parse (∗ ˍ ∼ ˋ, as jsx-slack's `<Escape>` does inside links). A lookalike is one
character for one, so lengths and limits stay predictable, and the result does not depend on Slack's parser.
A character between two ASCII letters or digits (`orders_api_errors`, `a*b`) can neither open nor close
formatting, so it is kept as it is and the name can still be copied into the AWS console.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from bot.blocks.limits import truncate

NAME_TEXT = 100  # longer than any Slack channel or user name; what is longer is not one
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Markers Slack parses, the full-width forms included, and what each becomes where it could format.
LOOKALIKES = {"*": "∗", "＊": "﹡", "_": "ˍ", "＿": "⸏", "~": "∼", "～": "∼", "`": "ˋ", "｀": "ˋ"}
_WORD = "A-Za-z0-9"
# A backtick anywhere; the other markers unless an ASCII letter or digit stands on both sides.
_MARKER = re.compile(rf"[`｀＊＿～]|(?<![{_WORD}])[*_~]|[*_~](?![{_WORD}])")
_URL_UNSAFE = re.compile(r"[\s|<>]")
# A backtick after two others would make a fence: it becomes a lookalike, one character for one.
_FENCE_END = re.compile(r"(?<=``)`")


def escape(text: str) -> str:
    """Escape Slack's control characters so `<!channel>`, `<@U1>` and `<http://x|y>` stay literal.

    Only for text Slack does not format (inside code) or text the bot composed itself; anything from outside
    goes through `plain` (or `inline_code`, `code_block`)."""
    return text.translate(_ESCAPES)


def plain(text: str) -> str:
    """Text from AWS, logs or people, shown as written: it cannot ping, link, nor turn bold, italic, struck or code."""
    return _MARKER.sub(lambda m: LOOKALIKES[m.group()], escape(text))


def _one_line(text: str) -> str:
    # Slack's formatting does not cross a line break, and a marker next to a space does not close.
    return plain(" ".join(text.split()))


def bold(text: str) -> str:
    """Outside text in bold that its own `*` or line breaks cannot end early."""
    inner = _one_line(text)
    return f"*{inner}*" if inner else ""


def italic(text: str) -> str:
    inner = _one_line(text)
    return f"_{inner}_" if inner else ""


def strike(text: str) -> str:
    inner = _one_line(text)
    return f"~{inner}~" if inner else ""


def code_block(text: str) -> str:
    """A fenced block whose content cannot close the fence early; formatting does not apply inside."""
    return "```\n" + _FENCE_END.sub(LOOKALIKES["`"], escape(text)) + "\n```"


def inline_code(text: str) -> str:
    """Outside text as code: literal but for a backtick (it would end the span) and line breaks (they end it too)."""
    return "`" + escape(" ".join(text.splitlines())).replace("`", LOOKALIKES["`"]) + "`"


def link(url: str, label: str) -> str:
    """A link whose label is plain text and whose URL cannot end the token early (`|`, `<`, `>`, white space)."""
    safe_url = _URL_UNSAFE.sub(lambda m: quote(m.group()), url)
    return f"<{safe_url}|{plain(label).replace('|', '¦')}>"


def is_channel_id(ref: str) -> bool:
    return ref[:1] in "CG" and len(ref) <= NAME_TEXT and ref.isascii() and ref.isalnum() and ref.isupper()


def channel_ref(ref: str) -> str:
    """A channel as Slack shows it: a link when `ref` is a channel id, else the name as written."""
    return f"<#{ref}>" if is_channel_id(ref) else plain(truncate(ref, NAME_TEXT))


def mention(user_id: str) -> str:
    """A mention when `user_id` is a Slack user id, else the text as written."""
    is_id = len(user_id) <= NAME_TEXT and user_id.isascii() and user_id.isalnum() and user_id.isupper()
    return f"<@{user_id}>" if is_id else plain(truncate(user_id, NAME_TEXT))


def slack_date(moment: datetime) -> str:
    """Slack renders this in each reader's own time zone; the fallback is UTC."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"
