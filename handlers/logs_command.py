"""`/logs TARGET [SINCE] [filter TEXT] [limit N] [account NAME] [region REGION]`: the newest events of a function
or log group, with Older, Newer and Group errors buttons; `/logs TARGET live [filter TEXT] [for 5m]` streams them
(handlers/logs_live.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.logs import newest_events
from bot.blocks.logs import logs_answer
from bot.commands import LOGS
from bot.core.access import Action
from bot.durations import format_duration
from bot.ids import ActionId, BadPayload, Command, LogsPage
from bot.services import Services
from handlers.access import command_refusal, refused_click
from handlers.error_handler import answers_errors, user_message
from handlers.errors_command import post_error_groups
from handlers.grammar import LogsRequest, parse_logs
from handlers.log_targets import Place, place_of, resolve_log_group
from handlers.logs_live import LiveLogTails
from handlers.logs_live import register as register_live
from handlers.usage import UsageError


def queue_note(services: Services, place: Place) -> str:
    """Say so when people's log reads in this account and region are already queued behind the 5-a-second quota
    (scheduled reads wait behind this one, `bot.aws.quotas`)."""
    ahead = services.aws.logs_quota.bucket(place.account, place.region).urgent_waiting
    return f" Queued, {ahead} ahead (CloudWatch Logs allows 5 reads a second per account and region)." if ahead else ""


async def post_logs(
    services: Services,
    *,
    place: Place,
    page: LogsPage,
    channel: str,
    thread_ts: str | None = None,
    replace_ts: str | None = None,
) -> None:
    """Fetch the newest events of the page's window and post them (as a file beyond a screenful), or replace the
    message `replace_ts` with them (paging)."""
    start = datetime.fromtimestamp(page.start_ms / 1000, UTC)
    end = datetime.fromtimestamp(page.end_ms / 1000, UTC)
    aws_logs = await services.aws_client("logs", account=place.account, region=place.region)
    window = await services.executor.run(
        lambda: newest_events(
            aws_logs, page.log_group, start=start, end=end, limit=page.limit, filter_text=page.filter_text
        )
    )
    answer = await asyncio.to_thread(  # a file of thousands of lines is rendered off the event loop
        logs_answer,
        log_group=page.log_group,
        events=window.events,
        since=end - start,
        end=end,
        filter_text=page.filter_text,
        scanned=window.scanned,
        truncated=window.truncated,
        page=page,
        file_output=services.settings.file.logs.file_output,
    )
    file = (answer.file_name or "logs.txt", answer.file_content) if answer.file_content is not None else None
    if replace_ts is not None:
        await services.answers.replace(channel, replace_ts, answer.text, answer.blocks, file=file)
    else:
        await services.answers.post(channel, answer.text, answer.blocks, thread_ts=thread_ts, file=file)


def first_page(request: LogsRequest, place: Place, log_group: str, now: datetime) -> LogsPage:
    end_ms = int(now.timestamp() * 1000)
    start_ms = end_ms - int(request.since.total_seconds() * 1000)
    return LogsPage(place.account, place.region, log_group, start_ms, end_ms, request.limit, request.filter_text)


async def run_logs(services: Services, request: LogsRequest, channel: str) -> None:
    place = place_of(services, request.scope, LOGS)
    log_group = await resolve_log_group(services, place, request.target, LOGS)
    page = first_page(request, place, log_group, services.clock())
    await post_logs(services, place=place, page=page, channel=channel)


async def run_live(services: Services, tails: LiveLogTails, request: LogsRequest, channel: str, user: str) -> None:
    assert request.live_for is not None
    place = place_of(services, request.scope, LOGS)
    log_group = await resolve_log_group(services, place, request.target, LOGS)
    await tails.run(place=place, log_group=log_group, filter_text=request.filter_text, live_for=request.live_for,
                    channel=channel, user=user)  # fmt: skip


def register(app: AsyncApp, services: Services, *, replica: str) -> LiveLogTails:
    names = services.command_names
    tails = LiveLogTails(services, holder=replica)
    register_live(app, services, tails)

    @app.command(names(Command.LOGS))
    @answers_errors
    async def logs(ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        if refusal := command_refusal(services, Action.LOGS, command):
            await ack(response_type="ephemeral", text=refusal)
            return
        try:
            request = parse_logs(command.get("text") or "", names)
            note = queue_note(services, place_of(services, request.scope, LOGS))
        except UsageError as exc:
            await ack(response_type="ephemeral", text=exc.text())
            return
        if request.live_for is not None:
            await ack(response_type="ephemeral", text=f"Starting a live tail for {format_duration(request.live_for)}…")
            await run_live(services, tails, request, command["channel_id"], command["user_id"])
            return
        await ack(response_type="ephemeral", text=f"Fetching the last {format_duration(request.since)} of logs…{note}")
        await run_logs(services, request, command["channel_id"])

    async def on_page(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await refused_click(services, Action.LOGS, body, client):
            return
        channel = (body.get("channel") or {}).get("id", "")
        message = body.get("message") or {}
        try:
            page = LogsPage.parse(action.get("value"))
        except BadPayload:
            return
        now_ms = int(services.clock().timestamp() * 1000)
        if page.end_ms > now_ms:
            page = LogsPage(
                page.account,
                page.region,
                page.log_group,
                page.start_ms,
                max(now_ms, page.start_ms + 1),
                page.limit,
                page.filter_text,
            )
        place = Place(page.account, page.region)
        try:
            if action["action_id"] == ActionId.LOGS_GROUP_ERRORS.value:
                since = timedelta(milliseconds=page.end_ms - page.start_ms)
                await post_error_groups(
                    services,
                    place=place,
                    log_group=page.log_group,
                    since=since,
                    channel=channel,
                    thread_ts=message.get("ts"),
                    end=datetime.fromtimestamp(page.end_ms / 1000, UTC),
                )
            else:
                await post_logs(services, place=place, page=page, channel=channel, replace_ts=message.get("ts"))
        except Exception as exc:
            await services.answers.post(channel, user_message(exc), thread_ts=message.get("ts"), watch=False)

    for action_id in (ActionId.LOGS_OLDER, ActionId.LOGS_NEWER, ActionId.LOGS_GROUP_ERRORS):
        app.action(action_id.value)(on_page)
    return tails
