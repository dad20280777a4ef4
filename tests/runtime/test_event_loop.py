"""Which event loop `boltwatch run` uses: uvloop when installed unless configured otherwise."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import settings_from_mapping
from bot.runtime import event_loop


def test_auto_and_uvloop_pick_uvloop_when_it_is_installed_and_asyncio_opts_out() -> None:
    assert event_loop.uvloop_installed()  # a dependency on this platform
    assert event_loop.resolve("auto") == "uvloop"
    assert event_loop.resolve("uvloop") == "uvloop"
    assert event_loop.resolve("asyncio") == "asyncio"


def test_run_runs_on_the_chosen_loop() -> None:
    async def which() -> str:
        await asyncio.sleep(0)
        return event_loop.running_loop_name()

    assert event_loop.run(which(), "auto") == "uvloop"
    assert event_loop.run(which(), "asyncio") == "asyncio"


def test_asking_for_uvloop_without_it_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_loop, "uvloop_installed", lambda: False)
    assert event_loop.resolve("auto") == "asyncio"
    with pytest.raises(event_loop.EventLoopUnavailable, match="uvloop is not installed"):
        event_loop.resolve("uvloop")


def test_the_config_key_takes_only_the_three_choices() -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    settings = settings_from_mapping({"slack": {"channel": "#a"}, "server": {"event_loop": "asyncio"}}, env)
    assert settings.server.event_loop == "asyncio"
    with pytest.raises(Exception, match="event_loop"):
        settings_from_mapping({"slack": {"channel": "#a"}, "server": {"event_loop": "trio"}}, env)
