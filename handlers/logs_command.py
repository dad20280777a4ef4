"""`/logs TARGET [SINCE] [filter TEXT] [limit N]`: the newest events of a function or log group."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.logs import newest_events
from bot.blocks.logs import logs_answer
from bot.durations import format_duration
from bot.grammar import LOGS_USAGE, parse_logs
from bot.ids import Command
from bot.log_targets import Place, place_of, resolve_log_group
from bot.services import Services
from bot.usage import UsageError
from handlers.error_handler import answers_errors


async def post_logs(
    services: Services, client: AsyncWebClient, *, place: Place, log_group: str, since: timedelta, limit: int,
    filter_text: str | None, channel: str, thread_ts: str | None = None,
) -> None:  # fmt: skip
    """Fetch the newest events of the window and post them (as a file beyond a screenful)."""
    end = services.clock()
    start = end - since
    aws_logs = services.aws.client("logs", account=place.account, region=place.region)
    window = await services.executor.run(
        lambda: newest_events(aws_logs, log_group, start=start, end=end, limit=limit, filter_text=filter_text)
    )
    answer = logs_answer(
        log_group=log_group,
        events=window.events,
        since=since,
        end=end,
        filter_text=filter_text,
        scanned=window.scanned,
        truncated=window.truncated,
    )
    posted = await client.chat_postMessage(channel=channel, text=answer.text, blocks=answer.blocks, thread_ts=thread_ts)
    if answer.file_content is not None:
        await client.files_upload_v2(
            channel=posted["channel"],
            thread_ts=thread_ts or posted["ts"],
            content=answer.file_content,
            filename=answer.file_name,
            title=answer.file_name,
        )


def register(app: AsyncApp, services: Services) -> None:
    @app.command(Command.LOGS.value)
    @answers_errors
    async def logs(ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        try:
            request = parse_logs(command.get("text") or "")
        except UsageError as exc:
            await ack(response_type="ephemeral", text=exc.text())
            return
        await ack(response_type="ephemeral", text=f"Fetching the last {format_duration(request.since)} of logs…")
        place = place_of(services, request.scope, LOGS_USAGE)
        log_group = await resolve_log_group(services, place, request.target, LOGS_USAGE)
        await post_logs(
            services,
            client,
            place=place,
            log_group=log_group,
            since=request.since,
            limit=request.limit,
            filter_text=request.filter_text,
            channel=command["channel_id"],
        )
