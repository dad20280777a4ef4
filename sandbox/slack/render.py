"""Block Kit as plain text, for the sandbox to print messages in a terminal."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

from sandbox.slack.messages import Message

RULE = "-" * 40


def render_text(message: Message | dict[str, Any] | Any) -> str:
    """A readable rendering of a message (a stored Message, an Ephemeral, Slack JSON or a modal view)."""
    if isinstance(message, Message):
        data = message.to_slack()
    elif is_dataclass(message) and not isinstance(message, type):
        data = asdict(message)
    else:
        data = dict(message or {})
    lines = [f"## {_text(data['title'])}"] if isinstance(data.get("title"), dict) else []
    lines += [line for block in data.get("blocks") or [] for line in _block(block)]
    if not lines and data.get("text"):
        lines = [data["text"]]
    for file in data.get("files") or []:
        lines.append(f"[file: {file.get('name')}, {file.get('size', 0)} bytes]")
    if data.get("edited"):
        lines.append("(edited)")
    return "\n".join(lines)


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return "" if obj is None else str(obj)


def _element(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        return f"[{_text(element.get('text'))}]"
    if kind in ("static_select", "external_select", "users_select", "conversations_select", "channels_select"):
        chosen = element.get("initial_option")
        return f"[{_text(chosen['text']) if chosen else _text(element.get('placeholder')) or 'Select'} v]"
    if kind == "overflow":
        return "[...]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("plain_text", "mrkdwn"):
        return _text(element)
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        return f"[{element.get('initial_date') or element.get('initial_time') or kind}]"
    return f"[{kind}]"


def _block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"# {_text(block.get('text'))}"]
    if kind == "section":
        lines = _text(block.get("text")).splitlines() if block.get("text") else []
        fields = [_text(f) for f in block.get("fields") or []]
        lines += [" | ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
        if block.get("accessory"):
            lines.append("  " + _element(block["accessory"]))
        return lines
    if kind == "context":
        return ["  " + " . ".join(_element(e) for e in block.get("elements") or [])]
    if kind == "divider":
        return [RULE]
    if kind == "actions":
        return [" ".join(_element(e) for e in block.get("elements") or [])]
    if kind == "image":
        title = _text(block.get("title"))
        return [f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else "")]
    if kind == "rich_text":
        return [line for element in block.get("elements") or [] for line in _rich(element)]
    if kind == "markdown":
        return str(block.get("text", "")).splitlines()
    if kind == "input":
        return [f"{_text(block.get('label'))}: {_element(block.get('element') or {})}"]
    if kind == "file":
        return [f"[file: {block.get('external_id', '')}]"]
    return [f"[{kind}]"]


def _inline(elements: list[dict[str, Any]]) -> str:
    parts = []
    for element in elements:
        kind = element.get("type")
        if kind == "text":
            parts.append(element.get("text", ""))
        elif kind == "link":
            parts.append(element.get("text") or element.get("url", ""))
        elif kind == "user":
            parts.append(f"<@{element.get('user_id')}>")
        elif kind == "channel":
            parts.append(f"<#{element.get('channel_id')}>")
        elif kind == "emoji":
            parts.append(f":{element.get('name')}:")
        else:
            parts.append(str(element.get("text", "")))
    return "".join(parts)


def _rich(element: dict[str, Any]) -> list[str]:
    kind = element.get("type")
    children = element.get("elements") or []
    if kind == "rich_text_preformatted":
        return ["```", *_inline(children).splitlines(), "```"]
    if kind == "rich_text_quote":
        return ["> " + line for line in _inline(children).splitlines()]
    if kind == "rich_text_list":
        indent = "  " * element.get("indent", 0)
        ordered = element.get("style") == "ordered"
        return [
            f"{indent}{f'{n}.' if ordered else '-'} {_inline(item.get('elements') or [])}"
            for n, item in enumerate(children, start=1)
        ]
    return _inline(children).splitlines()
