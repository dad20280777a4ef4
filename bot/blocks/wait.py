"""The `/wait` progress message: one message, updated each poll, with a Cancel button until it ends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.limits import fit_blocks, fit_text, truncate
from bot.blocks.mrkdwn import inline_code, mention, plain
from bot.durations import format_duration
from bot.enums import WaitStatus
from bot.ids import ActionId, WaitButton
from bot.views.wait import WaitView

HEADLINE: dict[str, str] = {
    WaitStatus.WAITING: ":hourglass_flowing_sand: Waiting",
    WaitStatus.SUCCESS: ":white_check_mark: Done",
    WaitStatus.FAILURE: ":x: Failed",
    WaitStatus.TIMEOUT: ":alarm_clock: Timed out",
    WaitStatus.CANCELLED: ":no_entry_sign: Cancelled",
}


TARGET_IDS = 10
TARGET_TEXT = 500
STATE_TEXT = 300


def wait_target(job: WaitView) -> str:
    """`service waiter id…`: the first ids, then how many more, in at most TARGET_TEXT characters."""
    ids = [str(i) for v in job.params.values() for i in (v if isinstance(v, list) else [v])]
    shown = " ".join(truncate(i, 100) for i in ids[:TARGET_IDS])
    more = f" …and {len(ids) - TARGET_IDS} more" if len(ids) > TARGET_IDS else ""
    return truncate(f"{job.service} {job.waiter} {shown}".strip(), TARGET_TEXT - len(more)) + more


def wait_message(job: WaitView, *, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    headline = f"{HEADLINE[job.status]}: {inline_code(wait_target(job))}"
    if job.run is not None:
        verb = "verifying" if job.status == WaitStatus.WAITING else "verified with"
        call = inline_code(truncate(job.run.call, TARGET_TEXT))
        headline = f"{HEADLINE[job.status]}: {call} called; {verb} {inline_code(f'{job.service} {job.waiter}')}"
    progress = (
        f"attempt {job.attempts} of {job.max_attempts} · {format_duration(now - job.created_at)} elapsed"
        f" · last seen: {plain(truncate(job.last_state, STATE_TEXT))}"
    )
    where = f"{plain(truncate(job.account, 100))} / {plain(truncate(job.region, 100))}"
    context = f"requested by {mention(job.requester)} · {where}"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{headline}\n{progress}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
    ]
    if job.status == WaitStatus.WAITING:
        blocks.append({"type": "actions", "elements": [_cancel_button(job)]})
    return fit_text(f"{HEADLINE[job.status]}: {plain(wait_target(job))}"), fit_blocks(blocks)


def _cancel_button(job: WaitView) -> dict[str, Any]:
    """Cancel for a `/wait`; for an action's verification, a button that says it stops only the watching: the call
    was made and cannot be taken back from here."""
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Cancel"},
        "action_id": ActionId.WAIT_CANCEL.value,
        "value": WaitButton(job.id).encode(),
        "style": "danger",
    }
    if job.run is None:
        return button
    action = truncate(job.run.action, 100)
    button["text"]["text"] = "Stop verifying"
    button.pop("style")
    button["confirm"] = {
        "title": {"type": "plain_text", "text": "Stop verifying?"},
        "text": {"type": "plain_text", "text": truncate(
            f"{action} has already run: stopping does not undo it. Boltwatch stops polling "
            f"{job.service} {job.waiter} and records the run as unverified.", 300
        )},
        "confirm": {"type": "plain_text", "text": "Stop verifying"},
        "deny": {"type": "plain_text", "text": "Keep verifying"},
    }  # fmt: skip
    return button


def wait_outcome_reply(job: WaitView) -> str:
    words: dict[str, str] = {
        WaitStatus.SUCCESS: "is done",
        WaitStatus.FAILURE: "failed",
        WaitStatus.TIMEOUT: "timed out",
        WaitStatus.CANCELLED: "was cancelled",
    }
    state = plain(truncate(job.last_state, STATE_TEXT))
    if job.run is not None:
        outcomes: dict[str, str] = {WaitStatus.SUCCESS: "worked", WaitStatus.FAILURE: "did not work"}
        outcome = outcomes.get(job.status, "is unverified")
        change = f" ({plain(truncate(job.run.change, 300))})" if job.run.change else ""
        return fit_text(
            f"{mention(job.requester)} {inline_code(truncate(job.run.action, 100))} on "
            f"{inline_code(truncate(job.run.resource, 300))}{change} {outcome}: "
            f"{inline_code(truncate(f'{job.service} {job.waiter}', TARGET_TEXT))} {words[job.status]} ({state})."
        )
    return f"{mention(job.requester)} {inline_code(wait_target(job))} {words[job.status]} ({state})."
