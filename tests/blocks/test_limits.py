from __future__ import annotations

import pytest

from bot.blocks.limits import TRUNCATED, fit_blocks, truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import code_block, escape, link


def test_long_text_is_cut_visibly_and_never_past_the_limit() -> None:
    cut = truncate("x" * 5000, 3000)
    assert len(cut) == 3000 and cut.endswith(TRUNCATED)
    assert truncate("short", 3000) == "short"


def test_a_cut_inside_a_code_block_still_closes_the_fence() -> None:
    cut = truncate_mrkdwn(code_block("line\n" * 2000), 3000)
    assert cut.count("```") % 2 == 0 and len(cut) <= 3000


def test_a_message_keeps_within_every_block_kit_limit() -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 4000}} for _ in range(60)]
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "b" * 100}, "action_id": f"a{i}"}
                for i in range(30)
            ],
        }
    )
    fitted = fit_blocks(blocks)
    assert len(fitted) == 50
    assert all(len(b["text"]["text"]) <= 3000 for b in fitted if b["type"] == "section")
    assert "12 more blocks (truncated)" in fitted[-1]["elements"][0]["text"]
    actions = fit_blocks(blocks[-1:])[0]
    assert len(actions["elements"]) == 25 and all(len(e["text"]["text"]) <= 75 for e in actions["elements"])


def test_a_button_value_over_the_limit_is_a_programming_error() -> None:
    block = {
        "type": "actions",
        "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x"}, "value": "v" * 2001}],
    }
    with pytest.raises(ValueError, match="typed payloads"):
        fit_blocks([block])


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("<!channel> now", "&lt;!channel&gt; now"),
        ("<@U123> look", "&lt;@U123&gt; look"),
        ("<http://evil|bank>", "&lt;http://evil|bank&gt;"),
        ("a & b", "a &amp; b"),
    ],
)
def test_escaping_stops_pings_and_forged_links(raw: str, safe: str) -> None:
    assert escape(raw) == safe


def test_a_code_block_cannot_be_closed_early_by_its_content() -> None:
    assert code_block("a ``` b").count("```") == 2


def test_a_link_label_cannot_smuggle_another_link() -> None:
    assert link("https://x/y|z>", "<!here>") == "<https://x/y%7Cz%3E|&lt;!here&gt;>"
