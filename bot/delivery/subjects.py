"""What an outbox item is about, told by its ordering key, and what it looks like when it is sent.

- `incident:N` and `wait:N`: one message per subject, rendered from the database when sent (so queued updates
  coalesce and a message always shows the newest state), its thread replies worded when sent.
- `digest:…` and `command:…`: messages sent as they were queued (a digest, a command's answer); a later item of the
  same key replies in the thread of the key's first message, and a figure (`Operation.FIGURE`) adds its chart to
  that message.
- `chart:N`: incident N's charts, in the thread of its message; a key of their own, so that the incident's updates
  never wait for one.
- `home:USER`: that person's App Home, rendered when published.
- `page:N:STEP:TARGET`: incident N's message with its buttons, sent to someone its escalation pages (a direct
  message) under a line saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from bot.blocks.escalation import escalation_reply, page_intro
from bot.blocks.incident import change_reply, incident_message
from bot.blocks.limits import fit_blocks
from bot.blocks.runbook import failure_reply, undo_failed_reply, undone_reply
from bot.blocks.wait import wait_message, wait_outcome_reply
from bot.delivery import outbox
from bot.delivery.outbox import Claimed, Operation
from bot.store.models import DigestRun, Incident, WaitJob
from bot.views.incident import ActionChoice, IncidentChange, IncidentSnapshot
from bot.views.incident_queries import load_snapshot
from bot.views.wait_queries import load_wait


class Kind(StrEnum):
    INCIDENT = "incident"
    WAIT = "wait"
    MESSAGE = "message"
    HOME = "home"
    CHART = "chart"
    PAGE = "page"


_KINDS = {"incident": Kind.INCIDENT, "wait": Kind.WAIT, "home": Kind.HOME, "chart": Kind.CHART, "page": Kind.PAGE}


def kind_of(key: str) -> Kind:
    return _KINDS.get(key.split(":", 1)[0], Kind.MESSAGE)


@dataclass(frozen=True)
class Rendered:
    channel: str
    message_ts: str | None
    """The subject's message in Slack once posted: what an update edits and a reply threads under."""
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    """The thread the subject's message is posted in, if it is a reply (a runbook action's verification)."""


ActionChoices = Callable[[Session, IncidentSnapshot], tuple[ActionChoice, ...]]
"""The runbook actions an incident's message offers (some only after another ran: the session tells); the composition
root knows the enabled ones."""


def no_actions(_session: Session, _snapshot: IncidentSnapshot) -> tuple[ActionChoice, ...]:
    return ()


def render(session: Session, item: Claimed, now: datetime, choices: ActionChoices = no_actions) -> Rendered | None:
    """What `item` sends now, or None when its subject is gone."""
    kind = kind_of(item.ordering_key)
    if kind is Kind.INCIDENT:
        if item.incident_id is None or (snapshot := load_snapshot(session, item.incident_id)) is None:
            return None
        incident = session.get_one(Incident, item.incident_id)
        text, blocks = incident_message(replace(snapshot, actions=choices(session, snapshot)), now=now)
        if item.operation is Operation.REPLY:
            text, blocks = reply_text(item.payload), []
        return Rendered(incident.channel, incident.message_ts, text, blocks)
    if kind is Kind.PAGE:
        if item.incident_id is None or (snapshot := load_snapshot(session, item.incident_id)) is None:
            return None
        _, blocks = incident_message(replace(snapshot, actions=choices(session, snapshot)), now=now)
        text, intro = page_intro(item.payload.get("page") or {})
        return Rendered(item.channel, None, text, fit_blocks([intro, *blocks]))
    if kind is Kind.CHART:
        # The picture is drawn by the drainer; here only where it goes.
        owner = session.get(Incident, item.incident_id) if item.incident_id is not None else None
        return Rendered(owner.channel, owner.message_ts, "", []) if owner is not None else None
    if kind is Kind.WAIT:
        job = load_wait(session, int(item.ordering_key.split(":", 1)[1]))
        if job is None:
            return None
        text, blocks = wait_message(job, now=now)
        if item.operation is Operation.REPLY:
            text, blocks = wait_outcome_reply(job) if item.payload.get("outcome") else item.payload.get("text", ""), []
            # A reply to a message that is itself a reply goes in the same thread.
            return Rendered(job.channel, job.thread_ts or job.message_ts, text, blocks)
        return Rendered(job.channel, job.message_ts, text, blocks, thread_ts=job.thread_ts)
    payload = item.payload
    parent = payload.get("ts") or payload.get("thread_ts") or outbox.posted_ts(session, item.ordering_key)
    return Rendered(item.channel, parent, payload.get("text", ""), list(payload.get("blocks") or []))


def reply_text(payload: dict[str, Any]) -> str:
    """An incident's thread reply is queued as its text, or as a person's change to the incident, worded here."""
    if "change" in payload:
        return change_reply(IncidentChange.from_payload(payload["change"]))
    if "action_failed" in payload:
        return failure_reply(payload["action_failed"])
    if "escalated" in payload:
        return escalation_reply(payload["escalated"])
    if "undone" in payload:
        return undone_reply(payload["undone"])
    if "undo_failed" in payload:
        return undo_failed_reply(payload["undo_failed"])
    return str(payload.get("text", ""))


def record_sent(session: Session, item: Claimed, result: dict[str, Any], now: datetime) -> None:
    """Remember where the subject's message now is (a first post, or a post again after it was deleted)."""
    kind = kind_of(item.ordering_key)
    if kind is Kind.INCIDENT and item.incident_id is not None:
        incident = session.get(Incident, item.incident_id)
        if incident is None:
            return
        if result.get("posted"):
            incident.message_ts, incident.channel = result["ts"], result["channel"]
        if item.operation is not Operation.REPLY:
            incident.last_notified_at = now
    elif kind is Kind.WAIT and result.get("posted"):
        job = session.get(WaitJob, int(item.ordering_key.split(":", 1)[1]))
        if job is not None:
            job.message_ts, job.channel = result["ts"], result["channel"]
    elif "digest_run" in item.payload and result.get("ts"):
        run = session.get(DigestRun, item.payload["digest_run"])
        if run is not None:
            run.message_ts = result["ts"]
