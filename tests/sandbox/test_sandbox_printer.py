"""The sandbox's terminal printer: Home once per change in one line, alerts counted, mentions shown by name."""

from __future__ import annotations

import asyncio
import io

from sandbox.printer import Printer
from sandbox.slack import LocalEvent, LocalSlack, Message

HOME = {
    "type": "home",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Boltwatch"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*2 open* incidents &amp; 0 acknowledged"}},
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "a long list " * 40}},
    ],
}


def posted(key: str, text: str = "hello <@U0BOB>") -> Message:
    metadata = {"event_type": "boltwatch_outbox", "event_payload": {"key": key, "item_id": 1}}
    return Message(channel="C0ALERTS", ts="1.000001", user="U0BOLTWATCH", text=text, metadata=metadata)


async def test_home_prints_one_summary_line_per_change_however_often_it_is_published() -> None:
    out = io.StringIO()
    async with LocalSlack() as slack:
        printer = Printer(slack, out)
        for _ in range(24):
            printer(LocalEvent(kind="home", user="U0ALICE", message=HOME))
        changed = {**HOME, "blocks": HOME["blocks"][:2]}
        printer(LocalEvent(kind="home", user="U0ALICE", message=changed))

    lines = [line for line in out.getvalue().splitlines() if line]
    assert len(lines) == 2
    assert lines[0].startswith("── Home of @alice · published ── Boltwatch · *2 open* incidents & 0 acknowledged ·")
    assert len(lines[0]) < 160 and lines[0].endswith("…")


async def test_alerts_are_the_incident_posts_and_waiting_for_one_ends_when_it_comes() -> None:
    out = io.StringIO()
    async with LocalSlack() as slack:
        printer = Printer(slack, out)
        printer(LocalEvent(kind="message", channel="C0ALERTS", message=posted("command:1")))
        assert (printer.alerts, await printer.next_alert(after=0, timeout=0.1)) == (0, False)

        waiting = asyncio.create_task(printer.next_alert(after=0, timeout=5))
        await asyncio.sleep(0.05)
        printer(LocalEvent(kind="reply", channel="C0ALERTS", message=posted("incident:7")))
        printer(LocalEvent(kind="message", channel="C0ALERTS", message=posted("incident:7")))

        assert await waiting is True and printer.alerts == 1
    assert "── #alerts · new message ──\nhello @bob" in out.getvalue()
