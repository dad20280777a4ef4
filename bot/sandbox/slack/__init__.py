"""A local Slack for tests and the sandbox: Web API, signed requests, response_url and Socket Mode."""

from __future__ import annotations

from bot.sandbox.slack.faults import Fault
from bot.sandbox.slack.messages import Edit, Ephemeral, Message
from bot.sandbox.slack.recording import ApiCall, LocalEvent, ResponseUrlPost
from bot.sandbox.slack.render import render_text
from bot.sandbox.slack.sender import Delivery, signature
from bot.sandbox.slack.server import LocalSlack
from bot.sandbox.slack.socket_mode import NoSocketConnection
from bot.sandbox.slack.workspace import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "ApiCall",
    "Delivery",
    "Edit",
    "Ephemeral",
    "Fault",
    "LocalEvent",
    "LocalSlack",
    "Message",
    "NoSocketConnection",
    "ResponseUrlPost",
    "render_text",
    "signature",
]
