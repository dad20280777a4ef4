"""One error path for users: known problems become a short ephemeral reply, the rest is logged."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from slack_bolt.async_app import AsyncApp

from bot.aws.errors import classify
from bot.services import Services
from bot.usage import UsageError

log = logging.getLogger(__name__)


def register(app: AsyncApp, services: Services) -> None:
    @app.error
    async def reply_with_the_problem(error: Exception, body: dict[str, Any], respond: Any) -> None:
        if isinstance(error, UsageError):
            text = error.text()
        elif isinstance(error, BotoCoreError | ClientError):
            text = f"AWS said no: {classify(error).message}"
        else:
            log.exception("listener failed", exc_info=error)
            text = "Something went wrong on Boltwatch's side; the error is in its log."
        if respond is not None and body.get("response_url"):
            await respond(text=text, response_type="ephemeral", replace_original=False)
