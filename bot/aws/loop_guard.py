"""A runtime guard that refuses boto3 calls made on a thread that runs an asyncio event loop.

boto3 blocks (sockets, retries, waiter sleeps). On the event loop one slow call stalls every Slack ack and
every other coroutine, and some fakes deadlock outright, so such a call is a bug we want to see at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from botocore.client import BaseClient
from botocore.model import OperationModel

_HANDLER_ID = "boltwatch-refuse-calls-on-event-loop"


class BlockingCallOnEventLoop(RuntimeError):
    """A boto3 call was made on the event loop's thread instead of a worker thread."""


def refuse_calls_on_event_loop(client: BaseClient) -> None:
    """Make every API call of `client` (including paginators and waiters) fail fast on an event loop thread."""
    client.meta.events.register("before-call", _refuse_on_event_loop, unique_id=_HANDLER_ID)


def _refuse_on_event_loop(model: OperationModel, **_: Any) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise BlockingCallOnEventLoop(
        f"{model.service_model.service_name}.{model.name} was called on the asyncio event loop; "
        "run it through AwsExecutor.run(...) (or asyncio.to_thread) so it does not block the bot"
    )
