"""The `/logs … live` message: the newest lines within Slack's limits, escaped, a Stop button only while it streams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.aws.logs import LogEvent
from bot.blocks.limits import SECTION_TEXT
from bot.blocks.logs_live import LINE_TEXT, SHOWN_LINES, LiveTailView, live_tail_message
from bot.ids import ActionId

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def view(messages: list[str], **changes: object) -> LiveTailView:
    events = tuple(LogEvent(NOW, "s", m, str(i)) for i, m in enumerate(messages))
    fields: dict = {"lines": events[-SHOWN_LINES:], "received": len(events)} | changes
    return LiveTailView("t1", "/aws/lambda/orders", "U0ALICE", NOW, NOW + timedelta(minutes=5), **fields)


def test_a_flood_of_long_lines_shows_the_newest_that_fit_one_section() -> None:
    _text, blocks = live_tail_message(view([f"{i} " + "x" * 5000 for i in range(500)]), now=NOW)
    body = blocks[1]["text"]["text"]
    assert len(body) <= SECTION_TEXT
    assert "499 " in body and "480 " not in body
    assert all(len(line) <= LINE_TEXT + 20 for line in body.splitlines())
    assert "500 events, the newest 20 shown" in str(blocks)


def test_log_text_cannot_ping_or_link_and_the_stop_button_is_there_while_it_streams() -> None:
    _text, blocks = live_tail_message(view(["<!channel> <http://evil|bank>"]), now=NOW)
    assert "<!channel>" not in str(blocks) and "&lt;!channel&gt;" in str(blocks)
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert actions["elements"][0]["action_id"] == ActionId.LOGS_LIVE_STOP.value
    assert actions["elements"][0]["value"] == "t1"


def test_an_ended_tail_says_why_and_has_no_button() -> None:
    _text, blocks = live_tail_message(view(["a"], stopped_by="U0BOB"), now=NOW)
    assert "Live tail ended" in str(blocks) and "stopped by <@U0BOB>" in str(blocks)
    assert not [b for b in blocks if b["type"] == "actions"]
    _text, blocks = live_tail_message(view([], ended="<b> 5m are up"), now=NOW)
    assert "&lt;b&gt; 5m are up" in str(blocks) and "No events yet" in str(blocks)


def test_a_tail_reconnecting_says_so_and_keeps_its_stop_button() -> None:
    _text, blocks = live_tail_message(view(["a"], reconnecting="<x> reconnecting… (attempt 2 of 5)"), now=NOW)
    assert ":warning: &lt;x&gt; reconnecting… (attempt 2 of 5)" in str(blocks)
    assert "Live tail ended" not in str(blocks)
    assert [b for b in blocks if b["type"] == "actions"]
