"""A local Slack for tests and the sandbox: Web API, signed requests, response_url and Socket Mode."""

from __future__ import annotations

from sandbox.slack.faults import Fault
from sandbox.slack.messages import Edit, Ephemeral, Message
from sandbox.slack.recording import ApiCall, LocalEvent, ResponseUrlPost
from sandbox.slack.render import render_text
from sandbox.slack.sender import Delivery, signature
from sandbox.slack.server import LocalSlack
from sandbox.slack.socket_mode import NoSocketConnection
from sandbox.slack.workspace import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID

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
