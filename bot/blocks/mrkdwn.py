"""Safe text for Slack: whatever comes from AWS, logs or users can neither ping nor forge a link; and dates that
Slack shows in each reader's time zone."""

from __future__ import annotations

from datetime import datetime

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape(text: str) -> str:
    """Escape Slack's control characters so `<!channel>`, `<@U1>` and `<http://x|y>` stay literal."""
    return text.translate(_ESCAPES)


def code_block(text: str) -> str:
    """A fenced block whose content cannot close the fence early."""
    return "```\n" + escape(text).replace("```", "`\u200b``") + "\n```"


def inline_code(text: str) -> str:
    return "`" + escape(text).replace("`", "'") + "`"


def link(url: str, label: str) -> str:
    """A link whose label is escaped and whose URL cannot carry a `|` or `>` of its own."""
    safe_url = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def channel_ref(ref: str) -> str:
    """A channel as Slack shows it: a link when `ref` is a channel id, else the name as written (escaped)."""
    is_id = ref[:1] in "CG" and ref.isalnum() and ref.isupper()
    return f"<#{ref}>" if is_id else escape(ref)


def mention(user_id: str) -> str:
    return f"<@{user_id}>" if user_id.isalnum() else escape(user_id)


def slack_date(moment: datetime) -> str:
    """Slack renders this in each reader's own time zone; the fallback is UTC."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"
