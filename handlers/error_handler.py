"""One error path for users: known problems become a short ephemeral reply, the rest is logged.

Listeners are wrapped with `answers_errors` rather than left to Bolt's global error handler: when a listener
fails within a few milliseconds of its ack, Bolt 1.30's runner overwrites the ack it has not yet sent, Slack
gets no answer, and the user sees a timeout instead of our message.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from slack_bolt.async_app import AsyncApp

from bot.aws.errors import classify
from bot.aws.sessions import UnknownAccount
from bot.blocks.limits import ACTIONS_ELEMENTS
from bot.blocks.mrkdwn import escape
from bot.delivery.answers import AnswerRefused
from bot.ids import ActionId, CommandPick
from bot.services import Services
from handlers.log_targets import AmbiguousTarget
from handlers.usage import UsageError, quoted

log = logging.getLogger(__name__)


def user_message(error: BaseException) -> str:
    if isinstance(error, UsageError | AnswerRefused):
        return error.text()
    if isinstance(error, BotoCoreError | ClientError):
        return f"AWS said no: {classify(error).message}"
    if isinstance(error, UnknownAccount):  # a button from before the config changed, or a forged one
        return f"No account is called {quoted(error.account)} in Boltwatch's config (any more)."
    log.error("listener failed", exc_info=error)
    return "Something went wrong on Boltwatch's side; the error is in its log."


def answers_errors(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Turn any exception of a listener (which must take `respond`) into a private reply to the user."""

    @functools.wraps(listener)
    async def wrapper(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except Exception as exc:
            # A listener that failed before its ack (a command it could not even split) still acks, so the user
            # gets the reply rather than Slack's timeout. `AsyncAck.response` is set once ack() was called.
            ack = kwargs.get("ack")
            if ack is not None and getattr(ack, "response", None) is None:
                await ack()
            await _reply(kwargs, exc)

    return wrapper


async def _reply(kwargs: dict[str, Any], exc: Exception) -> None:
    respond = kwargs["respond"]
    if isinstance(exc, AmbiguousTarget):
        command = kwargs.get("command") or {}
        # The payload keeps the command's own name, not the prefixed one: it still works after a prefix change.
        blocks = choice_blocks(exc, exc.command.value if command else "", command.get("text", ""))
        await respond(text=exc.text(), blocks=blocks, response_type="ephemeral", replace_original=False)
    else:
        await respond(text=user_message(exc), response_type="ephemeral", replace_original=False)


def choice_blocks(error: AmbiguousTarget, command: str, text: str) -> list[dict[str, Any]]:
    """The problem, then one button per candidate that runs the same command on it."""
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": candidate[-75:]},
            "action_id": f"{ActionId.COMMAND_PICK.value}_{i}",
            "value": CommandPick(command, text.replace(error.target, candidate, 1)).encode(),
        }
        for i, candidate in enumerate(error.candidates[:ACTIONS_ELEMENTS])
    ]
    section = {"type": "section", "text": {"type": "mrkdwn", "text": escape(error.problem)}}
    return [section, {"type": "actions", "elements": buttons}] if command else [section]


def register(app: AsyncApp, services: Services) -> None:
    @app.error
    async def reply_with_the_problem(error: Exception, body: dict[str, Any], respond: Any) -> None:
        text = user_message(error)
        if respond is not None and body.get("response_url"):
            await respond(text=text, response_type="ephemeral", replace_original=False)
