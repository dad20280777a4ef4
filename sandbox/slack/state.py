"""Everything the local Slack holds, shared by the Web API methods, the response_url endpoint and the sender."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.slack.faults import Faults
from sandbox.slack.messages import History
from sandbox.slack.recording import LocalEvent, Recorder
from sandbox.slack.workspace import SlackError, Workspace

TRIGGER_LIFETIME = 3.0


@dataclass
class Trigger:
    user: str
    issued: float
    used: bool = False


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    title: str = ""
    content: bytes | None = None
    completed: bool = False
    """`files.completeUploadExternal` took it: only then may messages show it (`slack_file`)."""


@dataclass
class SlackState:
    clock: Callable[[], float]
    bot_token: str
    app_token: str
    signing_secret: str
    workspace: Workspace = field(default_factory=Workspace)
    history: History = field(default_factory=History)
    recorder: Recorder = field(default_factory=Recorder)
    faults: Faults = field(init=False)
    url: str = ""
    triggers: dict[str, Trigger] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    modal_stacks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    token_refusal: str | None = None
    """Set (e.g. `token_revoked`) while the bot token is refused by every Web API method."""
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.faults = Faults(self.clock)

    def now(self) -> float:
        return self.clock()

    def new_id(self, prefix: str) -> str:
        """A Slack-looking id such as F0000000012 or V0000000003."""
        return f"{prefix}{next(self._serial):010d}"

    def emit(self, kind: str, **details: Any) -> None:
        self.recorder.emit(LocalEvent(kind=kind, **details))

    def issue_trigger(self, user: str) -> str:
        trigger_id = f"{next(self._serial)}.{secrets.token_hex(6)}"
        self.triggers[trigger_id] = Trigger(user=user, issued=self.now())
        return trigger_id

    def use_trigger(self, trigger_id: str | None) -> Trigger:
        """Slack's trigger ids work once, within 3 seconds."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None or self.now() - trigger.issued > TRIGGER_LIFETIME:
            raise SlackError("expired_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        trigger.used = True
        return trigger
