"""The sandbox's terminal: every message the bot sends, as Slack would show it, and waiting on what it sends."""

from __future__ import annotations

import asyncio
import json
from typing import Any, TextIO

from sandbox.slack import LocalEvent, LocalSlack, Message, render_text

QUIET_SECONDS = 1.5
"""Nothing printed for this long after a command's first answer: the command is done."""
COMMAND_TIMEOUT_SECONDS = 60.0
HOME_SUMMARY = 110
LABELS = {"message": "new message", "reply": "thread reply", "update": "message updated"}
ALERT_SUBJECT = "incident:"
"""The outbox's ordering key of an incident's message, carried in the metadata of each post."""


class Printer:
    """Prints what the bot sends; counts the alerts it posts and remembers when it last printed."""

    def __init__(self, slack: LocalSlack, out: TextIO) -> None:
        self._slack = slack
        self._out = out
        self._homes: dict[str, str] = {}
        self._changed = asyncio.Event()
        self.events = 0
        self.alerts = 0
        self.last_event_at = 0.0

    def __call__(self, event: LocalEvent) -> None:
        if event.kind == "home":
            self._home(event)
        elif event.kind in {"message", "reply", "update", "ephemeral", "view"}:
            where = f"#{self._slack.channel_name(event.channel)}" if event.channel else f"user {event.user}"
            label = LABELS.get(event.kind, event.kind)
            body = self._render(event.message) if event.message is not None else str(event.details)
            self._print(f"\n── {where} · {label} ──\n{body}\n")
            if event.kind == "message" and is_alert(event.message):
                self.alerts += 1
        else:
            return
        self._changed.set()
        self._changed = asyncio.Event()

    def _render(self, message: Any) -> str:
        return render_text(message, names=self._slack.name_of)

    def _home(self, event: LocalEvent) -> None:
        """A Home publish, in one line, and only when it shows something new: Home is republished on every change
        of what it lists, for every person who opened it."""
        view = event.message or {}
        shown = json.dumps(view.get("blocks") or [], sort_keys=True)
        user = event.user or ""
        if self._homes.get(user) == shown:
            return
        self._homes[user] = shown
        lines = [line.strip("# ").strip() for line in self._render(view).splitlines() if line.strip("#- ")]
        summary = " · ".join(lines[:3])
        if len(summary) > HOME_SUMMARY:
            summary = summary[: HOME_SUMMARY - 1] + "…"
        self._print(f"\n── Home of @{self._slack.name_of(user) or user} · published ── {summary}\n")

    def _print(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
        self.events += 1
        self.last_event_at = asyncio.get_running_loop().time()

    async def quiet(self, after_events: int) -> None:
        """Wait until something new was printed and then nothing for a moment (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + COMMAND_TIMEOUT_SECONDS
        while loop.time() < deadline:
            if self.events > after_events and loop.time() - self.last_event_at > QUIET_SECONDS:
                return
            await asyncio.sleep(0.1)

    async def next_alert(self, *, after: int, timeout: float) -> bool:  # noqa: ASYNC109 a wait the user asked for
        """Wait until an alert beyond the first `after` was posted; False when `timeout` seconds pass first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.alerts <= after:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return self.alerts > after
        return True


def is_alert(message: Any) -> bool:
    """Whether a posted message is an incident's (the bot tags each post with the subject it is about)."""
    metadata = message.metadata if isinstance(message, Message) else None
    key = ((metadata or {}).get("event_payload") or {}).get("key", "")
    return str(key).startswith(ALERT_SUBJECT)
