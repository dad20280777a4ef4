"""The incident message: one per incident, rebuilt from its current state on every update."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.limits import VIEW_BLOCKS, fit_blocks, fit_text, truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import bold, channel_ref, inline_code, mention, plain, slack_date, strike
from bot.durations import format_duration
from bot.enums import IncidentStatus, Severity
from bot.ids import ActionId, IncidentButton, RunButton
from bot.views.incident import AlertLine, IncidentChange, IncidentSnapshot

SHOWN_ALERTS = 10
ALERT_LINE = 280  # ten of them and the heading in one section
SHOWN_EVIDENCE = 8
SHOWN_FLAPPING = 3
SHOWN_SUPPRESSED = 3
SHOWN_EVIDENCE_VALUES = 10
URL_LIMIT = 3000
SNOOZE_CHOICES = (("30 minutes", "30m"), ("1 hour", "1h"), ("4 hours", "4h"), ("24 hours", "24h"))
SEVERITY_MARK = {
    Severity.CRITICAL: ":red_circle:",
    Severity.WARNING: ":large_orange_circle:",
    Severity.INFO: ":large_blue_circle:",
}
STATUS_MARK: dict[str, str] = {
    IncidentStatus.OPEN: "",
    IncidentStatus.ACKNOWLEDGED: ":eyes: ",
    IncidentStatus.RESOLVED: ":white_check_mark: ",
}
CHANGE_VERB = {"acknowledge": "acknowledged", "snooze": "snoozed", "resolve": "resolved", "reopen": "reopened"}


def incident_message(incident: IncidentSnapshot, *, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks for the incident as it is at `now`."""
    blocks: list[dict[str, Any]] = [_header(incident), _summary(incident, now)]
    blocks.extend(_alert_list(incident))
    blocks.append(_status_context(incident, now))
    blocks.append({"type": "actions", "block_id": f"incident:{incident.id}", "elements": _buttons(incident)})
    text = f"{incident.status.upper()} {incident.severity.value}: {plain(headline(incident))}"
    return fit_text(text), fit_blocks(blocks)


def misrouted_note(intended: str, reason: str) -> dict[str, Any]:
    """The line on an incident shown in the default channel because Slack refused the channel it was routed to."""
    text = (
        f":warning: Meant for {channel_ref(intended)}, but Slack answered {inline_code(truncate(reason, 200))}: "
        "shown here until it can go there."
    )
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def moved_note(channel_id: str) -> tuple[str, list[dict[str, Any]]]:
    """What the incident's copy in the default channel becomes once the incident reached its own channel."""
    text = f":arrow_right: This incident is now in {channel_ref(channel_id)}."
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def headline(incident: IncidentSnapshot) -> str:
    """The lead alert's title, and how many others share the message."""
    lead = incident.lead
    if lead is None:
        return incident.title
    others = len(incident.firing or incident.alerts) - 1
    return lead.title + (f" (+{others} more)" if others > 0 else "")


def _header(incident: IncidentSnapshot) -> dict[str, Any]:
    mark = STATUS_MARK[incident.status] or SEVERITY_MARK[incident.severity] + " "
    label: dict[str, str] = {
        IncidentStatus.OPEN: incident.severity.value.upper(),
        IncidentStatus.ACKNOWLEDGED: "ACKNOWLEDGED",
        IncidentStatus.RESOLVED: "RESOLVED",
    }
    flapping = " · FLAPPING" if incident.flapping and incident.status != IncidentStatus.RESOLVED else ""
    text = truncate(f"{mark}{label[incident.status]}{flapping} · {headline(incident)}", 150)
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _summary(incident: IncidentSnapshot, now: datetime) -> dict[str, Any]:
    lead = incident.lead
    lines: list[str] = []
    if lead is not None:
        if lead.summary:
            lines.append(plain(truncate(lead.summary, 1000)))
        place = (lead.account and f"account {truncate(lead.account, 100)}", truncate(lead.region, 100))
        where = " · ".join(plain(part) for part in place if part)
        lines.append(f"*Resource:* {inline_code(truncate(lead.resource, 300))}" + (f" ({where})" if where else ""))
        lines.extend(_evidence_lines(lead))
    lines.extend(_flapping_lines(incident))
    lines.extend(_suppression_lines(incident))
    ended = incident.resolved_at if incident.status == IncidentStatus.RESOLVED and incident.resolved_at else now
    lines.append(f"*Started:* {slack_date(incident.opened_at)} · lasted {format_duration(ended - incident.opened_at)}")
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn("\n".join(lines), 3000)}}


def _flapping_lines(incident: IncidentSnapshot) -> list[str]:
    """Each flapping alert (the first few) with its last 21 states as a strip, oldest first."""
    if incident.status == IncidentStatus.RESOLVED:
        return []
    lines = [
        f":repeat: *Flapping:* {plain(truncate(alert.title, 150))} {alert.flap_strip} "
        f"({alert.flap_percent:.0f}% state change; resolves and re-fires are held)"
        for alert in incident.flapping[:SHOWN_FLAPPING]
    ]
    if len(incident.flapping) > SHOWN_FLAPPING:
        lines.append(f"…and {len(incident.flapping) - SHOWN_FLAPPING} more flapping")
    return lines


def _suppression_lines(incident: IncidentSnapshot) -> list[str]:
    """Inhibition made visible: which of its alerts another alert suppresses, and how many it suppresses itself."""
    if incident.status == IncidentStatus.RESOLVED:
        return []
    lines = []
    for alert in incident.suppressed[:SHOWN_SUPPRESSED]:
        by = alert.suppressed_by
        assert by is not None
        number = f"#{by.incident_id} " if by.incident_id is not None else ""
        lines.append(
            f":no_bell: *Suppressed:* {plain(truncate(alert.title, 150))} — suppressed by "
            f"{number}{plain(truncate(by.title, 150))} (inhibit rule; not notified while that fires)"
        )
    if len(incident.suppressed) > SHOWN_SUPPRESSED:
        lines.append(f"…and {len(incident.suppressed) - SHOWN_SUPPRESSED} more suppressed")
    if incident.suppressing:
        count = f"{incident.suppressing:,} alert" + ("s" if incident.suppressing != 1 else "")
        lines.append(f":no_bell: Also suppressing {count} (inhibit rules: not notified while this fires)")
    return lines


def _evidence_lines(alert: AlertLine) -> list[str]:
    lines = []
    for key, value in list(alert.evidence.items())[:SHOWN_EVIDENCE]:
        if isinstance(value, list):
            shown = _and_more([truncate(str(v), 100) for v in value], SHOWN_EVIDENCE_VALUES)
        else:
            shown = truncate(str(value), 500)
        lines.append(f"{bold(truncate(str(key), 100) + ':')} {plain(shown)}")
    if len(alert.evidence) > SHOWN_EVIDENCE:
        lines.append(f"…and {len(alert.evidence) - SHOWN_EVIDENCE} more")
    return lines


def _and_more(values: list[str], shown: int) -> str:
    more = f" …and {len(values) - shown} more" if len(values) > shown else ""
    return ", ".join(values[:shown]) + more


def _alert_list(incident: IncidentSnapshot) -> list[dict[str, Any]]:
    if len(incident.alerts) <= 1:
        return []
    lines = [truncate_mrkdwn(_alert_line(alert), ALERT_LINE) for alert in incident.alerts[:SHOWN_ALERTS]]
    hidden = len(incident.alerts) - SHOWN_ALERTS
    firing = len(incident.firing)
    heading = f"*{firing} of {len(incident.alerts)} alerts firing*"
    listing = truncate_mrkdwn(heading + "\n" + "\n".join(lines), 3000)
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": listing}}]
    if hidden > 0:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"…and {hidden} more."},
                "accessory": _button("Show all alerts", ActionId.INCIDENT_ALERTS, incident.id),
            }
        )
    return blocks


def _alert_line(alert: AlertLine) -> str:
    """A resolved alert is struck out; the title's own `~` cannot end the strike early."""
    title = truncate(alert.title, 200)
    shown = plain(title) if alert.firing else strike(title)
    return f"• {shown} — {inline_code(truncate(alert.resource, 120))}"


def _status_context(incident: IncidentSnapshot, now: datetime) -> dict[str, Any]:
    parts = [f"Incident #{incident.id}", f"route {plain(truncate(incident.route, 200))}"]
    if incident.acknowledged_by and incident.acknowledged_at:
        parts.append(f"acknowledged by {mention(incident.acknowledged_by)} {slack_date(incident.acknowledged_at)}")
    if incident.status == IncidentStatus.RESOLVED and incident.resolved_at:
        who = mention(incident.resolved_by) if incident.resolved_by else "Boltwatch (all alerts cleared)"
        parts.append(f"resolved by {who} {slack_date(incident.resolved_at)}")
    if incident.snoozed_until and incident.snoozed_until > now:
        parts.append(f"snoozed until {slack_date(incident.snoozed_until)}")
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}]}


def _button(text: str, action: ActionId, incident_id: int, style: str | None = None) -> dict[str, Any]:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action.value,
        "value": IncidentButton(incident_id).encode(),
    }
    if style:
        button["style"] = style
    return button


def _snooze_select(incident_id: int) -> dict[str, Any]:
    options = [(label, value) for label, value in SNOOZE_CHOICES] + [("Custom…", "custom")]
    return {
        "type": "static_select",
        "action_id": ActionId.INCIDENT_SNOOZE.value,
        "placeholder": {"type": "plain_text", "text": "Snooze"},
        "options": [
            {"text": {"type": "plain_text", "text": label}, "value": IncidentButton(incident_id, value).encode()}
            for label, value in options
        ],
    }


def _buttons(incident: IncidentSnapshot) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    if incident.status == IncidentStatus.OPEN:
        elements.append(_button("Acknowledge", ActionId.INCIDENT_ACK, incident.id, "primary"))
    if incident.status != IncidentStatus.RESOLVED:
        elements.append(_snooze_select(incident.id))
        elements.append(_button("Resolve", ActionId.INCIDENT_RESOLVE, incident.id, "danger"))
    if incident.status != IncidentStatus.OPEN:
        elements.append(_button("Reopen", ActionId.INCIDENT_REOPEN, incident.id))
    if incident.names_logs:  # an incident about an instance or a bucket has no logs these could read
        elements.append(_button("Show logs", ActionId.INCIDENT_LOGS, incident.id))
        elements.append(_button("Group errors", ActionId.INCIDENT_ERRORS, incident.id))
    elements.extend(_action_elements(incident))
    console = next((a.links.get("console") for a in incident.alerts if a.links.get("console")), None)
    if console and console.startswith("https://") and len(console) <= URL_LIMIT:
        elements.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open in AWS console"},
                "action_id": ActionId.INCIDENT_CONSOLE.value,
                "url": console,
            }
        )
    return elements


def _action_elements(incident: IncidentSnapshot) -> list[dict[str, Any]]:
    """One button for the one runbook action that applies; an overflow menu when several do."""
    choices = incident.actions[:5]
    if not choices or incident.status == IncidentStatus.RESOLVED:
        return []
    if len(choices) == 1:
        choice = choices[0]
        return [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": truncate(choice.title + "…", 75)},
                "action_id": ActionId.INCIDENT_RUN.value,
                "value": RunButton(incident.id, choice.name).encode(),
            }
        ]
    options = [
        {"text": {"type": "plain_text", "text": truncate(choice.title, 75)},
         "value": RunButton(incident.id, choice.name).encode()}
        for choice in choices
    ]  # fmt: skip
    return [{"type": "overflow", "action_id": ActionId.INCIDENT_RUN.value, "options": options}]


def all_alerts_view(incident: IncidentSnapshot) -> dict[str, Any]:
    """A modal with every alert of a storm, as many as a view can hold, then how many more there are."""
    chunks: list[str] = []
    current = ""
    shown = 0
    for alert in incident.alerts:
        line = _alert_line(alert) + "\n"
        if len(current) + len(line) > 2900:
            if len(chunks) == VIEW_BLOCKS - 2:
                break
            chunks.append(current)
            current = ""
        current += line
        shown += 1
    chunks.append(current)
    if shown < len(incident.alerts):
        chunks.append(f"…and {len(incident.alerts) - shown} more alerts.")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks if chunk]
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": truncate(f"Incident #{incident.id} alerts", 24)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": fit_blocks(blocks, limit=VIEW_BLOCKS),
    }


def change_reply(change: IncidentChange) -> str:
    """The thread reply that records who did what: `<@U1> snoozed this incident until … Reason: …`."""
    until = f" until {slack_date(change.snoozed_until)}" if change.snoozed_until is not None else ""
    reason = f" Reason: {plain(truncate(change.reason, 2000))}" if change.reason else ""
    return fit_text(f"{mention(change.user)} {CHANGE_VERB[change.action]} this incident{until}.{reason}")
