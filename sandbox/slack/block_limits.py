"""Slack's Block Kit limits, reported the way Slack reports them: `[ERROR] ... [json-pointer:/blocks/0/...]`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000
SECTION_TEXT = 3_000
SECTION_FIELDS = 10
FIELD_TEXT = 2_000
HEADER_TEXT = 150
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2_000
ID_LENGTH = 255
URL_LENGTH = 3_000
SELECT_OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150

KNOWN_BLOCKS = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "rich_text",
    "section",
    "video",
    "markdown",
    "table",
    "context_actions",
}
TEXT_TYPES = {"plain_text", "mrkdwn"}


def _too_long(limit: int, pointer: str) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _too_many(limit: int, pointer: str) -> str:
    return f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]"


def _missing(name: str, pointer: str) -> str:
    return f"[ERROR] missing required field: {name} [json-pointer:{pointer}]"


def block_errors(blocks: Any, *, limit: int = MESSAGE_BLOCKS, root: str = "/blocks") -> list[str]:
    """Every limit the blocks break; an empty list when Slack would accept them."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{root}]"]
    errors = [_too_many(limit, root)] if len(blocks) > limit else []
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        pointer = f"{root}/{index}"
        if not isinstance(block, dict) or block.get("type") not in KNOWN_BLOCKS:
            kind = block.get("type") if isinstance(block, dict) else block
            errors.append(f"[ERROR] unsupported type: {kind} [json-pointer:{pointer}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > ID_LENGTH:
                errors.append(_too_long(ID_LENGTH, f"{pointer}/block_id"))
            if block_id in block_ids:
                errors.append(f"[ERROR] duplicate block_id: {block_id} [json-pointer:{pointer}/block_id]")
            block_ids.add(block_id)
        errors += _block(block, pointer)
    return errors


def _block(block: dict[str, Any], pointer: str) -> list[str]:
    kind = block["type"]
    if kind == "section":
        return _section(block, pointer)
    if kind == "header":
        return _text(block.get("text"), HEADER_TEXT, f"{pointer}/text", plain_only=True, required=True)
    if kind == "actions":
        elements = block.get("elements") or []
        errors = [_too_many(ACTIONS_ELEMENTS, f"{pointer}/elements")] if len(elements) > ACTIONS_ELEMENTS else []
        action_ids: set[str] = set()
        for i, element in enumerate(elements):
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if action_id is not None and action_id in action_ids:
                errors.append(f"[ERROR] duplicate action_id: {action_id} [json-pointer:{pointer}/elements/{i}]")
            if action_id is not None:
                action_ids.add(action_id)
            errors += _element(element, f"{pointer}/elements/{i}")
        return errors
    if kind == "context":
        elements = block.get("elements") or []
        errors = [_too_many(CONTEXT_ELEMENTS, f"{pointer}/elements")] if len(elements) > CONTEXT_ELEMENTS else []
        for i, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") in TEXT_TYPES:
                errors += _text(element, FIELD_TEXT, f"{pointer}/elements/{i}")
        return errors
    if kind == "image":
        errors = [] if block.get("alt_text") else [_missing("alt_text", pointer)]
        if not block.get("image_url") and not block.get("slack_file"):
            errors.append(_missing("image_url", pointer))
        return errors
    return []


def _section(block: dict[str, Any], pointer: str) -> list[str]:
    if block.get("text") is None and not block.get("fields"):
        return [f"[ERROR] must provide either text or fields [json-pointer:{pointer}]"]
    errors = _text(block.get("text"), SECTION_TEXT, f"{pointer}/text")
    fields = block.get("fields") or []
    if len(fields) > SECTION_FIELDS:
        errors.append(_too_many(SECTION_FIELDS, f"{pointer}/fields"))
    for i, text in enumerate(fields):
        errors += _text(text, FIELD_TEXT, f"{pointer}/fields/{i}", required=True)
    if block.get("accessory") is not None:
        errors += _element(block["accessory"], f"{pointer}/accessory")
    return errors


def _text(text: Any, limit: int, pointer: str, *, plain_only: bool = False, required: bool = False) -> list[str]:
    if text is None:
        return [_missing("text", pointer)] if required else []
    allowed = {"plain_text"} if plain_only else TEXT_TYPES
    if not isinstance(text, dict) or text.get("type") not in allowed:
        return [f"[ERROR] must be a valid enum value [json-pointer:{pointer}/type]"]
    if len(text.get("text", "")) > limit:
        return [_too_long(limit, f"{pointer}/text")]
    return []


def _element(element: Any, pointer: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"[ERROR] must be an object [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(str(element.get("action_id", ""))) > ID_LENGTH:
        errors.append(_too_long(ID_LENGTH, f"{pointer}/action_id"))
    if element.get("type") == "button":
        errors += _text(element.get("text"), BUTTON_TEXT, f"{pointer}/text", plain_only=True, required=True)
        if len(str(element.get("value", ""))) > BUTTON_VALUE:
            errors.append(_too_long(BUTTON_VALUE, f"{pointer}/value"))
        if len(str(element.get("url", ""))) > URL_LENGTH:
            errors.append(_too_long(URL_LENGTH, f"{pointer}/url"))
    options = element.get("options")
    if options is not None:
        if len(options) > SELECT_OPTIONS:
            errors.append(_too_many(SELECT_OPTIONS, f"{pointer}/options"))
        for i, option in enumerate(option for option in options if isinstance(option, dict)):
            errors += _text(option.get("text"), OPTION_TEXT, f"{pointer}/options/{i}/text", required=True)
            if len(str(option.get("value", ""))) > OPTION_VALUE:
                errors.append(_too_long(OPTION_VALUE, f"{pointer}/options/{i}/value"))
    return errors


IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif"}
"""What Slack shows in an image block, by file extension (it refuses other files there)."""


def image_type(filename: str) -> str | None:
    return IMAGE_TYPES.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None


def slack_file_errors(blocks: list[Any], files: Mapping[str, Any]) -> list[str]:
    """Image blocks (and context images) whose `slack_file` names no completed upload of an image: Slack answers
    `invalid_blocks` for those (a file still being processed included)."""
    errors = []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        images = [(block, f"/blocks/{i}")] if block.get("type") == "image" else []
        if block.get("type") == "context":
            images += [
                (element, f"/blocks/{i}/elements/{j}")
                for j, element in enumerate(block.get("elements") or [])
                if isinstance(element, dict) and element.get("type") == "image"
            ]
        for image, pointer in images:
            reference = image.get("slack_file")
            if reference is None:
                continue
            upload = files.get(str(reference.get("id"))) if isinstance(reference, dict) else None
            if upload is None or not upload.completed or image_type(upload.filename) is None:
                errors.append(f"[ERROR] invalid slack file [json-pointer:{pointer}/slack_file]")
    return errors
