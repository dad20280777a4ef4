"""What runbook actions look like: the confirmation modal with the exact call (and the params a person may change),
the dry run's answer, a failed call's reply in the incident's thread, what Boltwatch undid by itself later, the audit
list, and the list of what an incident offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.blocks.limits import fit_blocks, fit_text, truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import inline_code, mention, plain, slack_date
from bot.durations import format_duration
from bot.ids import ActionId, CallbackId, RunButton
from bot.views.audit import AuditLine
from bot.views.runbook import ActionOffer

DRY_RUN_BLOCK = "dry_run"
DRY_RUN_ACTION = "choice"
DRY_RUN_VALUE = "dry_run"
PARAM_BLOCK = "param:"
"""An editable param's input block is `param:NAME`; its element's action id is PARAM_ACTION."""
PARAM_ACTION = "value"
CALL_TEXT = 2000


@dataclass(frozen=True)
class ParamInput:
    """A param the confirmation lets the person change, as its text input shows it."""

    name: str
    label: str
    value: str
    hint: str


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
    then: str = ""
    """What Boltwatch does by itself later (the end of a pause), in words with its call; or empty."""
    inputs: tuple[ParamInput, ...] = ()


def confirm_modal(view: ConfirmView, metadata: str) -> dict[str, Any]:
    facts = [
        f"*Call:* {inline_code(truncate(view.call, CALL_TEXT))}",
        f"*Where:* account {plain(view.account)} · {plain(view.region)} · as {inline_code(view.role)}",
        f"*Undo:* {plain(view.reversible)}",
    ]
    if view.then:
        facts.append(f"*Then:* {plain(view.then)}")
    if view.verify:
        by = f"{view.verify_by} {inline_code(view.verify)}"
        facts.append(f"*Verified by:* {by}, its progress in the incident's thread")
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(plain(view.confirmation), 3000)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn("\n".join(facts), 3000)}},
        *(_param_input(param) for param in view.inputs),
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


def _param_input(param: ParamInput) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": f"{PARAM_BLOCK}{param.name}",
        "label": {"type": "plain_text", "text": truncate(param.label, 2000)},
        "hint": {"type": "plain_text", "text": truncate(param.hint, 2000)},
        "element": {
            "type": "plain_text_input",
            "action_id": PARAM_ACTION,
            "initial_value": truncate(param.value, 3000),
        },
    }


def dry_run_view(view: ConfirmView) -> dict[str, Any]:
    """The modal after a dry run: what would have been called; nothing was."""
    text = (
        f":mag: *Dry run: nothing was called.* Confirming without the dry run would call\n"
        f"{inline_code(truncate(view.call, CALL_TEXT))}\nin account {plain(view.account)} · {plain(view.region)} "
        f"as {inline_code(view.role)}" + (f", then wait for {inline_code(view.verify)}." if view.verify else ".")
    )
    if view.then:
        text += f"\n*Then:* {plain(view.then)}"
    return notice_view(view.title, text)


def reading_view(title: str) -> dict[str, Any]:
    """The modal while the action reads AWS for what to show (Slack's trigger lasts 3 s; AWS may take longer)."""
    return notice_view(title, ":hourglass_flowing_sand: Reading from AWS what this action would change…")


def notice_view(title: str, text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(title, 24)},
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


def undone_reply(undone: dict[str, Any]) -> str:
    """`The actions of alarm X are enabled again: Boltwatch called … by itself, 1h after <@U1> ran …`."""
    call, action, resource = _told(undone)
    state = f" ({plain(truncate(str(undone['state']), 300))})" if undone.get("state") else ""
    return fit_text(
        f":bell: {plain(truncate(str(undone.get('done', '')), 500))}: Boltwatch called {call} "
        f"by itself{state}, {plain(str(undone.get('lasted', '')))} after {mention(str(undone.get('user', '')))} "
        f"ran {action} on {resource}."
    )


def undo_failed_reply(failure: dict[str, Any]) -> str:
    """Boltwatch could not make its own call: why, that it tries again, and the permission it lacks if that is why."""
    call, action, resource = _told(failure)
    text = (
        f":warning: {mention(str(failure.get('user', '')))} Boltwatch could not call {call} to end {action} on "
        f"{resource}: {plain(truncate(str(failure.get('error', '')), 1500))}\nIt tries again in "
        f"{plain(str(failure.get('retry', '')))}, and on until AWS takes the call."
    )
    if failure.get("iam_action"):
        text += f"\nThe responder role needs {inline_code(str(failure['iam_action']))}."
    return fit_text(text)


def _told(payload: dict[str, Any]) -> tuple[str, str, str]:
    """The call, the action and the resource of a scheduled undo's reply, as inline code."""
    return (
        inline_code(truncate(str(payload.get("call", "")), CALL_TEXT)),
        inline_code(str(payload.get("action", ""))),
        inline_code(truncate(str(payload.get("resource", "")), 300)),
    )


def audit_blocks(lines: list[AuditLine], *, since: str) -> list[dict[str, Any]]:
    if not lines:
        text = f"No runbook actions in the last {plain(since)}."
        return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    rows = [
        f"{slack_date(line.at)} {_actor(line)} {inline_code(truncate(line.subject, 200))} "
        + (f"{plain(truncate(line.change, 200))} · " if line.change else "")
        + plain(line.result) + (f" ({line.duration_ms} ms)" if line.duration_ms is not None else "")
        for line in lines
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Runbook actions in the last {plain(since)}*"}}
    ]
    chunk = ""
    for row in rows:
        if len(chunk) + len(row) > 2900:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
            chunk = ""
        chunk += row + "\n"
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return fit_blocks(blocks)  # an ephemeral message: 50 blocks


def _actor(line: AuditLine) -> str:
    """Who: a person, or Boltwatch doing by itself what a person's action left it (the end of their pause)."""
    if line.on_behalf_of is None:
        return mention(line.actor)
    return f"Boltwatch (automatic, {plain(line.started_by or 'started by')} {mention(line.on_behalf_of)})"


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
