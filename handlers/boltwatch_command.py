"""`/boltwatch help|status|checks`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks.help import help_blocks, help_text
from bot.ids import Command
from bot.services import Services
from bot.usage import UsageError

SUBCOMMANDS = ("help",)
AVAILABLE = ["/boltwatch help"]


def register(app: AsyncApp, services: Services) -> None:
    @app.command(Command.BOLTWATCH)
    async def boltwatch(ack: Any, command: dict[str, Any]) -> None:
        words = (command.get("text") or "").split()
        sub = words[0].lower() if words else "help"
        if sub == "help":
            await ack(response_type="ephemeral", text=help_text(AVAILABLE), blocks=help_blocks(AVAILABLE))
            return
        await ack()
        raise UsageError(
            f"`{sub}` is not a /boltwatch command; try one of: {', '.join(SUBCOMMANDS)}.",
            "/boltwatch help",
        )
