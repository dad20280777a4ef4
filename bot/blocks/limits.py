"""Slack's Block Kit limits, enforced before sending: too long becomes a visible "(truncated)", never an error."""

from __future__ import annotations

import copy
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


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - len(TRUNCATED)]
    if cut.count("```") % 2 == 1:
        cut = cut[: limit - len(TRUNCATED) - 4] + "\n```"
    return cut + TRUNCATED


def fit_text(text: str) -> str:
    return truncate(text, MESSAGE_TEXT)


def fit_blocks(blocks: list[dict[str, Any]], *, limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """A copy of `blocks` that Slack accepts: every text, element count and the block count within limits."""
    fitted = [_fit_block(copy.deepcopy(block)) for block in blocks]
    if len(fitted) > limit:
        omitted = len(fitted) - (limit - 1)
        note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{omitted} more blocks (truncated)"}]}
        fitted = [*fitted[: limit - 1], note]
    return fitted


def _fit_text_object(obj: dict[str, Any] | None, limit: int) -> None:
    if obj and isinstance(obj.get("text"), str):
        obj["text"] = truncate(obj["text"], limit)


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
