"""Every builder, fed 100,000-character text and lists of thousands, still sends what Slack accepts (checked by
slack_sdk's Block Kit models as well as here), and says how many items it left out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import errors, incident, limits, status, wait
from bot.blocks.logs import SCREENFUL_LINES
from tests.blocks.scenarios import SCENARIOS, Output, Source, mrkdwn_texts

ITEMS = 2000
FEW = 40
HUGE = ("<!channel> *bold* _it_ ~st~ `code` ```fence``` <*> & é 🚨 <@U666>\n" * 2000)[:100_000]
# Distinct huge strings, so that dictionaries keyed by them keep many entries; shared, so memory stays small.
POOL = [f"{n} {HUGE}" for n in range(64)]
URL_TEXT = 3000
TITLE_TEXT = 24
PRIVATE_METADATA = 3000


def oversized() -> Source:
    drawn = iter(range(10**9))
    return Source(
        draw=lambda kind: POOL[next(drawn) % len(POOL)][: 10_000 if kind == "line" else None],
        count=lambda kind: ITEMS if kind == "items" else FEW,
    )


# How each builder says what it left out, in one text: an exact count where it shows a fixed number of items, any
# count where it shows as many as fit.
SOME = r"\d+"
CUTS = {
    "incident": [rf"…and {ITEMS + 1 - incident.SHOWN_ALERTS} more\.", rf"…and {SOME} more alerts\."],
    "best_practices": [rf"…and {SOME} more findings than fit in one message"],
    "digest": [rf"…and {SOME} more: `/boltwatch incidents`", rf"…and {SOME} more: `/boltwatch best-practices`"]
    + [
        rf"\*{heading}\*.*\n…and {SOME} more"
        for heading in ("New errors", "Noisiest resources", "Checks that need a look")
    ],
    "errors": [rf"…and {ITEMS + 1 - errors.SHOWN_GROUPS} more groups"],
    "status": [
        rf"…and {ITEMS - status.CHECKS_SHOWN} more checks\.",
        rf"…and {ITEMS - status.INCIDENTS_SHOWN} more\.",
        rf"\*Not delivered\*.*\n…and {SOME} more",
        rf"\*Muted\*.*\n…and {SOME} more",
        rf"…and {FEW - status.MATCHERS_SHOWN} more`",
    ],
    "home": [rf"…and {ITEMS - status.CHECKS_SHOWN} more checks\.", rf"…and {ITEMS - status.INCIDENTS_SHOWN} more\."],
    "logs": [rf"the newest {ITEMS} of {2 * ITEMS}\+ events are in the file below"],
    "wait": [rf"…and {ITEMS + 1 - wait.TARGET_IDS} more"],
    "help_and_modals": [],
    "mute": [],  # at most three did-you-mean suggestions, each cut short: nothing to count
    "maintenance": [rf"…and {FEW + 1 - 5} more`", r"…and 3 more\. Alerts still firing"],
    "runbook": [],  # the audit shows as many lines as fit in a modal's blocks; the command bounds how many it reads
}


def elements(node: Any) -> list[dict[str, Any]]:
    """Every interactive element: buttons and selects, wherever they sit."""
    found = []
    if isinstance(node, dict):
        if node.get("type") in ("button", "static_select"):
            found.append(node)
        for value in node.values():
            found += elements(value)
    elif isinstance(node, list):
        for value in node:
            found += elements(value)
    return found


def limit_breaches(block: dict[str, Any]) -> list[str]:
    """What slack_sdk does not check, or checks only in part."""
    breaches = []
    kind = block["type"]
    if kind == "section":
        if len(block.get("text", {}).get("text", "")) > limits.SECTION_TEXT:
            breaches.append("section text")
        fields = block.get("fields", [])
        if len(fields) > limits.SECTION_FIELDS or any(len(f["text"]) > limits.FIELD_TEXT for f in fields):
            breaches.append("section fields")
    if kind == "header" and len(block["text"]["text"]) > limits.HEADER_TEXT:
        breaches.append("header text")
    if kind == "context" and len(block["elements"]) > limits.CONTEXT_ELEMENTS:
        breaches.append("context elements")
    if kind == "actions" and len(block["elements"]) > limits.ACTIONS_ELEMENTS:
        breaches.append("actions elements")
    for element in elements(block):
        if len(element.get("text", {}).get("text", "")) > limits.BUTTON_TEXT:
            breaches.append("button text")
        if len(element.get("value", "")) > limits.BUTTON_VALUE or len(element.get("url", "")) > URL_TEXT:
            breaches.append("button value or url")
        if any(len(option["text"]["text"]) > limits.OPTION_TEXT for option in element.get("options", [])):
            breaches.append("option text")
    return breaches


def check(output: Output) -> None:
    if output.text is not None:
        assert len(output.text) <= output.text_limit
    blocks = output.blocks if output.view is None else output.view["blocks"]
    assert len(blocks or []) <= (limits.MESSAGE_BLOCKS if output.view is None else limits.VIEW_BLOCKS)
    for block in blocks or []:
        parsed = Block.parse(block)
        assert parsed is not None, f"slack_sdk does not know a {block['type']} block"
        parsed.validate_json()
        assert limit_breaches(block) == [], block
    if output.view is not None:
        View(**output.view).validate_json()
        for name in ("title", "submit", "close"):
            assert len(output.view.get(name, {}).get("text", "")) <= TITLE_TEXT
        assert len(output.view.get("private_metadata", "")) <= PRIVATE_METADATA


@pytest.mark.parametrize("name", SCENARIOS)
def test_huge_text_and_long_lists_stay_within_slacks_limits_and_say_what_was_left_out(name: str) -> None:
    outputs = SCENARIOS[name](oversized())

    for output in outputs:
        check(output)
    texts = [text for output in outputs for text in mrkdwn_texts(output)]
    for cut in CUTS[name]:
        assert any(re.search(cut, text, re.DOTALL) for text in texts), cut


def test_a_long_log_goes_to_a_file_with_a_preview_that_fits() -> None:
    assert SCREENFUL_LINES < ITEMS
    answers = SCENARIOS["logs"](oversized())

    preview = answers[0].blocks[1]["text"]["text"]
    assert preview.startswith("```\n") and preview.endswith("```… (truncated)")
    assert len(preview) <= limits.SECTION_TEXT
