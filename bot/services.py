"""What listeners and jobs share: settings, storage, AWS access, routes, metrics, the clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from botocore.client import BaseClient
from sqlalchemy.orm import Session

from bot.aws.alarm_history import alarm_states
from bot.aws.executor import AwsExecutor
from bot.aws.metric_charts import ChartRequest, chart_period, fetch_series, threshold_holds, with_alarm_threshold
from bot.aws.runbook import RunbookAction
from bot.aws.sessions import AwsSessions
from bot.blocks.mrkdwn import inline_code, mention
from bot.charts.figures import draw_figure
from bot.charts.model import ALARM, FIRING, ChartData, ChartImage, Reference, Series, Span, alt_text, number
from bot.charts.render import Theme, render_png
from bot.commands import CommandNames
from bot.config import Settings
from bot.core.action_runs import in_effect
from bot.core.inhibition import InhibitRule
from bot.core.oncall import Schedule
from bot.core.oncall_settings import build_schedules
from bot.core.routing import Route
from bot.delivery.answers import Answers
from bot.durations import format_duration
from bot.runtime.acks_first import AcksFirst
from bot.runtime.metrics import Metrics
from bot.store import Database
from bot.views.incident import ActionChoice, AlertLine, IncidentSnapshot


def utcnow() -> datetime:
    return datetime.now(UTC)


def _nothing() -> None:
    return None


@dataclass
class Services:
    settings: Settings
    db: Database
    metrics: Metrics
    aws: AwsSessions
    executor: AwsExecutor
    routes: list[Route]
    inhibit_rules: list[InhibitRule] = field(default_factory=list)
    """`inhibit_rules`, in config order."""
    check_schedule: list[tuple[str, str, timedelta]] = field(default_factory=list)
    """(name, type, interval) of every configured check, for status answers."""
    clock: Callable[[], datetime] = field(default=utcnow)
    wake_notifier: Callable[[], None] = field(default=_nothing)
    acks_first: AcksFirst = field(default_factory=AcksFirst)
    """When Slack requests last arrived: check runs step aside for them."""
    actions: dict[str, RunbookAction] = field(default_factory=dict)
    """The runbook actions `actions.enabled` turns on, by name."""
    after_first_chart: Callable[[], None] = field(default=_nothing)
    """Called once, on the loop, when the process's first chart is drawn: matplotlib is loaded by then (the
    composition root freezes the heap there, as it does once every check has run)."""

    def action_choices(self, session: Session, snapshot: IncidentSnapshot) -> tuple[ActionChoice, ...]:
        """The enabled actions that apply to a firing alert of the incident, in the order they are enabled; an undo
        only while what it undoes is in effect, and what it undoes only while it is not."""
        return tuple(
            ActionChoice(action.name, action.title)
            for action in self.actions.values()
            if (alert := target_alert(action, snapshot)) is not None
            and self.undo_refusal(session, action, alert) is None
        )

    def undo_refusal(self, session: Session, action: RunbookAction, alert: AlertLine) -> str | None:
        """Why `action` makes no sense on the alert's resource now: an undo (`restores`) with nothing to undo, or an
        action already in effect there that an enabled undo has not undone yet (a second throttle would remember
        the first one's zero). None when it does."""
        try:
            resource = action.resource(action.label_params(alert.labels))
        except ValueError:
            return None  # the click says what is missing
        if action.restores is not None:
            if in_effect(session, action=action.restores, resource=resource, undone_by=action.name) is None:
                return (
                    f"Nothing for {inline_code(action.name)} to put back on {inline_code(resource)}: "
                    f"{inline_code(action.restores)} has not run there since it was last put back."
                )
        for undo in self.actions.values():
            if undo.restores == action.name:
                run = in_effect(session, action=action.name, resource=resource, undone_by=undo.name)
                if run is not None:
                    return (
                        f"{inline_code(action.name)} is already in effect on {inline_code(resource)} (run by "
                        f"{mention(run.requester)}); {inline_code(undo.name)} undoes it."
                    )
        return None

    @cached_property
    def command_names(self) -> CommandNames:
        """The names the slash commands answer to: `slack.command_prefix` before the generic ones."""
        return CommandNames(self.settings.slack.command_prefix)

    @cached_property
    def schedules(self) -> dict[str, Schedule]:
        """The on-call schedules by name, shared by every reader: an imported calendar's refresh replaces its
        schedule here (scheduler/oncall_calendars.py), and the next answer, page or handoff sees it."""
        return build_schedules(self.settings.file.schedules)

    @cached_property
    def answers(self) -> Answers:
        """Where listeners post a command's answers in a channel: the outbox."""
        return Answers(self.db, self.clock, lambda: self.wake_notifier())

    async def chart_image(self, payload: dict[str, Any], now: datetime) -> ChartImage:
        """Draw an incident's chart on the AWS executor (a GetMetricData call, then matplotlib): never on the loop."""
        image = await self.executor.run(draw_chart, self.aws, payload, now, self.settings.file.charts.theme)
        self._chart_drawn()
        return image

    async def figure_image(self, figure: dict[str, Any]) -> ChartImage:
        """Draw a digest's or an answer's figure (matplotlib, from the data it carries) in a worker thread."""
        image = await asyncio.to_thread(draw_figure, figure, self.settings.file.charts.theme)
        self._chart_drawn()
        return image

    def _chart_drawn(self) -> None:
        first, self.after_first_chart = self.after_first_chart, _nothing
        first()

    async def aws_client(self, service: str, *, account: str | None = None, region: str | None = None) -> BaseClient:
        """`aws.client(...)` for code on the event loop: the first client of a service is made on the AWS executor
        (it reads the service model from disk: hundreds of ms for EC2's), later ones come from the cache at once."""
        cached = self.aws.cached_client(service, account=account, region=region)
        if cached is not None:
            return cached
        return await self.executor.run(self.aws.client, service, account=account, region=region)


def draw_chart(aws: AwsSessions, payload: dict[str, Any], now: datetime, theme: Theme = Theme.LIGHT) -> ChartImage:
    """An outbox chart item's picture: its one GetMetricData call (and, for an alarm, its state history, and its
    threshold when AWS did not push it), then the PNG. Blocking: run it on the executor.

    An incident's chart shows its alert from some context before `since`; a `/boltwatch chart` answer carries the
    window it was asked for (`start`, `until`)."""
    request = ChartRequest.from_payload(payload["chart"])
    until = datetime.fromisoformat(payload["until"]) if payload.get("until") else now
    since = datetime.fromisoformat(payload["since"]) if payload.get("since") else None
    if payload.get("start"):
        start, end = datetime.fromisoformat(payload["start"]), until
    else:
        start, end = request.window(since=since or until, now=until)
    client = aws.client("cloudwatch", account=request.account, region=request.region)
    if request.threshold_from_alarm and request.alarm_name is not None:
        request = with_alarm_threshold(client, request)
    period = chart_period(request, start=start, end=end, now=now)
    series = fetch_series(client, request, start=start, end=end, period=period)
    coarser = f", {_seconds(period)} periods" if period != request.own_period() else ""
    lines = tuple(
        Series(f"{line.label}{coarser}", tuple((p.at, p.value) for p in series.get(line.id, ())), line.unit, line.right)
        for line in request.lines
    )
    threshold = request.threshold
    notes: tuple[str, ...] = ()
    if threshold is not None and not threshold_holds(request, period):
        notes = (f"The threshold ({number(threshold)} per {_seconds(request.own_period())} period) is not drawn: "
                 f"it does not compare with sums over {_seconds(period)}.",)  # fmt: skip
        threshold = None
    delay = timedelta(seconds=request.data_delay_seconds)
    event = {"fire": " (firing)", "resolve": " (resolved)"}.get(payload.get("event", ""), "")
    data = ChartData(
        title=f"{request.title}{event}",
        series=lines,
        start=start,
        end=end,
        alert_start=since,
        threshold=threshold,
        comparison=request.comparison if threshold is not None else None,
        complete_until=end - delay if delay else None,
        spans=_spans(client, request, start=start, end=end, since=since if event else None),
        references=tuple(Reference(label, level) for label, level in request.references),
        notes=notes,
    )
    png = render_png(data, theme)
    return ChartImage(png=png, alt_text=alt_text(data), title=data.title, filename=f"chart-{end:%Y%m%dT%H%M}.png")


def _seconds(period: int) -> str:
    return format_duration(timedelta(seconds=period))


def _spans(
    client: BaseClient, request: ChartRequest, *, start: datetime, end: datetime, since: datetime | None
) -> tuple[Span, ...]:
    """What the chart shades: an alarm's states from its history (else its time in ALARM since it entered it); an
    incident's own firing time for a check's metric, from when its alert fired (`since`) to the chart's end (its
    resolution, for the chart at resolve)."""
    if request.alarm_name is not None:
        spells = alarm_states(client, request.alarm_name, start=start, end=end)
        if spells is not None:
            return tuple(Span(spell.start, spell.end, spell.state) for spell in spells)
        if request.alarm_since is not None:
            return (Span(max(start, datetime.fromisoformat(request.alarm_since)), end, ALARM),)
        return ()
    if since is not None and since < end:
        return (Span(max(start, since), end, FIRING),)
    return ()


def target_alert(action: RunbookAction, snapshot: IncidentSnapshot) -> AlertLine | None:
    """The firing alert `action` would act on: the lead if it applies, else the first that does."""
    firing = snapshot.firing
    return next((a for a in firing if action.applies(a.check_type, a.labels)), None)
