"""Requests written in the config: values checked against an operation's input shape in botocore's service model,
then filled from an alert's labels when the action runs.

A string value may hold placeholders: `{resource}`, `{account}`, `{region}` (the alert's own) and `{label.NAME}`
(any label of the alert). A placeholder where the shape wants a number or a boolean is converted when it is filled
(`desiredCount: "{label.desired}"`); braces that do not look like a placeholder (a JSON payload) stay as they are.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.:/-]*)\}")
"""What looks like a placeholder; the valid ones are below (`{label.X}` or an alert's own)."""
OWN = {"resource": "resource", "account": "account", "region": "region"}
"""Placeholders of the alert's own fields, and the label each is stored under."""
LABEL = "label."
HOW = "use {resource}, {account}, {region} or {label.NAME}"
INTEGERS = {"integer", "long"}
FLOATS = {"float", "double"}


def label_of(placeholder: str) -> str | None:
    """The label a placeholder reads (`label.team` → `team`, `resource` → `resource`), or None if it is none."""
    if placeholder.startswith(LABEL) and len(placeholder) > len(LABEL):
        return placeholder[len(LABEL) :]
    return OWN.get(placeholder)


def labels_in(value: object) -> list[str]:
    """Every label the placeholders in `value` (nested dicts and lists too) read, in order, once each."""
    found: dict[str, None] = {}
    for text in _strings(value):
        for placeholder in PLACEHOLDER.findall(text):
            label = label_of(placeholder)
            if label is not None:
                found[label] = None
    return list(found)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def text_problems(text: str) -> list[str]:
    """What is wrong with the placeholders of one string (one line each, no path)."""
    return [f"unknown placeholder {{{p}}} ({HOW})" for p in PLACEHOLDER.findall(text) if label_of(p) is None]


def request_problems(value: object, shape: StructureShape | None, *, path: str, owner: str) -> list[str]:
    """What is wrong with `value` as the request of an operation whose input is `shape`: members it does not have
    (with the closest real name), required ones missing, scalars of the wrong type, unknown placeholders. One line
    each, `path: problem`; `owner` names the operation (`lambda PutFunctionConcurrency`)."""
    if shape is None:
        if isinstance(value, Mapping) and value:
            return [f"{path}: {owner} takes no parameters"]
        return [] if isinstance(value, Mapping) or value is None else [f"{path}: expected a mapping of parameters"]
    return _problems(value, shape, path, f"a parameter of {owner}", top=owner)


def _problems(value: object, shape: Shape, path: str, member_of: str, top: str = "") -> list[str]:
    if getattr(shape, "is_document_type", False):
        return []  # free-form JSON
    if isinstance(shape, StructureShape):
        return _structure_problems(value, shape, path, member_of, top)
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {_shown(value)}"]
        return [line for i, item in enumerate(value) for line in _problems(item, shape.member, f"{path}[{i}]", "")]
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            return [f"{path}: expected a mapping, got {_shown(value)}"]
        return [line for k, v in value.items() for line in _problems(v, shape.value, f"{path}.{k}", "")]
    return _scalar_problems(value, shape, path)


def _structure_problems(value: object, shape: StructureShape, path: str, member_of: str, top: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{path}: expected a mapping (of {', '.join(shape.members)}), got {_shown(value)}"]
    lines: list[str] = []
    members = list(shape.members)
    of = member_of or f"a member of {shape.name}"
    for key, item in value.items():
        if key not in shape.members:
            lines.append(f"{path}.{key}: not {of}{_hint(str(key), members)}")
        else:
            lines.extend(_problems(item, shape.members[key], f"{path}.{key}", ""))
    missing = [m for m in shape.required_members if m not in value]
    if missing:
        needs = " and ".join(missing)
        lines.append(f"{path}: {needs} {'is' if len(missing) == 1 else 'are'} required by {top or shape.name}")
    return lines


def _hint(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == word.lower()]
    if close:
        return f" (did you mean {close[0]}?)"
    shown = ", ".join(choices[:12]) + (", …" if len(choices) > 12 else "")
    return f" (its parameters: {shown})"


def _scalar_problems(value: object, shape: Shape, path: str) -> list[str]:
    kind = shape.type_name
    if isinstance(value, str):
        lines = [f"{path}: {line}" for line in text_problems(value)]
        has_placeholder = any(label_of(p) is not None for p in PLACEHOLDER.findall(value))
        if kind in {"string", "blob", "timestamp"} or has_placeholder:
            enum = getattr(shape, "enum", None) or []
            if enum and not has_placeholder and value not in enum:
                lines.append(f"{path}: {value!r} is not one of {', '.join(enum)}")
            return lines
        return [f"{path}: expected {_kind(kind)}, got {value!r}"]
    ok = (
        (kind in INTEGERS and isinstance(value, int) and not isinstance(value, bool))
        or (kind in FLOATS and isinstance(value, int | float) and not isinstance(value, bool))
        or (kind == "boolean" and isinstance(value, bool))
        or (kind == "timestamp" and isinstance(value, int | float) and not isinstance(value, bool))
    )
    if not ok:
        quote = " (quote it)" if kind == "string" and isinstance(value, int | float) else ""
        return [f"{path}: expected {_kind(kind)}, got {_shown(value)}{quote}"]
    return _range_problems(value, shape, path)


def _range_problems(value: object, shape: Shape, path: str) -> list[str]:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return []
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        return [f"{path}: {value} is below the least allowed, {low}"]
    if high is not None and value > high:
        return [f"{path}: {value} is above the most allowed, {high}"]
    return []


def _kind(type_name: str) -> str:
    names = {"string": "a string", "boolean": "true or false", "timestamp": "a timestamp", "blob": "a string"}
    if type_name in INTEGERS:
        return "an integer"
    if type_name in FLOATS:
        return "a number"
    return names.get(type_name, f"a {type_name}")


def _shown(value: object) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def fill(value: Any, shape: Shape | None, labels: Mapping[str, str], path: str = "") -> Any:
    """`value` with its placeholders replaced by the alert's labels, converted to what `shape` wants where a
    placeholder stands for a number or a boolean. ValueError says which value does not fit."""
    if isinstance(value, str):
        text = fill_text(value, labels)
        return text if shape is None else _converted(text, shape, path, value)
    if isinstance(value, Mapping):
        return {k: fill(v, _member(shape, str(k)), labels, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        member = shape.member if isinstance(shape, ListShape) else None
        return [fill(v, member, labels, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def fill_text(text: str, labels: Mapping[str, str]) -> str:
    """`text` with each placeholder replaced by its label's value (a label the alert lacks is a KeyError)."""

    def value(match: re.Match[str]) -> str:
        label = label_of(match.group(1))
        return match.group(0) if label is None else labels[label]

    return PLACEHOLDER.sub(value, text)


def _member(shape: Shape | None, key: str) -> Shape | None:
    if isinstance(shape, StructureShape):
        return shape.members.get(key)
    if isinstance(shape, MapShape):
        return shape.value
    return None


def _converted(text: str, shape: Shape, path: str, template: str) -> Any:
    kind = shape.type_name
    try:
        if kind in INTEGERS:
            return int(text)
        if kind in FLOATS:
            return float(text)
    except ValueError:
        raise ValueError(f"{path} ({template}) needs {_kind(kind)}; the alert gives {text!r}") from None
    if kind == "boolean":
        if text.lower() not in {"true", "false"}:
            raise ValueError(f"{path} ({template}) needs true or false; the alert gives {text!r}")
        return text.lower() == "true"
    return text
