"""manifest.yml and the code agree: every command, action and event the code handles is declared, and back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.ids import ActionId, Command
from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, running_bot

MANIFEST = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


def test_the_manifest_declares_exactly_the_commands_in_the_code() -> None:
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == {c.value for c in Command}


def test_the_manifest_enables_what_the_bot_needs() -> None:
    settings = MANIFEST["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {
        "chat:write",
        "chat:write.public",
        "channels:history",
        "groups:history",
        "channels:read",
        "groups:read",
        "channels:join",
        "commands",
        "files:write",
    }


@pytest.mark.parametrize("command", [c.value for c in Command])
async def test_every_declared_command_is_handled(bot: RunningBot, command: str) -> None:
    delivery = await bot.command(command, "")
    assert delivery.status == 200


@pytest.mark.parametrize("event", ["app_home_opened"])
async def test_every_declared_event_is_handled(bot: RunningBot, event: str) -> None:
    assert event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    delivery = await bot.slack.send_event(bot.events_url, event={"type": event, "user": "U0ALICE", "tab": "home"})
    assert delivery.status == 200
    home = await bot.wait_for(lambda: bot.slack.home_view("U0ALICE"))
    assert "Open incidents" in str(home["blocks"])


@pytest.mark.parametrize("action_id", [a.value for a in ActionId])
async def test_every_action_id_has_a_listener(bot: RunningBot, action_id: str) -> None:
    delivery = await bot.slack.send_block_action(
        bot.events_url, action_id=action_id, channel="#alerts", value="not-ours", user="U0BOB"
    )
    assert delivery.status == 200, f"{action_id} is not handled"


async def test_an_open_app_home_refreshes_when_an_incident_changes(bot: RunningBot) -> None:
    from tests.e2e.test_incident_flow import put_alarm, set_state

    assert bot.app.home is not None
    bot.app.home.refresh_seconds = 0
    await bot.slack.send_event(bot.events_url, event={"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
    home = await bot.wait_for(lambda: bot.slack.home_view("U0BOB"))
    assert "*Open incidents* (0)" in str(home["blocks"])
    put_alarm(bot.moto, "orders-api-errors")
    set_state(bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    refreshed = await bot.wait_for(lambda: "*Open incidents* (1)" in str(bot.slack.home_view("U0BOB")["blocks"]))
    assert refreshed
    assert "incident_ack" in str(bot.slack.home_view("U0BOB")["blocks"])
