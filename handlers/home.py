"""App Home: published when someone opens it, and refreshed for them when incidents change."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.delivery.home import HomePublisher
from bot.ids import EventType


def register(app: AsyncApp, home: HomePublisher) -> None:
    @app.event(EventType.APP_HOME_OPENED.value)
    async def publish_home(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await home.opened(event["user"])
