"""`/boltwatch status`, `checks` and `incidents` answers."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from bot.blocks.limits import fit_blocks, fit_lines, truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import bold, channel_ref, inline_code, mention, plain, slack_date
from bot.durations import format_duration
from bot.enums import IncidentStatus
from bot.ids import ActionId, IncidentButton
from bot.views.status import BlockedLine, CheckLine, IncidentLine, LeaderLine, QueueLine, SilenceLine

BLOCKED_SHOWN = 10
CHECKS_SHOWN = 20
SILENCES_SHOWN = 20
MATCHERS_SHOWN = 5
INCIDENTS_SHOWN = 15
FIXES = {
    "not_in_channel": "invite the bot to the channel (`/invite @boltwatch`)",
    "channel_not_found": "create the channel, or route these alerts to another one",
    "is_archived": "unarchive the channel, or route these alerts to another one",
    "invalid_auth": "reinstall the app and set the new `SLACK_BOT_TOKEN`",
    "token_revoked": "reinstall the app and set the new `SLACK_BOT_TOKEN`",
    "account_inactive": "reinstall the app and set the new `SLACK_BOT_TOKEN`",
    "missing_scope": "add the scopes in manifest.yml to the app and reinstall it",
}
WHAT = {"post_incident": "message", "update_incident": "update", "thread_reply": "thread reply"}


def _check_text(check: CheckLine, now: datetime) -> str:
    if check.last_run_at is None:
        state = "not run yet"
    elif check.consecutive_failures:
        state = f":x: failing ({check.consecutive_failures} in a row): {plain(truncate(check.last_error or '', 300))}"
    else:
        state = f":white_check_mark: {check.firing} firing"
    fresh = f"data from {format_duration(now - check.last_ok_at)} ago" if check.last_ok_at else "no good data yet"
    stale = " :warning: stale" if check.last_ok_at and now - check.last_ok_at > 3 * check.every else ""
    kind = inline_code(truncate(check.check_type, 100))
    what = f"{bold(truncate(check.name, 200))} ({kind}, every {format_duration(check.every)})"
    return f"{what} — {state} · {fresh}{stale}{_pace_text(check)}"


def _pace_text(check: CheckLine) -> str:
    """A check whose cycle over its targets outlasts its interval cannot keep it: say by how much, so that its
    interval (or its scope) gets changed rather than its data silently getting older than promised."""
    if not check.behind or check.took is None:
        return ""
    return (
        f" · :hourglass: cannot keep its interval: its last run took {format_duration(check.took)}"
        f" for every {format_duration(check.every)}"
    )


def checks_blocks(checks: list[CheckLine], *, now: datetime) -> list[dict[str, Any]]:
    if not checks:
        return [_section("No checks are configured.")]
    shown = [_section(_check_text(c, now)) for c in checks[:CHECKS_SHOWN]]
    more = [_section(f"…and {len(checks) - CHECKS_SHOWN} more checks.")] if len(checks) > CHECKS_SHOWN else []
    return fit_blocks([_section("*Checks*"), *shown, *more])


def silences_blocks(silences: list[SilenceLine]) -> list[dict[str, Any]]:
    """Maintenance windows (in force, then to come), then the other silences."""
    windows = [s for s in silences if s.maintenance]
    muted = [s for s in silences if not s.maintenance]
    return _windows_blocks(windows) + _muted_blocks(muted)


def _windows_blocks(windows: list[SilenceLine]) -> list[dict[str, Any]]:
    if not windows:
        return []
    lines = []
    for window in windows[:SILENCES_SHOWN]:
        what = ", ".join(_matcher(m) for m in window.matchers[:MATCHERS_SHOWN])
        when = (
            f"from {slack_date(window.starts_at)} until {slack_date(window.until)}"
            if window.starts_at is not None
            else f"in progress until {slack_date(window.until)}"
        )
        why = f" — {plain(truncate(window.reason, 200))}" if window.reason else ""
        lines.append(f"• :construction: {inline_code(what)} {when}{why}")
    return [_section(fit_lines("*Maintenance windows*", lines, total=len(windows)))]


def _muted_blocks(silences: list[SilenceLine]) -> list[dict[str, Any]]:
    if not silences:
        return []
    lines = []
    for silence in silences[:SILENCES_SHOWN]:
        what = ", ".join(_matcher(m) for m in silence.matchers[:MATCHERS_SHOWN])
        if len(silence.matchers) > MATCHERS_SHOWN:
            what += f" …and {len(silence.matchers) - MATCHERS_SHOWN} more"
        why = f" — {plain(truncate(silence.reason, 200))}" if silence.reason else ""
        by = mention(silence.author)
        lines.append(f"• {inline_code(what)} until {slack_date(silence.until)} by {by}{why}")
    return [_section(fit_lines("*Muted*", lines, total=len(silences)))]


def _matcher(matcher: dict[str, str]) -> str:
    value = matcher.get("value") or matcher.get("glob") or matcher.get("regex", "")
    return f"{truncate(matcher['label'], 60)}={truncate(value, 100)}"


def blocked_blocks(blocked: list[BlockedLine], *, now: datetime) -> list[dict[str, Any]]:
    """What Slack refuses to take until someone fixes the cause: what, where, Slack's answer, since when, the fix."""
    if not blocked:
        return []
    lines = []
    for line in blocked[:BLOCKED_SHOWN]:
        what = WHAT.get(line.operation) or plain(truncate(line.operation, 100))
        subject = f"{line.subject} {what}".strip()
        fix = FIXES.get(line.error, "it is retried until Slack takes it")
        where = channel_ref(line.channel)
        lines.append(
            f"• {subject} for {where}: Slack answers {inline_code(truncate(line.error, 200))} "
            f"(for {format_duration(now - line.since)}) — {fix}"
        )
    heading = f":warning: *Not delivered* ({len(blocked)}), kept and retried"
    return [_section(fit_lines(heading, lines, total=len(blocked)))]


def leader_blocks(leader: LeaderLine | None) -> list[dict[str, Any]]:
    """Which replica runs the embedded engine's checks, or that none does."""
    if leader is None:
        return []
    if leader.holder is None:
        return [_section(":x: *Checks*: no replica holds the scheduler lock, so none runs them")]
    return [_section(f"*Checks* run on {inline_code(truncate(leader.holder, 100))} (it holds the scheduler lock)")]


def queue_blocks(queue: QueueLine | None, checks: list[CheckLine], *, distributed: bool) -> list[dict[str, Any]]:
    """The distributed engine's workers and queue lag: whether checks run at all, and on time."""
    if not distributed:
        return []
    if queue is None or queue.workers_alive + queue.workers_gone == 0:
        return [_section(":x: *Workers*: none has started: checks do not run until a `boltwatch worker` does.")]
    if queue.workers_alive == 0:
        beat = f" (the last beat {format_duration(queue.last_beat)} ago)" if queue.last_beat is not None else ""
        workers = f":x: *Workers*: none alive{beat}: checks do not run"
    else:
        workers = f"*Workers*: {queue.workers_alive} alive"
    if queue.workers_gone:
        workers += f", {queue.workers_gone} gone in the last hour"
    lag = f"oldest waiting {format_duration(queue.oldest_waiting)}" if queue.waiting else "no lag"
    shortest = min((c.every for c in checks), default=None)
    lagging = shortest is not None and queue.lagging(shortest)
    flag = ":warning: " if lagging else ""
    text = f"{workers} · {flag}queue: {queue.waiting} waiting ({lag}), {queue.running} running"
    if queue.stalled:
        text += f", {queue.stalled} stalled on gone workers (put back within seconds)"
    if lagging and shortest is not None:
        text += f" — jobs wait longer than the shortest check interval ({format_duration(shortest)}): add workers"
    return [_section(text)]


def status_blocks(
    incidents: list[IncidentLine],
    checks: list[CheckLine],
    *,
    now: datetime,
    silences: list[SilenceLine] = (),  # type: ignore[assignment]
    blocked: list[BlockedLine] = (),  # type: ignore[assignment]
    queue: QueueLine | None = None,
    distributed: bool = False,
    leader: LeaderLine | None = None,
) -> list[dict[str, Any]]:
    by_status = Counter(i.status for i in incidents)
    failing = [c for c in checks if c.consecutive_failures]
    flapping = flapping_count(incidents)
    headline = (
        f"*{by_status[IncidentStatus.OPEN]} open* and *{by_status[IncidentStatus.ACKNOWLEDGED]} acknowledged* "
        f"incidents{f' (:repeat: {flapping} flapping)' if flapping else ''} · {len(checks)} checks, "
        f"{len(failing)} failing"
    )
    return fit_blocks(
        [
            _section(headline),
            *leader_blocks(leader),
            *queue_blocks(queue, checks, distributed=distributed),
            *blocked_blocks(list(blocked), now=now),
            *checks_blocks(checks, now=now),
            *silences_blocks(list(silences)),
        ]
    )


def flapping_count(incidents: list[IncidentLine]) -> int:
    """How many of the incidents flap (an alert of theirs does)."""
    return sum(1 for incident in incidents if incident.alerts_flapping)


def incidents_blocks(incidents: list[IncidentLine]) -> list[dict[str, Any]]:
    if not incidents:
        return [_section(":white_check_mark: No open incidents.")]
    blocks: list[dict[str, Any]] = []
    for incident in incidents[:INCIDENTS_SHOWN]:
        flapping = f", :repeat: {incident.alerts_flapping} flapping" if incident.alerts_flapping else ""
        marker = " · FLAPPING" if incident.alerts_flapping else ""
        text = (
            f"{bold(f'#{incident.id} {truncate(incident.title, 200)}{marker}')} — {incident.severity}, "
            f"{incident.status}, {incident.alerts_firing} firing{flapping}, since {slack_date(incident.opened_at)}"
        )
        value = IncidentButton(incident.id).encode()
        buttons = []
        if incident.status == IncidentStatus.OPEN:
            buttons.append(_button("Acknowledge", ActionId.INCIDENT_ACK, value))
        buttons.append(_button("Resolve", ActionId.INCIDENT_RESOLVE, value))
        blocks += [_section(text), {"type": "actions", "elements": buttons}]
    if len(incidents) > INCIDENTS_SHOWN:
        blocks.append(_section(f"…and {len(incidents) - INCIDENTS_SHOWN} more."))
    return fit_blocks(blocks)


def _button(text: str, action: ActionId, value: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action.value, "value": value}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, 3000)}}
