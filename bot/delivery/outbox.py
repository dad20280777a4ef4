"""The outbox: every Slack write that people see, written in the same transaction as the state change it reports.

The ordering key names what an item is about (`bot.delivery.subjects`): an incident, a `/wait` job, a digest, a
command's answer, someone's App Home. Items of one key are applied strictly in order. Incident and wait messages
carry no payload: the drainer renders the subject as it is when the message is sent, so queued updates coalesce. A
thread reply carries its text, or the change a person made (an IncidentChange), which the drainer words when it
sends it. A digest or a command's answer carries its message, and forgets it once Slack has it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bot.delivery.outbox_heads import WAITING, due_heads, first_waiting
from bot.enums import OutboxOperation, OutboxStatus
from bot.store import rows_changed, take_turns
from bot.store.models import OutboxItem, SlackChannel
from bot.views.incident import IncidentChange

CLAIM_SECONDS = 60
CLAIM_LOCK = 727_110  # any constant; the advisory lock that serialises outbox claims across replicas
COMMAND_PREFIX = "command:"
CONTENT_FIELDS = ("text", "blocks", "content", "figure", "alt_text", "title")
"""What a command's answer carries (log lines, maybe; a figure of them) and forgets once Slack has it or it is given
up."""


Operation = OutboxOperation


def ordering_key(incident_id: int) -> str:
    return f"incident:{incident_id}"


def chart_key(incident_id: int) -> str:
    """An incident's charts: a key of their own, so that no update of the incident waits for a chart."""
    return f"chart:{incident_id}"


def wait_key(job_id: int) -> str:
    return f"wait:{job_id}"


def command_key() -> str:
    """A command's answers: a key of their own, so one slow answer holds back no other."""
    return f"{COMMAND_PREFIX}{uuid.uuid4().hex}"


def _add(
    session: Session,
    *,
    incident_id: int | None = None,
    key: str | None = None,
    channel: str,
    operation: Operation,
    at: datetime,
    payload: dict | None = None,
) -> OutboxItem:
    item = OutboxItem(
        **new_row(incident_id=incident_id, key=key, channel=channel, operation=operation, at=at, payload=payload)
    )
    session.add(item)
    return item


def new_row(
    *,
    incident_id: int | None = None,
    key: str | None = None,
    channel: str,
    operation: Operation,
    at: datetime,
    payload: dict | None = None,
) -> dict[str, Any]:
    """The columns of a new item, for `add_rows` (many at once) as for `_add` (one)."""
    return {
        "ordering_key": key or ordering_key(incident_id or 0),
        "operation": operation,
        "channel": channel,
        "incident_id": incident_id,
        "payload": payload or {},
        "next_attempt_at": at,
        "created_at": at,
    }


def add_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many new items in one statement (a check run's posts and updates), in the order given."""
    if rows:
        session.execute(insert(OutboxItem), rows)


def waiting_by_key(session: Session, keys: list[str], chunk: int = 1000) -> dict[str, list[OutboxItem]]:
    """For each of `keys`, its posts and updates not yet sent nor being sent, oldest first (what `enqueue_update`
    coalesces into and `post_waiting` looks for), in a few queries rather than one a key."""
    found: dict[str, list[OutboxItem]] = {}
    for start in range(0, len(keys), chunk):
        items = session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.ordering_key.in_(keys[start : start + chunk]),
                OutboxItem.status.in_(WAITING),
                OutboxItem.operation.in_([Operation.UPDATE, Operation.POST]),
                OutboxItem.claimed_by.is_(None),
            )
            .order_by(OutboxItem.id)
        )
        for item in items:
            found.setdefault(item.ordering_key, []).append(item)
    return found


def enqueue_post(
    session: Session, *, incident_id: int | None = None, key: str | None = None, channel: str, not_before: datetime
) -> OutboxItem:
    """Post the message of an incident (or of the subject `key`, rendered when it is sent)."""
    return _add(session, incident_id=incident_id, key=key, channel=channel, operation=Operation.POST, at=not_before)


def enqueue_update(
    session: Session, *, incident_id: int | None = None, key: str | None = None, channel: str, not_before: datetime
) -> OutboxItem:
    """Queue a message update, or bring forward the one already waiting (it renders the latest state)."""
    key = key or ordering_key(incident_id or 0)
    waiting = _waiting(session, key, [Operation.UPDATE, Operation.POST])
    if waiting is not None:
        if waiting.operation == Operation.UPDATE and not_before < waiting.next_attempt_at:
            waiting.next_attempt_at = not_before
        return waiting
    return _add(session, incident_id=incident_id, key=key, channel=channel, operation=Operation.UPDATE, at=not_before)


def _waiting(session: Session, key: str, operations: list[Operation]) -> OutboxItem | None:
    """The item of `key` not yet sent nor being sent, with one of `operations`: a later one can coalesce into it."""
    return session.scalars(
        select(OutboxItem).where(
            OutboxItem.ordering_key == key,
            OutboxItem.status.in_(WAITING),
            OutboxItem.operation.in_(operations),
            OutboxItem.claimed_by.is_(None),
        )
    ).first()


def enqueue_message(
    session: Session,
    *,
    key: str,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    now: datetime,
    record: dict[str, Any] | None = None,
) -> OutboxItem:
    """A message sent as it is queued (a digest, a command's answer): in `channel`, or in the thread of `thread_ts`.

    `record` says where its ts goes once posted (`{"digest_run": id}`)."""
    payload: dict[str, Any] = {"text": text, "blocks": blocks or [], "thread_ts": thread_ts, **(record or {})}
    return _add(session, key=key, channel=channel, operation=Operation.POST, at=now, payload=payload)


def enqueue_message_update(
    session: Session, *, key: str, channel: str, ts: str, text: str, blocks: list[dict[str, Any]], now: datetime
) -> OutboxItem:
    """Replace an earlier answer (`ts`) with this one (a `/logs` page turned)."""
    payload = {"text": text, "blocks": blocks, "ts": ts}
    return _add(session, key=key, channel=channel, operation=Operation.UPDATE, at=now, payload=payload)


def enqueue_latest(
    session: Session, *, key: str, channel: str, text: str, blocks: list[dict[str, Any]], now: datetime
) -> OutboxItem:
    """Show this as the message `key` posted (a live tail's newest lines): an update still waiting takes the newer
    content instead of queuing another, so a slow Slack gets one `chat.update` with the latest, not a backlog."""
    waiting = _waiting(session, key, [Operation.UPDATE])
    if waiting is not None:
        waiting.payload = {"text": text, "blocks": blocks}
        return waiting
    return _add(
        session, key=key, channel=channel, operation=Operation.UPDATE, at=now, payload={"text": text, "blocks": blocks}
    )


def enqueue_file(
    session: Session, *, key: str, channel: str, content: str, name: str, thread_ts: str | None, now: datetime
) -> OutboxItem:
    """A file into the thread of `thread_ts`, or of the message `key` posted before it."""
    payload = {"content": content, "name": name, "thread_ts": thread_ts}
    return _add(session, key=key, channel=channel, operation=Operation.UPLOAD_FILE, at=now, payload=payload)


def enqueue_home(session: Session, *, user: str, not_before: datetime) -> OutboxItem:
    """Publish `user`'s App Home (rendered when sent); only the newest matters, so one waiting item serves all."""
    key = f"home:{user}"
    waiting = _waiting(session, key, [Operation.PUBLISH_HOME])
    if waiting is not None:
        if not_before < waiting.next_attempt_at:
            waiting.next_attempt_at = not_before
        return waiting
    return _add(session, key=key, channel=user, operation=Operation.PUBLISH_HOME, at=not_before)


def enqueue_reply(session: Session, *, incident_id: int, channel: str, text: str, now: datetime) -> OutboxItem:
    return _add(
        session,
        incident_id=incident_id,
        channel=channel,
        operation=Operation.REPLY,
        at=now,
        payload={"text": text},
    )


def enqueue_change_reply(
    session: Session, *, incident_id: int, channel: str, change: IncidentChange, now: datetime
) -> OutboxItem:
    """A thread reply telling who did what: stored as the change, worded by the drainer when it is sent."""
    return _add(
        session,
        incident_id=incident_id,
        channel=channel,
        operation=Operation.REPLY,
        at=now,
        payload={"change": change.to_payload()},
    )


def enqueue_payload_reply(
    session: Session, *, incident_id: int, channel: str, payload: dict[str, Any], now: datetime
) -> OutboxItem:
    """A thread reply under an incident stored as data (a runbook action's failure), worded when it is sent."""
    return _add(session, incident_id=incident_id, channel=channel, operation=Operation.REPLY, at=now, payload=payload)


def enqueue_chart(
    session: Session,
    *,
    incident_id: int,
    channel: str,
    request: Mapping[str, Any],
    event: str,
    since: datetime,
    until: datetime | None,
    not_before: datetime,
) -> OutboxItem:
    """A chart of the incident's metric at `event` (fire, resolve): from before `since` to `until` (or to when it is
    drawn), in the thread of its message. It goes after the incident's items queued before it (`claim_due`)."""
    payload = {"chart": dict(request), "event": event, "since": since.isoformat(),
               "until": until.isoformat() if until is not None else None}  # fmt: skip
    return _add(session, incident_id=incident_id, key=chart_key(incident_id), channel=channel,
                operation=Operation.CHART, at=not_before, payload=payload)  # fmt: skip


def enqueue_resolve_chart(session: Session, *, incident_id: int, channel: str, now: datetime) -> OutboxItem | None:
    """At resolve, the incident's chart at fire again, over the whole incident (from its start to `now`); None when it
    had none (charts were off, or no alert of it had a chart to show)."""
    fired = charts_of(session, [incident_id]).get(incident_id)
    if fired is None:
        return None
    return enqueue_chart(session, incident_id=incident_id, channel=channel, request=fired["chart"], event="resolve",
                         since=datetime.fromisoformat(fired["since"]), until=now, not_before=now)  # fmt: skip


def enqueue_answer_chart(
    session: Session,
    *,
    key: str,
    channel: str,
    request: Mapping[str, Any],
    start: datetime,
    until: datetime,
    now: datetime,
) -> OutboxItem:
    """A command's chart (`/boltwatch chart`) of [start, until]: drawn, uploaded and posted in `channel` as the
    message of `key`."""
    payload = {"chart": dict(request), "event": "answer", "start": start.isoformat(), "until": until.isoformat()}
    return _add(session, key=key, channel=channel, operation=Operation.CHART, at=now, payload=payload)


def charts_of(session: Session, incident_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The payload of each incident's first chart (at fire), for those that had one: one query a thousand ids."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(incident_ids), 1000):
        keys = [chart_key(i) for i in incident_ids[start : start + 1000]]
        query = (
            select(OutboxItem)
            .where(OutboxItem.ordering_key.in_(keys), OutboxItem.operation == Operation.CHART)
            .order_by(OutboxItem.id)
        )
        for item in session.scalars(query):
            if item.incident_id is not None:
                found.setdefault(item.incident_id, dict(item.payload))
    return found


def record_upload(session: Session, item_id: int, *, file_id: str, alt_text: str, title: str) -> None:
    """Slack has the item's file: a retry shows this one rather than uploading it again."""
    item = session.get_one(OutboxItem, item_id)
    item.payload = {**item.payload, "file_id": file_id, "alt_text": alt_text, "title": title}


def count_failure(session: Session, item_id: int, *, failures: int) -> None:
    """How many times a chart failed for its own reasons (`attempts` also counts Slack's refusals and outages, which
    it waits out)."""
    item = session.get_one(OutboxItem, item_id)
    item.payload = {**item.payload, "failures": failures}


def page_key(incident_id: int, step: int, target: str) -> str:
    """A page of an incident's escalation step to one person (or channel): a key of its own, so that no page waits
    for another, nor for the incident's own updates."""
    return f"page:{incident_id}:{step}:{target}"


def enqueue_page(
    session: Session, *, incident_id: int, step: int, target: str, payload: dict[str, Any], now: datetime
) -> OutboxItem:
    """The incident's message, with its buttons, sent to `target` (a user id: a direct message; or a channel)
    under a line saying why; rendered when it is sent, so it shows the incident as it is then."""
    return _add(session, incident_id=incident_id, key=page_key(incident_id, step, target), channel=target,
                operation=Operation.POST, at=now, payload={"page": payload})  # fmt: skip


def enqueue_figure(
    session: Session,
    *,
    key: str,
    channel: str,
    figure: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]],
    after: str | None,
    now: datetime,
) -> OutboxItem:
    """After the key's message (queued before it, under the same key): draw `figure`, upload it, and update the
    message to `text` and `blocks` with the figure's image block after the block whose id is `after`."""
    payload = {"figure": figure, "text": text, "blocks": blocks, "after": after}
    return _add(session, key=key, channel=channel, operation=Operation.FIGURE, at=now, payload=payload)


def posted_message(session: Session, key: str) -> tuple[str, str] | None:
    """(channel id, ts) of the message the first post of `key` made, once Slack has it."""
    first = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.ordering_key == key, OutboxItem.operation == Operation.POST)
        .order_by(OutboxItem.id)
        .limit(1)
    ).first()
    if first is None or first.status != OutboxStatus.DONE or not first.result.get("ts"):
        return None
    return str(first.result.get("channel") or first.channel), str(first.result["ts"])


def enqueue_key_reply(
    session: Session, *, key: str, channel: str, payload: dict[str, Any], now: datetime
) -> OutboxItem:
    """A reply in the thread of the message of `key` (a wait's outcome: `{"outcome": true}`, worded when sent)."""
    return _add(session, key=key, channel=channel, operation=Operation.REPLY, at=now, payload=payload)


@dataclass(frozen=True)
class Claimed:
    id: int
    operation: Operation
    channel: str
    incident_id: int | None
    payload: dict[str, Any]
    attempts: int
    ordering_key: str
    attempted_at: datetime | None
    """Set when an earlier post of this item may have reached Slack: look for it there before posting again."""


def claim_due(session: Session, *, holder: str, now: datetime, interval: timedelta, limit: int = 50) -> list[Claimed]:
    """Claim the first pending item of each ordering key that is due, one per channel whose pace allows it.

    Every channel's due heads are read (`outbox_heads.due_heads`), so a channel with thousands of queued items
    holds back no other channel's. New incident posts go before updates of existing ones. A chart waits for the
    items its incident queued before it (the message it goes under, first of all); the incident's items never wait
    for a chart. Each claimed channel is reserved for `interval`, in the database, so that replicas share Slack's
    per-channel budget. On PostgreSQL claimers take turns (an advisory lock), so no replica can take an incident's
    second item while another holds its first.
    """
    take_turns(session, CLAIM_LOCK)
    channels = {row.ref: row for row in session.scalars(select(SlackChannel))}
    heads = due_heads(session, now=now)
    charts = [item for item in heads if item.operation == Operation.CHART and item.incident_id is not None]
    incidents_first = first_waiting(session, sorted({ordering_key(item.incident_id or 0) for item in charts}))
    claimed: list[Claimed] = []
    used: set[str] = set()
    for item in heads:
        if _behind_its_incident(incidents_first, item):
            continue
        if item.operation != Operation.PUBLISH_HOME:  # Home is per person, not a channel's message budget
            key = pace_key(channels, item.channel, item.operation)
            pace = channels.get(key)
            if key in used or (pace is not None and pace.next_send_at is not None and pace.next_send_at > now):
                continue
            used.add(key)
            _pace(session, channels, key, now + interval)
        item.claimed_by, item.claimed_until = holder, now + timedelta(seconds=CLAIM_SECONDS)
        operation = Operation(item.operation)
        claimed.append(
            Claimed(
                item.id,
                operation,
                item.channel,
                item.incident_id,
                dict(item.payload),
                item.attempts,
                item.ordering_key,
                item.attempted_at,
            )
        )
        if len(claimed) >= limit:
            break
    return claimed


def _behind_its_incident(incidents_first: dict[str, int], item: OutboxItem) -> bool:
    """A chart whose incident still has an item queued before it (due or not, claimed or not)."""
    if item.operation != Operation.CHART or item.incident_id is None:
        return False
    first = incidents_first.get(ordering_key(item.incident_id))
    return first is not None and first < item.id


def canonical_channel(channels: dict[str, SlackChannel], ref: str) -> str:
    """The key a channel is paced under: its id once Slack has told us, else the name it was addressed by."""
    row = channels.get(ref)
    return row.channel_id if row is not None and row.channel_id else ref


UPDATES_LANE = "/updates"


def pace_key(channels: dict[str, SlackChannel], ref: str, operation: str) -> str:
    """Posts and thread replies share a channel's budget (Slack: about one message a second per channel); message
    updates (`chat.update`, a per-method limit of its own) are paced in a lane of their own, so that a storm's
    updates do not wait behind its posts, nor posts behind updates."""
    key = canonical_channel(channels, ref)
    return key + UPDATES_LANE if operation in (Operation.UPDATE, Operation.FIGURE) else key


def _pace(session: Session, channels: dict[str, SlackChannel], key: str, until: datetime) -> None:
    row = channels.get(key)
    if row is None:
        is_id = key[:1] in "CGD" and key.isalnum()
        row = channels[key] = SlackChannel(ref=key, channel_id=key if is_id else None)
        session.add(row)
    row.next_send_at = until


def channel_written(
    session: Session, *, ref: str, channel_id: str | None, next_send_at: datetime, operation: str = Operation.POST
) -> None:
    """Slack took a message for `ref` (and named its id): the channel may take the next one at `next_send_at`."""
    take_turns(session, CLAIM_LOCK)
    channels = {row.ref: row for row in session.scalars(select(SlackChannel))}
    if channel_id:
        _alias(session, channels, ref, channel_id)
    _pace(session, channels, pace_key(channels, ref, operation), next_send_at)


def channel_named(session: Session, *, ref: str, channel_id: str) -> None:
    """Slack told us the id of the channel addressed as `ref` (a `#name`)."""
    take_turns(session, CLAIM_LOCK)
    _alias(session, {row.ref: row for row in session.scalars(select(SlackChannel))}, ref, channel_id)


def known_channel_id(session: Session, ref: str) -> str | None:
    """The id of the channel addressed as `ref`, if it is an id or Slack has told us."""
    if ref[:1] in "CGD" and ref.isalnum() and ref.isupper():
        return ref
    row = session.get(SlackChannel, ref)
    return row.channel_id if row is not None else None


def _alias(session: Session, channels: dict[str, SlackChannel], ref: str, channel_id: str) -> None:
    if ref == channel_id:
        return
    alias = channels.get(ref)
    if alias is None:
        session.add(SlackChannel(ref=ref, channel_id=channel_id))
    else:
        alias.channel_id = channel_id
    channels[ref] = SlackChannel(ref=ref, channel_id=channel_id)


def channel_paused(session: Session, *, ref: str, until: datetime, operation: str = Operation.POST) -> None:
    """Slack said 429: the channel (or its updates' lane) takes nothing before `until`."""
    take_turns(session, CLAIM_LOCK)
    channels = {row.ref: row for row in session.scalars(select(SlackChannel))}
    _pace(session, channels, pace_key(channels, ref, operation), until)


def record_attempt(session: Session, item_id: int, *, now: datetime) -> None:
    """About to send a post: from now until it is recorded done, its outcome is unknown."""
    session.get_one(OutboxItem, item_id).attempted_at = now


def forget_attempt(session: Session, item_id: int) -> None:
    """Slack answered that it posted nothing: the attempt's outcome is known after all."""
    session.get_one(OutboxItem, item_id).attempted_at = None


def complete(session: Session, item_id: int, *, now: datetime, result: dict[str, Any]) -> None:
    """Slack has it. A command's answer (log lines, which may hold what nobody should keep) is forgotten now."""
    item = session.get_one(OutboxItem, item_id)
    item.status, item.done_at, item.result = OutboxStatus.DONE, now, result
    item.claimed_by = item.claimed_until = None
    _forget_content(item)


def _forget_content(item: OutboxItem) -> None:
    if item.ordering_key.startswith(COMMAND_PREFIX):
        item.payload = {k: v for k, v in item.payload.items() if k not in CONTENT_FIELDS}


def posted_ts(session: Session, key: str) -> str | None:
    """The ts of the message the first post of `key` made, once Slack has it (the parent of its later replies)."""
    posted = posted_message(session, key)
    return posted[1] if posted is not None else None


def state_of(session: Session, item_id: int) -> tuple[str, str | None]:
    """(status, last error) of an item: how a command's answer fared."""
    item = session.get_one(OutboxItem, item_id)
    return item.status, item.last_error


def retry_later(session: Session, item_id: int, *, at: datetime, error: str, count_attempt: bool = True) -> None:
    item = session.get_one(OutboxItem, item_id)
    item.next_attempt_at, item.last_error = at, error
    item.attempts += 1 if count_attempt else 0
    item.claimed_by = item.claimed_until = None


def block(
    session: Session, item_id: int, *, now: datetime, at: datetime, error: str, count_attempt: bool = True
) -> None:
    """Slack refused it for a reason that needs fixing: keep it, say why, try again at `at`."""
    item = session.get_one(OutboxItem, item_id)
    item.status, item.last_error, item.next_attempt_at = OutboxStatus.BLOCKED, error, at
    item.blocked_since = item.blocked_since or now
    item.attempts += 1 if count_attempt else 0
    item.claimed_by = item.claimed_until = None


def record_fallback(session: Session, item_id: int, *, channel: str, ts: str) -> None:
    """The blocked item was shown in the default channel instead (once; its own channel is still retried)."""
    item = session.get_one(OutboxItem, item_id)
    item.result = {**item.result, "fallback": {"channel": channel, "ts": ts}}


def fallback_of(session: Session, item_id: int) -> dict[str, str] | None:
    return session.get_one(OutboxItem, item_id).result.get("fallback")


def give_up(session: Session, item_id: int, *, now: datetime, error: str) -> None:
    """A permanent failure (the channel is gone, the message is invalid): keep it for the record, stop trying."""
    item = session.get_one(OutboxItem, item_id)
    item.status, item.done_at, item.last_error = OutboxStatus.FAILED, now, error
    item.attempts += 1
    item.claimed_by = item.claimed_until = None
    _forget_content(item)


def post_waiting(session: Session, key: str) -> bool:
    """The message of `key` is still to be posted, and nobody is posting it: the post will show the newest state."""
    return _waiting(session, key, [Operation.POST]) is not None


def pending_count(session: Session) -> int:
    pending = select(func.count()).select_from(OutboxItem).where(OutboxItem.status == OutboxStatus.PENDING)
    return session.scalar(pending) or 0


def release_claims(session: Session, *, holder: str) -> int:
    """Give back every item `holder` claimed: a replica starting under the name of one that died holds nothing yet,
    so its predecessor's claims are free at once rather than when they expire. An attempt already recorded stays, so
    the next send looks the post up in Slack first. Returns how many."""
    released = session.execute(
        update(OutboxItem)
        .where(OutboxItem.claimed_by == holder, OutboxItem.status != OutboxStatus.DONE)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(released)
