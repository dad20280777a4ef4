"""Every Block Kit builder, fed from one `Source` of outside text: the property tests hand it hostile strings, the
limit tests huge ones and long lists. Each scenario returns what Slack would receive, as `Output`s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.blocks.best_practices import accept_risk_modal, best_practices_message, recheck_note
from bot.blocks.digest import digest_message
from bot.blocks.errors import errors_blocks, samples_text
from bot.blocks.help import USAGE, help_blocks, help_text
from bot.blocks.home import home_view
from bot.blocks.incident import all_alerts_view, change_reply, incident_message, misrouted_note, moved_note
from bot.blocks.logs import logs_answer
from bot.blocks.maintenance import announcement_text, maintenance_preview
from bot.blocks.modals import snooze_modal
from bot.blocks.mute import mute_preview, muted_text, unknown_target_text
from bot.blocks.runbook import (
    ConfirmView,
    ParamInput,
    audit_blocks,
    confirm_modal,
    dry_run_view,
    failure_reply,
    undo_failed_reply,
    undone_reply,
)
from bot.blocks.status import WHAT, checks_blocks, incidents_blocks, status_blocks
from bot.blocks.wait import wait_message, wait_outcome_reply
from bot.enums import BestPracticeStatus, ErrorGroupStatus, IncidentStatus, Severity, WaitStatus
from bot.ids import MAX_MUTE_REASON, MAX_MUTE_TARGET, LogsPage, MaintenanceButton, MuteButton
from bot.views.audit import AuditLine
from bot.views.best_practices import BestPracticeLine, Decision
from bot.views.digest import CheckTrouble, DigestData, ErrorGroupLine, OpenIncident, Percentiles
from bot.views.error_groups import GroupSummary, GroupView
from bot.views.incident import AlertLine, IncidentChange, IncidentSnapshot, Suppressor
from bot.views.maintenance import Announcement, Moment, WindowLine
from bot.views.silence_preview import PreviewAlert, SilencePreview
from bot.views.status import BlockedLine, CheckLine, IncidentLine, LastDigest, SilenceLine
from bot.views.wait import ActionRunLine, WaitView

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=3)
LATER = NOW + timedelta(hours=1)


@dataclass
class Source:
    """Outside text, one value a call, recorded so that a scenario can be replayed with other values.

    `text` is free text (titles, names, reasons); `line` a log line; `user` and `channel` are fields that should
    hold a Slack id but may hold anything; `url` a link from AWS. `items` is the length of a list, `few` of a list
    inside a list item."""

    draw: Callable[[str], str]
    count: Callable[[str], int]
    drawn: list[tuple[str, str]] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    def _take(self, kind: str) -> str:
        value = self.draw(kind)
        self.drawn.append((kind, value))
        return value

    def _count(self, kind: str) -> int:
        n = self.count(kind)
        self.counts.append(n)
        return n

    def replay(self, change: Callable[[str], str]) -> Source:
        """The same scenario again, with `change` applied to every value drawn."""
        values, counts = iter(self.drawn), iter(self.counts)
        return Source(draw=lambda kind: change(next(values)[1]), count=lambda kind: next(counts))

    def given(self, kind: str) -> set[str]:
        return {value for drawn_kind, value in self.drawn if drawn_kind == kind}

    def text(self) -> str:
        return self._take("text")

    def line(self) -> str:
        return self._take("line")

    def user(self) -> str:
        return self._take("user")

    def channel(self) -> str:
        return self._take("channel")

    def url(self) -> str:
        return self._take("url")

    def items(self) -> range:
        return range(self._count("items"))

    def few(self) -> range:
        return range(self._count("few"))


@dataclass
class Output:
    """What one call sends: a message (`text` fallback and blocks), a view (home or modal), or a bare text."""

    text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    view: dict[str, Any] | None = None
    text_limit: int = 40000


def _alert(src: Source, i: int) -> AlertLine:
    evidence: dict[str, Any] = {src.text(): src.text() for _ in src.few()}
    evidence[src.text()] = [src.text() for _ in src.few()]
    return AlertLine(
        title=src.text(),
        severity=Severity.CRITICAL,
        firing=i % 3 != 2,
        summary=src.text(),
        resource=src.text(),
        account=src.text(),
        region=src.text(),
        first_seen=EARLIER,
        labels={src.text(): src.text()},
        links={"console": src.url()},
        evidence=evidence,
        suppressed_by=Suppressor(i if i % 2 else None, src.text()) if i % 4 == 1 else None,
    )


def incident(src: Source) -> list[Output]:
    snapshot = IncidentSnapshot(
        id=7,
        title=src.text(),
        severity=Severity.WARNING,
        status=IncidentStatus.OPEN,
        channel=src.channel(),
        route=src.text(),
        opened_at=EARLIER,
        acknowledged_by=src.user(),
        acknowledged_at=NOW,
        resolved_by=src.user(),
        resolved_at=NOW,
        snoozed_until=LATER,
        alerts=[_alert(src, i) for i in range(len(src.items()) + 1)],
        suppressing=len(src.items()),
    )
    outputs = [Output(*incident_message(replace(snapshot, status=status), now=NOW)) for status in IncidentStatus]
    change = IncidentChange("snooze", src.user(), LATER, src.text())
    moved_text, moved_blocks = moved_note(src.channel())
    return [
        *outputs,
        Output(view=all_alerts_view(snapshot)),
        Output(text=change_reply(change)),
        Output(blocks=[misrouted_note(src.channel(), src.text())]),
        Output(moved_text, moved_blocks),
    ]


def _practice(src: Source, i: int, rule: str) -> BestPracticeLine:
    decision = None
    if i % 3:
        status = BestPracticeStatus.MUTED if i % 3 == 1 else BestPracticeStatus.ACCEPTED
        decision = Decision(status, LATER, src.text(), src.user(), EARLIER)
    evidence = {src.text(): src.text() for _ in src.few()}
    return BestPracticeLine(
        f"fp{i}", rule, src.text(), "warning", src.text(), src.text(), evidence, src.url(), decision
    )


def _practices(src: Source) -> list[BestPracticeLine]:
    count = len(src.items()) + 1
    rules = [src.text() for _ in range((count + 1) // 2)]
    return [_practice(src, i, rules[i // 2]) for i in range(count)]


def best_practices(src: Source) -> list[Output]:
    lines = _practices(src)
    return [
        Output(*best_practices_message(lines)),
        Output(view=accept_risk_modal(lines[0], "7")),
        Output(text=recheck_note(NOW, src.text(), src.text())),
    ]


def digest(src: Source) -> list[Output]:
    figures = Percentiles(3, timedelta(minutes=4), timedelta(minutes=9))
    data = DigestData(
        start=EARLIER,
        end=NOW,
        project=src.text(),
        opened=3,
        resolved=2,
        still_open=[OpenIncident(i, src.text(), "critical", "open", EARLIER) for i in src.items()],
        mtta=figures,
        mttr=None,
        new_errors=[ErrorGroupLine(src.text(), src.text(), i) for i in src.items()],
        regressed_errors=[ErrorGroupLine(src.text(), src.text(), i) for i in src.items()],
        noisiest=[(src.text(), i) for i in src.items()],
        checks=[CheckTrouble(src.text(), i, src.text(), EARLIER, stale=True) for i in src.items()],
        practices_appeared=_practices(src),
        practices_fixed=_practices(src),
    )
    quiet = DigestData(EARLIER, NOW, src.text(), 0, 0, [], None, None, [], [], [], [])
    return [Output(*digest_message(data)), Output(*digest_message(quiet))]


def _group(src: Source, i: int) -> GroupView:
    summary = GroupSummary(
        key=f"k{i}",
        kind="template",
        title=src.text(),
        template=src.text(),
        culprit=src.text(),
        count=i + 1,
        first_seen=EARLIER,
        last_seen=NOW,
        samples=[src.line() for _ in src.few()],
        buckets=[i % 4] * 12,
    )
    return GroupView(i, summary, [ErrorGroupStatus.NEW, ErrorGroupStatus.REGRESSED, src.text()][i % 3])


def errors(src: Source) -> list[Output]:
    groups = [_group(src, i) for i in range(len(src.items()) + 1)]
    text, blocks = errors_blocks(
        log_group=src.text(), groups=groups, since=timedelta(hours=1), end=NOW, scanned=5000, truncated=True
    )
    samples = samples_text(src.text(), [src.line() for _ in src.few()])
    return [Output(text, blocks), Output(text=samples, text_limit=3900)]


def _checks(src: Source) -> list[CheckLine]:
    states = [(None, None, None, 0), (NOW, EARLIER, src.text(), 3), (NOW, NOW, None, 0)]
    return [CheckLine(src.text(), src.text(), timedelta(minutes=1), *states[i % 3], firing=i) for i in src.items()]


def _incident_lines(src: Source) -> list[IncidentLine]:
    statuses = [IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED]
    return [IncidentLine(i, src.text(), "critical", statuses[i % 2], EARLIER, i) for i in src.items()]


def _silences(src: Source) -> list[SilenceLine]:
    return [
        SilenceLine(
            i,
            [{"label": src.text(), "value": src.text()} for _ in src.few()],
            LATER,
            src.text(),
            src.user(),
            maintenance=i % 2 == 1,
            starts_at=NOW if i % 4 == 1 else None,
        )
        for i in src.items()
    ]


def _blocked(src: Source) -> list[BlockedLine]:
    operations = [*WHAT, "post_digest"]
    return [
        BlockedLine(i, i if i % 2 else None, operations[i % len(operations)], src.channel(), src.text(), EARLIER)
        for i in src.items()
    ]


def status(src: Source) -> list[Output]:
    incidents, checks = _incident_lines(src), _checks(src)
    silences, blocked = _silences(src), _blocked(src)
    return [
        Output(blocks=status_blocks(incidents, checks, now=NOW, silences=silences, blocked=blocked)),
        Output(blocks=checks_blocks(checks, now=NOW)),
        Output(blocks=incidents_blocks(incidents)),
    ]


def home(src: Source) -> list[Output]:
    view = home_view(
        _incident_lines(src),
        _checks(src),
        now=NOW,
        silences=_silences(src),
        last_digest=LastDigest(src.channel(), EARLIER),
        blocked=_blocked(src),
    )
    return [Output(view=view)]


@dataclass(frozen=True)
class Event:
    timestamp: datetime
    message: str


def logs(src: Source) -> list[Output]:
    log_group, filter_text = src.text(), src.text()
    page = LogsPage(src.text(), src.text(), log_group, 0, 3_600_000, 100, filter_text)
    events = [Event(EARLIER + timedelta(seconds=i), src.line()) for i in src.items()]
    outputs = []
    for shown in (events, events[:1], []):
        answer = logs_answer(
            log_group=log_group, events=shown, since=timedelta(hours=1), end=NOW, filter_text=filter_text,
            scanned=len(shown) * 2, truncated=True, page=page,
        )  # fmt: skip
        outputs.append(Output(answer.text, answer.blocks))
    return outputs


def wait(src: Source) -> list[Output]:
    params = {src.text(): [src.text() for _ in src.items()], src.text(): src.text()}
    job = WaitView(
        id=3, service=src.text(), waiter=src.text(), params=params, requester=src.user(), channel=src.channel(),
        message_ts="1.2", attempts=4, max_attempts=40, status=WaitStatus.WAITING, last_state=src.text(),
        created_at=EARLIER, deadline=LATER, account=src.text(), region=src.text(),
    )  # fmt: skip
    outputs = []
    for state in WaitStatus:
        ended = replace(job, status=state)
        outputs.append(Output(*wait_message(ended, now=NOW)))
        if state != WaitStatus.WAITING:
            outputs.append(Output(text=wait_outcome_reply(ended)))
    return outputs


def help_and_modals(src: Source) -> list[Output]:
    commands = [*USAGE, *(src.text() for _ in src.few())]
    return [Output(help_text(commands), help_blocks(commands)), Output(view=snooze_modal(2**31, "7"))]


def mute(src: Source) -> list[Output]:
    # The grammar refuses a longer target or reason before any of this is built.
    request = MuteButton(src.text()[:MAX_MUTE_TARGET] or "x", 7200, src.text()[:MAX_MUTE_REASON])
    suggestions = [src.text() for _ in src.few()]
    top = tuple(PreviewAlert(src.text(), src.text(), Severity.CRITICAL) for _ in range(10))
    return [
        Output(text=unknown_target_text(request.target, suggestions)),
        Output(*mute_preview(request, SilencePreview(12_345, top), known=False, suggestions=suggestions)),
        Output(*mute_preview(request, SilencePreview(0, ()), known=True, suggestions=[])),
        Output(text=muted_text(src.user(), request.target, LATER, request.reason)),
    ]


def _audit_line(src: Source, *, automatic: bool) -> AuditLine:
    return AuditLine(
        NOW, src.user(), "action_undone", src.text(), src.text(), 12, change=src.text(),
        on_behalf_of=src.user() if automatic else None, started_by=src.text(),
    )  # fmt: skip


def runbook(src: Source) -> list[Output]:
    """A runbook action's confirmation, dry run and thread replies, what Boltwatch undid by itself, the audit."""
    inputs = tuple(ParamInput(f"param{i}", src.text(), src.text(), src.text()) for i in src.few())
    view = ConfirmView(
        title=src.text(), confirmation=src.text(), call=src.text(), role=src.text(), account=src.text(),
        region=src.text(), reversible=src.text(), verify=src.text(), then=src.text(), inputs=inputs,
    )  # fmt: skip
    told = {"action": src.text(), "resource": src.text(), "user": src.user(), "done": src.text(), "call": src.text(),
            "state": src.text(), "lasted": src.text(), "error": src.text(), "iam_action": src.text(),
            "retry": src.text()}  # fmt: skip
    lines = [_audit_line(src, automatic=i % 2 == 1) for i in src.items()]
    run = ActionRunLine(1, src.text(), src.text(), src.text(), "succeeded", change=src.text())
    job = WaitView(
        id=3, service=src.text(), waiter=src.text(), params={}, requester=src.user(), channel=src.channel(),
        message_ts="1.2", attempts=4, max_attempts=40, status=WaitStatus.SUCCESS, last_state=src.text(),
        created_at=EARLIER, deadline=LATER, account=src.text(), region=src.text(), thread_ts="1.1", run=run,
    )  # fmt: skip
    return [
        Output(view=confirm_modal(view, "{}")),
        Output(view=dry_run_view(view)),
        Output(text=failure_reply(told)),
        Output(text=undone_reply(told)),
        Output(text=undo_failed_reply(told)),
        Output(blocks=audit_blocks(lines, since=src.text())),
        Output(text=wait_outcome_reply(job)),
    ]


def maintenance(src: Source) -> list[Output]:
    matchers = [{"label": src.text(), "glob": src.text()} for _ in src.few()] + [{"label": src.text(), "regex": "x"}]
    window = WindowLine(3, matchers, NOW, LATER, src.text(), src.user(), (src.channel(),))
    titles = tuple(src.text() for _ in src.few())
    request = MaintenanceButton(src.text()[:MAX_MUTE_TARGET] or "x", 1_800_000_000, 3600, src.text()[:MAX_MUTE_REASON])
    top = tuple(PreviewAlert(src.text(), src.text(), Severity.WARNING) for _ in src.few())
    return [
        *(Output(text=announcement_text(Announcement(m, window, len(titles) + 3, titles))) for m in Moment),
        Output(text=announcement_text(Announcement(Moment.CREATED, window, in_force=True))),
        Output(
            *maintenance_preview(
                request,
                SilencePreview(len(top), top),
                starts_at=NOW,
                ends_at=LATER,
                known=False,
                suggestions=[src.text()],
            )
        ),
    ]


SCENARIOS: dict[str, Callable[[Source], list[Output]]] = {
    "incident": incident,
    "best_practices": best_practices,
    "digest": digest,
    "errors": errors,
    "status": status,
    "home": home,
    "logs": logs,
    "wait": wait,
    "help_and_modals": help_and_modals,
    "mute": mute,
    "maintenance": maintenance,
    "runbook": runbook,
}


def text_objects(node: Any) -> list[dict[str, Any]]:
    """Every text object in blocks or a view, in order: the dicts with a `type` of `mrkdwn` or `plain_text`."""
    found = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            found.append(node)
        for value in node.values():
            found += text_objects(value)
    elif isinstance(node, list):
        for value in node:
            found += text_objects(value)
    return found


def mrkdwn_texts(output: Output) -> list[str]:
    """Every string of `output` that Slack parses as mrkdwn: the fallback, and the mrkdwn text objects."""
    parsed = [obj["text"] for obj in text_objects([output.blocks, output.view]) if obj["type"] == "mrkdwn"]
    return ([output.text] if output.text is not None else []) + parsed
