"""The buttons offered when a TARGET matched several log groups: run the same command on the one picked."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.ids import ActionId, BadPayload, Command, CommandPick
from bot.services import Services
from handlers.error_handler import answers_errors
from handlers.errors_command import run_errors
from handlers.grammar import parse_errors, parse_logs
from handlers.logs_command import run_logs

PICK_ACTION = re.compile(rf"^{ActionId.COMMAND_PICK.value}(_\d+)?$")


def register(app: AsyncApp, services: Services) -> None:
    @app.action(PICK_ACTION)
    @answers_errors
    async def pick(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await ack()
        try:
            choice = CommandPick.parse(action.get("value"))
        except BadPayload:
            return
        channel = (body.get("channel") or {}).get("id", "")
        await respond(delete_original=True)
        if choice.command == Command.LOGS.value:
            await run_logs(services, parse_logs(choice.text, services.command_names), channel)
        else:
            await run_errors(services, parse_errors(choice.text, services.command_names), channel)
