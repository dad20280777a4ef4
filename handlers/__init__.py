"""Slack listeners. Each module exposes `register(app, services)`; this composes them."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt.async_app import AsyncApp

from bot.delivery.home import HomePublisher
from bot.services import Services
from handlers import (
    best_practices,
    boltwatch_command,
    command_pick,
    error_handler,
    errors_command,
    home,
    incident_actions,
    logs_command,
    maintenance_command,
    mute_command,
    runbook_actions,
    wait_command,
)


def register(
    app: AsyncApp,
    services: Services,
    *,
    wake_waits: Callable[[], None],
    home_publisher: HomePublisher,
    recheck: best_practices.Recheck,
    post_digest_now: boltwatch_command.PostDigestNow,
    replica: str,
) -> Callable[[], None]:
    """What listeners need of the scheduler comes in as callables: handlers never import it. Returns what ends the
    listeners that run on for minutes (`/logs … live`), for shutdown."""
    error_handler.register(app, services)
    boltwatch_command.register(app, services, post_digest_now)
    mute_command.register(app, services)
    maintenance_command.register(app, services)
    incident_actions.register(app, services)
    live_tails = logs_command.register(app, services, replica=replica)
    errors_command.register(app, services)
    command_pick.register(app, services)
    home.register(app, home_publisher)
    wait_command.register(app, services, wake_waits)
    runbook_actions.register(app, services, wake_waits)
    best_practices.register(app, services, recheck)
    return live_tails.stop_all
