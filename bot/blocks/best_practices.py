"""`/boltwatch best-practices`: the firing best-practice findings grouped by rule, each with Mute 7 days, Accept risk
and Re-check now; and the modal that asks why a risk is accepted."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby
from typing import Any

from bot.blocks.limits import MESSAGE_BLOCKS, SECTION_TEXT, fit_blocks, fit_lines, truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import bold, inline_code, italic, link, mention, plain, slack_date
from bot.enums import BestPracticeStatus
from bot.ids import ActionId, BestPracticeButton, CallbackId
from bot.views.best_practices import BestPracticeLine, Decision

SEVERITY_ICONS = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}
EVIDENCE_SHOWN = 4
HALF_SECTION = SECTION_TEXT // 2 - 20  # appeared and fixed share the digest's section


def best_practices_message(lines: list[BestPracticeLine]) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks; as many findings as fit in one message, then a count of the rest."""
    if not lines:
        text = ":white_check_mark: No best-practice finding is firing."
        return text, [_section(text)]
    decided = sum(1 for line in lines if line.decision is not None)
    count = f"{len(lines)} finding" + ("" if len(lines) == 1 else "s")
    header = f"Best practices: {count} firing, {decided} muted or accepted"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": truncate(header, 150)}}]
    shown = 0
    for rule, group in groupby(lines, key=lambda line: line.rule):
        members = list(group)
        if len(blocks) + 3 > MESSAGE_BLOCKS - 1:
            break
        why = f"\n{italic(truncate(members[0].why, 500))}" if members[0].why else ""
        blocks.append(_section(f"*{inline_code(truncate(rule, 200))}* — {len(members)} firing{why}"))
        for line in members:
            if len(blocks) + 2 > MESSAGE_BLOCKS - 1:
                break
            blocks += [_section(finding_text(line)), finding_actions(line)]
            shown += 1
    if shown < len(lines):
        more = f"…and {len(lines) - shown} more findings than fit in one message."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return header, fit_blocks(blocks)


def finding_text(line: BestPracticeLine) -> str:
    icon = SEVERITY_ICONS.get(line.severity, ":white_circle:")
    console = f" {link(line.console, 'console')}" if line.console.startswith("https://") else ""
    evidence = " · ".join(
        f"{plain(truncate(str(k), 100))}: {plain(truncate(str(v), 200))}"
        for k, v in list(line.evidence.items())[:EVIDENCE_SHOWN]
    )
    parts = [f"{icon} {bold(truncate(line.title, 300))}{console}", evidence]
    if line.decision is not None:
        parts.append(decision_text(line.decision))
    return "\n".join(part for part in parts if part)


def decision_text(decision: Decision) -> str:
    if decision.status == BestPracticeStatus.MUTED and decision.until is not None:
        return f":zzz: Muted by {mention(decision.author)} until {slack_date(decision.until)}"
    reason = f": {plain(truncate(decision.reason, 500))}" if decision.reason else ""
    return f":handshake: Risk accepted by {mention(decision.author)} {slack_date(decision.at)}{reason}"


def finding_actions(line: BestPracticeLine) -> dict[str, Any]:
    value = BestPracticeButton(line.fingerprint).encode()
    buttons = [
        (ActionId.BEST_PRACTICE_MUTE, "Mute 7 days"),
        (ActionId.BEST_PRACTICE_ACCEPT, "Accept risk"),
        (ActionId.BEST_PRACTICE_RECHECK, "Re-check now"),
    ]
    return {
        "type": "actions",
        "elements": [
            {"type": "button", "action_id": action.value, "text": {"type": "plain_text", "text": text}, "value": value}
            for action, text in buttons
        ],
    }


def accept_risk_modal(line: BestPracticeLine, private_metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.ACCEPT_RISK_MODAL.value,
        "private_metadata": private_metadata,
        "title": {"type": "plain_text", "text": "Accept risk"},
        "submit": {"type": "plain_text", "text": "Accept"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(f"{bold(truncate(line.title, 500))}\n{italic(truncate(line.why, 1000))}"),
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why is this risk acceptable?"},
                "hint": {"type": "plain_text", "text": "Recorded in the audit log and shown with the finding."},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": 500},
            },
        ],
    }


def digest_lines(appeared: list[BestPracticeLine], fixed: list[BestPracticeLine], shown: int) -> str:
    """The digest's "Best practices" section."""
    parts = []
    for label, lines in (("appeared", appeared), ("fixed", fixed)):
        if lines:
            rows = [f"• {SEVERITY_ICONS.get(x.severity, '')} {plain(truncate(x.title, 150))}" for x in lines[:shown]]
            more = "…and {n} more: `/boltwatch best-practices`"
            parts.append(fit_lines(f"_{len(lines)} {label}_", rows, total=len(lines), more=more, limit=HALF_SECTION))
    return "*Best practices*\n" + "\n".join(parts)


def recheck_note(now: datetime, account: str, region: str) -> str:
    where = f"{plain(truncate(account, 100))}/{plain(truncate(region, 100))}"
    return f":arrows_counterclockwise: Re-checked {where} at {slack_date(now)}."


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, 3000)}}
