"""`/errors TARGET [SINCE] [account NAME] [region REGION]`: the errors of a function or log group, grouped; and its
Show samples button."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

from bot.aws.logs import ERROR_TERMS, EventWindow, window_events
from bot.blocks.errors import FIGURE_AFTER, errors_blocks, samples_text
from bot.charts.figures import figure_payload
from bot.commands import ERRORS
from bot.core.access import Action
from bot.core.error_groups import remember, samples_of, summarise
from bot.durations import format_duration
from bot.ids import ActionId, BadPayload, Command, ErrorGroupButton
from bot.services import Services
from bot.views.error_groups import GroupSummary, GroupView, error_source, groups_chart
from handlers.access import command_refusal, refused_click
from handlers.error_handler import answers_errors
from handlers.grammar import ErrorsRequest, parse_errors
from handlers.log_targets import Place, place_of, resolve_log_group
from handlers.usage import UsageError

log = logging.getLogger(__name__)


async def post_error_groups(
    services: Services, *, place: Place, log_group: str, since: Any, channel: str,
    thread_ts: str | None = None, end: datetime | None = None,
) -> None:  # fmt: skip
    """Read the window (ending now, or at `end`), group its errors, remember the groups, and post the answer."""
    end = end or services.clock()
    start = end - since
    aws_logs = await services.aws_client("logs", account=place.account, region=place.region)

    def read_and_group() -> tuple[EventWindow, list[GroupSummary]]:
        # Grouping tens of thousands of events takes seconds of CPU: in the worker thread, never on the loop.
        window = window_events(aws_logs, log_group, start=start, end=end, pattern=ERROR_TERMS)
        return window, summarise(window.events, start=start, end=end)

    window, summaries = await services.executor.run(read_and_group)
    source = error_source(place.account, place.region, log_group)
    regressed_after = services.settings.file.errors.regressed_after

    def remember_groups(session: Session) -> list[GroupView]:
        return remember(session, source=source, summaries=summaries, now=end, regressed_after=regressed_after)

    groups = await services.db.run(remember_groups)  # rememberers of one source take turns: no duplicate group
    text, blocks = errors_blocks(
        log_group=log_group, groups=groups, since=since, end=end, scanned=window.scanned, truncated=window.truncated
    )
    if groups and services.settings.file.charts.enabled:
        chart = groups_chart(log_group=log_group, groups=groups, since=since, end=end)
        await services.answers.post_with_figure(channel, text, blocks, figure=figure_payload(chart),
                                                after=FIGURE_AFTER, thread_ts=thread_ts)  # fmt: skip
    else:
        await services.answers.post(channel, text, blocks, thread_ts=thread_ts)


async def run_errors(services: Services, request: ErrorsRequest, channel: str) -> None:
    place = place_of(services, request.scope, ERRORS)
    log_group = await resolve_log_group(services, place, request.target, ERRORS)
    await post_error_groups(services, place=place, log_group=log_group, since=request.since, channel=channel)


def register(app: AsyncApp, services: Services) -> None:
    names = services.command_names

    @app.command(names(Command.ERRORS))
    @answers_errors
    async def errors(ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        if refusal := command_refusal(services, Action.ERRORS, command):
            await ack(response_type="ephemeral", text=refusal)
            return
        try:
            request = parse_errors(command.get("text") or "", names)
        except UsageError as exc:
            await ack(response_type="ephemeral", text=exc.text())
            return
        await ack(response_type="ephemeral", text=f"Grouping the errors of the last {format_duration(request.since)}…")
        await run_errors(services, request, command["channel_id"])

    @app.action(ActionId.ERRORS_SAMPLES.value)
    async def show_samples(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await refused_click(services, Action.ERRORS, body, client):
            return
        try:
            button = ErrorGroupButton.parse(action.get("value"))
        except BadPayload:
            user = (body.get("user") or {}).get("id")
            log.warning("ignored a click with a value that is not ours: %r from %s", action.get("value"), user)
            return
        found = await services.db.run(lambda s: samples_of(s, button.group_id))
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        if found is None or not channel:
            return
        thread = message.get("thread_ts") or message.get("ts")
        await services.answers.post(channel, samples_text(*found), thread_ts=thread, watch=False)
