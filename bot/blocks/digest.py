"""The digest message: what happened since the last one, in one message (one line when nothing did)."""

from __future__ import annotations

from typing import Any

from bot.blocks.best_practices import digest_lines
from bot.blocks.limits import SECTION_TEXT, fit_blocks, fit_lines, fit_text, truncate, truncate_mrkdwn
from bot.blocks.mrkdwn import bold, inline_code, plain, slack_date
from bot.durations import format_duration
from bot.views.digest import CheckTrouble, DigestData, ErrorGroupLine, Percentiles

FIGURE_AFTER = "digest-times"
"""The block the digest's chart goes after: its response times."""
OPEN_SHOWN = 10
ERRORS_SHOWN = 5
PRACTICES_SHOWN = 5
NOISIEST_SHOWN = 10
CHECKS_SHOWN = 10


def digest_message(data: DigestData) -> tuple[str, list[dict[str, Any]]]:
    """Fallback text and blocks for the digest of `data`'s period."""
    scope = f" for project {inline_code(truncate(data.project, 100))}" if data.project else ""
    period = f"since {slack_date(data.start)}"
    if data.quiet:
        line = f":sunny: Quiet {period}{scope}: no incidents, no new or regressed errors, every check healthy."
        return fit_text(line), fit_blocks([_section(line)])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Boltwatch digest" + _plain_scope(data)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{period} until {slack_date(data.end)}"}]},
        _section(f"*Incidents:* {data.opened} opened · {data.resolved} resolved · {len(data.still_open)} still open"),
        {
            "type": "section",
            "block_id": FIGURE_AFTER,
            "fields": [_field("MTTA", data.mtta, "acknowledged"), _field("MTTR", data.mttr, "resolved")],
        },
    ]
    if data.flapping or data.started_flapping:
        blocks.append(
            _section(
                f":repeat: *Flapping:* {_plural(data.flapping, 'alert')} flapping now · alerts started flapping "
                f"{_plural(data.started_flapping, 'time')} {period}"
            )
        )
    if data.still_open:
        blocks.append(_section(_still_open(data)))
    if data.new_errors or data.regressed_errors:
        blocks.append(_section(_errors(data)))
    if data.noisiest:
        lines = [
            f"• {inline_code(truncate(resource, 200))} — {_plural(n, 'alert')}"
            for resource, n in data.noisiest[:NOISIEST_SHOWN]
        ]
        blocks.append(_section(fit_lines("*Noisiest resources*", lines, total=len(data.noisiest))))
    if data.checks:
        lines = [_check_line(c) for c in data.checks[:CHECKS_SHOWN]]
        blocks.append(_section(fit_lines("*Checks that need a look*", lines, total=len(data.checks))))
    if data.practices_appeared or data.practices_fixed:
        blocks.append(_section(digest_lines(data.practices_appeared, data.practices_fixed, PRACTICES_SHOWN)))
    text = (
        f"Boltwatch digest{scope}: {data.opened} opened, {data.resolved} resolved, "
        f"{len(data.still_open)} still open {period}"
    )
    return fit_text(text), fit_blocks(blocks)


def _plain_scope(data: DigestData) -> str:
    """For the header, which is plain text: Slack shows it as written."""
    return f" · {data.project}" if data.project else ""


def _field(name: str, figures: Percentiles | None, verb: str) -> dict[str, str]:
    if figures is None:
        value = f"no incident {verb}"
    else:
        value = (
            f"median {format_duration(figures.median)} · p90 {format_duration(figures.p90)}\n"
            f"({_plural(figures.count, 'incident')} {verb})"
        )
    return {"type": "mrkdwn", "text": f"*{name}*\n{value}"}


def _still_open(data: DigestData) -> str:
    lines = [
        f"• #{i.id} {plain(truncate(i.title, 150))} — {i.severity}, {i.status}, since {slack_date(i.opened_at)}"
        for i in data.still_open[:OPEN_SHOWN]
    ]
    more = "…and {n} more: `/boltwatch incidents`"
    return fit_lines("*Still open*", lines, total=len(data.still_open), more=more)


def _errors(data: DigestData) -> str:
    parts = []
    for label, groups in (("New errors", data.new_errors), ("Regressed errors", data.regressed_errors)):
        if groups:
            lines = [_error_line(g) for g in groups[:ERRORS_SHOWN]]
            parts.append(fit_lines(f"*{label}* ({len(groups)})", lines, total=len(groups), limit=SECTION_TEXT // 2))
    return "\n".join(parts)


def _error_line(group: ErrorGroupLine) -> str:
    where = inline_code(truncate(group.source, 200))
    return f"• {plain(truncate(group.title, 150))} — {_plural(group.count, 'event')} in {where}"


def _check_line(check: CheckTrouble) -> str:
    problems = []
    if check.consecutive_failures or check.last_error:
        error = f": {plain(truncate(check.last_error, 200))}" if check.last_error else ""
        problems.append(f":x: failing ({check.consecutive_failures} in a row){error}")
    if check.stale:
        seen = f"last good data {slack_date(check.last_ok_at)}" if check.last_ok_at else "no good data yet"
        problems.append(f":warning: stale, {seen}")
    return f"• {bold(truncate(check.name, 100))} — " + "; ".join(problems)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, 3000)}}
