"""What runbook actions look like: the confirmation modal with the exact call, the dry run's answer, a failed
call's reply in the incident's thread, the audit list, and the list of what an incident offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.blocks.limits import VIEW_BLOCKS, fit_blocks, fit_text, truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import inline_code, mention, plain, slack_date
from bot.durations import format_duration
from bot.ids import ActionId, CallbackId, RunButton
from bot.views.audit import AuditLine
from bot.views.runbook import ActionOffer

DRY_RUN_BLOCK = "dry_run"
DRY_RUN_ACTION = "choice"
DRY_RUN_VALUE = "dry_run"
CALL_TEXT = 2000


@dataclass(frozen=True)
class ConfirmView:
    """What the confirmation modal shows of one action about to run."""

    title: str
    confirmation: str
    call: str
    """`ec2.RebootInstances(InstanceIds=['i-…'])`"""
    role: str
    """The credentials it runs with: the responder role's ARN, or the account's own."""
    account: str
    region: str
    reversible: str
    verify: str
    """`ec2 instance_status_ok`, or empty."""
    verify_by: str = "the waiter"
    """How `verify` proves it: `the waiter`, or `polling` (an action's own poll, such as `sqs ListMessageMoveTasks`)."""


def confirm_modal(view: ConfirmView, metadata: str) -> dict[str, Any]:
    facts = [
        f"*Call:* {inline_code(truncate(view.call, CALL_TEXT))}",
        f"*Where:* account {plain(view.account)} · {plain(view.region)} · as {inline_code(view.role)}",
        f"*Undo:* {plain(view.reversible)}",
    ]
    if view.verify:
        by = f"{view.verify_by} {inline_code(view.verify)}"
        facts.append(f"*Verified by:* {by}, its progress in the incident's thread")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(plain(view.confirmation), 3000)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn("\n".join(facts), 3000)}},
        {
            "type": "input",
            "block_id": DRY_RUN_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Dry run"},
            "element": {
                "type": "checkboxes",
                "action_id": DRY_RUN_ACTION,
                "options": [
                    {
                        "text": {"type": "plain_text", "text": "Only show what would be called"},
                        "value": DRY_RUN_VALUE,
                    }
                ],
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.ACTION_CONFIRM.value,
        "title": {"type": "plain_text", "text": truncate(view.title, 24)},
        "submit": {"type": "plain_text", "text": "Run"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": blocks,
    }


def dry_run_view(view: ConfirmView) -> dict[str, Any]:
    """The modal after a dry run: what would have been called; nothing was."""
    text = (
        f":mag: *Dry run: nothing was called.* Confirming without the dry run would call\n"
        f"{inline_code(truncate(view.call, CALL_TEXT))}\nin account {plain(view.account)} · {plain(view.region)} "
        f"as {inline_code(view.role)}" + (f", then wait for {inline_code(view.verify)}." if view.verify else ".")
    )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(view.title, 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, 3000)}}],
    }


def failure_reply(failure: dict[str, Any]) -> str:
    """`<@U1> ec2_reboot on i-… failed: …`, and the IAM action the responder role lacks when that is the cause."""
    text = (
        f":x: {mention(str(failure.get('user', '')))} {inline_code(str(failure.get('action', '')))} on "
        f"{inline_code(truncate(str(failure.get('resource', '')), 300))} failed: "
        f"{plain(truncate(str(failure.get('error', '')), 1500))}"
    )
    if failure.get("iam_action"):
        text += f"\nThe responder role needs {inline_code(str(failure['iam_action']))}."
    return fit_text(text)


def audit_blocks(lines: list[AuditLine], *, since: str) -> list[dict[str, Any]]:
    if not lines:
        text = f"No runbook actions in the last {since}."
        return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    rows = [
        f"{slack_date(line.at)} {mention(line.actor)} {inline_code(truncate(line.subject, 200))} "
        f"{plain(line.result)}" + (f" ({line.duration_ms} ms)" if line.duration_ms is not None else "")
        for line in lines
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Runbook actions in the last {since}*"}}
    ]
    chunk = ""
    for row in rows:
        if len(chunk) + len(row) > 2900:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
            chunk = ""
        chunk += row + "\n"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return fit_blocks(blocks, limit=VIEW_BLOCKS)


def actions_list_blocks(incident_id: int, title: str, offers: list[ActionOffer]) -> list[dict[str, Any]]:
    """`/boltwatch actions INCIDENT`: each action the incident offers, what it would call, whether the person asking
    may run it and its cooldown, with the incident message's own Run button."""
    heading = f"*Runbook actions for incident #{incident_id}* {plain(truncate(title, 200))}"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": heading}}]
    if not offers:
        text = "None applies now: no enabled action fixes what fires in it (`actions` in the config)."
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    for offer in offers:
        lines = [f"*{plain(offer.title)}* {inline_code(offer.name)}"]
        if offer.call:
            lines.append(f"Calls {inline_code(truncate(offer.call, CALL_TEXT))}")
        else:
            lines.append(f":warning: {offer.problem}")
        lines.append(":white_check_mark: You may run it." if offer.allowed else f":no_entry: {offer.why_not}")
        if offer.cooldown_left is not None:
            lines.append(f":hourglass: Cooling down: it may run on this resource again in "
                         f"{format_duration(offer.cooldown_left)}.")  # fmt: skip
        block: dict[str, Any] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate_mrkdwn("\n".join(lines), 3000)},
        }
        if offer.call and offer.allowed:
            block["accessory"] = {
                "type": "button",
                "text": {"type": "plain_text", "text": truncate(offer.title + "…", 75)},
                "action_id": ActionId.INCIDENT_RUN.value,
                "value": RunButton(incident_id, offer.name).encode(),
            }
        blocks.append(block)
    return fit_blocks(blocks)
