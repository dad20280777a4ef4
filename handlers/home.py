"""App Home: open incidents with their buttons and the health of every check, refreshed when opened."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.home import home_view
from bot.services import Services
from bot.status_queries import check_lines, open_incidents


def register(app: AsyncApp, services: Services) -> None:
    @app.event("app_home_opened")
    async def publish_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        schedule = services.check_schedule
        incidents, checks = await services.db.run(lambda s: (open_incidents(s), check_lines(s, schedule)))
        await client.views_publish(user_id=event["user"], view=home_view(incidents, checks, now=services.clock()))
