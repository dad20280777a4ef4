"""Block Kit as plain text, for the sandbox to print messages in a terminal as Slack would show them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from sandbox.slack.emoji import emojize
from sandbox.slack.messages import Message
from sandbox.slack.mrkdwn_text import Names, readable

RULE = "-" * 40


def render_text(
    message: Message | dict[str, Any] | Any, *, names: Names | None = None, now: float | None = None
) -> str:
    """A readable rendering of a message (a stored Message, an Ephemeral, Slack JSON or a modal view).

    `names` turns user and channel ids into names; dates are shown relative to `now` (default: the clock).
    """
    if isinstance(message, Message):
        data = message.to_slack()
    elif is_dataclass(message) and not isinstance(message, type):
        data = asdict(message)
    else:
        data = dict(message or {})
    reader = _Reader(names, now)
    lines = [f"## {reader.text(data['title'])}"] if isinstance(data.get("title"), dict) else []
    lines += [line for block in data.get("blocks") or [] for line in reader.block(block)]
    if not lines and data.get("text"):
        lines = reader.mrkdwn(str(data["text"])).splitlines()
    for file in data.get("files") or []:
        lines.append(f"[file: {file.get('name')}, {file.get('size', 0)} bytes]")
    if data.get("edited"):
        lines.append("(edited)")
    return "\n".join(lines)


@dataclass(frozen=True)
class _Reader:
    """Reads blocks as a person in Slack would, knowing the workspace's names and the time."""

    names: Names | None
    now: float | None

    def mrkdwn(self, text: str) -> str:
        return readable(text, names=self.names, now=self.now)

    def text(self, obj: Any) -> str:
        """A text object as shown: mrkdwn read as Slack reads it, plain text with its emoji (Slack's default)."""
        if isinstance(obj, dict):
            text = str(obj.get("text", ""))
            if obj.get("type") == "mrkdwn":
                return self.mrkdwn(text)
            return emojize(text) if obj.get("emoji", True) else text
        return "" if obj is None else str(obj)

        return "" if obj is None else str(obj)

    def element(self, element: dict[str, Any]) -> str:
        kind = element.get("type")
        if kind == "button":
            return f"[{self.text(element.get('text'))}]"
        if kind in ("static_select", "external_select", "users_select", "conversations_select", "channels_select"):
            chosen = element.get("initial_option")
            return f"[{self.text(chosen['text']) if chosen else self.text(element.get('placeholder')) or 'Select'} v]"
        if kind == "overflow":
            return "[...]"
        if kind == "image":
            return f"[image: {element.get('alt_text', '')}]"
        if kind in ("plain_text", "mrkdwn"):
            return self.text(element)
        if kind in ("datepicker", "timepicker", "datetimepicker"):
            return f"[{element.get('initial_date') or element.get('initial_time') or kind}]"
        return f"[{kind}]"

    def block(self, block: dict[str, Any]) -> list[str]:
        kind = block.get("type")
        if kind == "header":
            return [f"# {self.text(block.get('text'))}"]
        if kind == "section":
            lines = self.text(block.get("text")).splitlines() if block.get("text") else []
            fields = [self.text(f) for f in block.get("fields") or []]
            lines += [" | ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
            if block.get("accessory"):
                lines.append("  " + self.element(block["accessory"]))
            return lines
        if kind == "context":
            return ["  " + " . ".join(self.element(e) for e in block.get("elements") or [])]
        if kind == "divider":
            return [RULE]
        if kind == "actions":
            return [" ".join(self.element(e) for e in block.get("elements") or [])]
        if kind == "image":
            title = self.text(block.get("title"))
            return [f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else "")]
        if kind == "rich_text":
            return [line for element in block.get("elements") or [] for line in self.rich(element)]
        if kind == "markdown":
            return emojize(str(block.get("text", ""))).splitlines()
        if kind == "input":
            return [f"{self.text(block.get('label'))}: {self.element(block.get('element') or {})}"]
        if kind == "file":
            return [f"[file: {block.get('external_id', '')}]"]
        return [f"[{kind}]"]

    def inline(self, elements: list[dict[str, Any]]) -> str:
        parts = []
        for element in elements:
            kind = element.get("type")
            if kind == "text":
                parts.append(element.get("text", ""))
            elif kind == "link":
                parts.append(element.get("text") or element.get("url", ""))
            elif kind == "user":
                parts.append(self.mrkdwn(f"<@{element.get('user_id')}>"))
            elif kind == "channel":
                parts.append(self.mrkdwn(f"<#{element.get('channel_id')}>"))
            elif kind == "emoji":
                parts.append(emojize(f":{element.get('name')}:"))
            elif kind == "date":
                parts.append(str(element.get("fallback") or element.get("timestamp", "")))
            else:
                parts.append(str(element.get("text", "")))
        return "".join(parts)

    def rich(self, element: dict[str, Any]) -> list[str]:
        kind = element.get("type")
        children = element.get("elements") or []
        if kind == "rich_text_preformatted":
            return ["```", *self.inline(children).splitlines(), "```"]
        if kind == "rich_text_quote":
            return ["> " + line for line in self.inline(children).splitlines()]
        if kind == "rich_text_list":
            indent = "  " * element.get("indent", 0)
            ordered = element.get("style") == "ordered"
            return [
                f"{indent}{f'{n}.' if ordered else '-'} {self.inline(item.get('elements') or [])}"
                for n, item in enumerate(children, start=1)
            ]
        return self.inline(children).splitlines()
