"""Slack's Block Kit limits, enforced before sending: too long becomes a visible "(truncated)", never an error."""

from __future__ import annotations

import copy
import re
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
MESSAGE_TEXT = 40000
TRUNCATED = "… (truncated)"


# What a cut must not end inside: an entity (`&amp;`) or a token the bot wrote (`<!date^…|…>`, `<@U1>`, a link).
_PARTIAL = re.compile(r"(&[a-z]*|<[^>]*)$")
_FENCED = re.compile(r"```.*?```", re.DOTALL)


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters of plain text (before escaping, or a `plain_text` field), cut visibly."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED)] + TRUNCATED


def truncate_mrkdwn(text: str, limit: int) -> str:
    """At most `limit` characters of mrkdwn, cut visibly where Slack still renders what is left: never inside an
    entity or a `<…>` token, a code block cut short is closed, and an inline code span cut short is left out (its
    lone backtick would show, and what followed it would no longer be code). In mrkdwn built with `mrkdwn.plain`
    every `&` and `<` starts one of these, so dropping a partial one loses nothing a reader wrote."""
    if len(text) <= limit:
        return text
    room = limit - len(TRUNCATED)
    cut = _PARTIAL.sub("", text[:room])
    if cut.count("```") % 2 == 1:
        cut = _PARTIAL.sub("", cut[: room - 4])
        if cut.count("```") % 2 == 1:
            return cut + "\n```" + TRUNCATED
    if _FENCED.sub("", cut).count("`") % 2 == 1:
        cut = _PARTIAL.sub("", cut[: cut.rfind("`")])
    return cut + TRUNCATED


def fit_lines(
    heading: str, lines: list[str], *, total: int, more: str = "…and {n} more", limit: int = SECTION_TEXT
) -> str:
    """`heading`, then as many of `lines` as fit in `limit` characters (the first one cut if it must be), then a
    last line, `more` with `{n}`, counting the ones of `total` not shown. Lines are mrkdwn."""
    kept: list[str] = []
    used = len(heading)
    for line in lines:
        rest = total - len(kept) - 1
        room = limit - used - 1 - (len(more.format(n=rest)) + 1 if rest else 0)
        if len(line) > room:
            if not kept and room > len(TRUNCATED):
                kept.append(truncate_mrkdwn(line, room))
            break
        kept.append(line)
        used += len(line) + 1
    rest = total - len(kept)
    return "\n".join([heading, *kept, *([more.format(n=rest)] if rest else [])])


def fit_text(text: str) -> str:
    """A message's `text` fallback (mrkdwn) within Slack's limit."""
    return truncate_mrkdwn(text, MESSAGE_TEXT)


def fit_blocks(blocks: list[dict[str, Any]], *, limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """A copy of `blocks` that Slack accepts: every text, element count and the block count within limits."""
    fitted = [_fit_block(copy.deepcopy(block)) for block in blocks]
    if len(fitted) > limit:
        omitted = len(fitted) - (limit - 1)
        note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {omitted} more blocks (truncated)"}]}
        fitted = [*fitted[: limit - 1], note]
    return fitted


def _fit_text_object(obj: dict[str, Any] | None, limit: int) -> None:
    if obj and isinstance(obj.get("text"), str):
        cut = truncate_mrkdwn if obj.get("type") == "mrkdwn" else truncate
        obj["text"] = cut(obj["text"], limit)


def _fit_block(block: dict[str, Any]) -> dict[str, Any]:
    kind = block.get("type")
    if kind == "section":
        _fit_text_object(block.get("text"), SECTION_TEXT)
        if "fields" in block:
            block["fields"] = block["fields"][:SECTION_FIELDS]
            for field in block["fields"]:
                _fit_text_object(field, FIELD_TEXT)
        if block.get("accessory"):
            _fit_element(block["accessory"])
    elif kind == "header":
        _fit_text_object(block.get("text"), HEADER_TEXT)
    elif kind == "context":
        block["elements"] = block.get("elements", [])[:CONTEXT_ELEMENTS]
        for element in block["elements"]:
            _fit_text_object(element, SECTION_TEXT)
    elif kind == "actions":
        block["elements"] = block.get("elements", [])[:ACTIONS_ELEMENTS]
        for element in block["elements"]:
            _fit_element(element)
    return block


def _fit_element(element: dict[str, Any]) -> None:
    _fit_text_object(element.get("text"), BUTTON_TEXT)
    if isinstance(element.get("value"), str) and len(element["value"]) > BUTTON_VALUE:
        raise ValueError(f"button value over {BUTTON_VALUE} characters: values must be small typed payloads")
    for option in element.get("options", []):
        _fit_text_object(option.get("text"), OPTION_TEXT)
