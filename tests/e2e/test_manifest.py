"""manifest.yml is `boltwatch manifest`'s default output, a manifest Slack takes; it and the code agree: every
command, action and event the code handles is declared, and back, under the names in use."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.cli import main
from bot.ids import ActionId, Command, EventType
from bot.manifest import manifest, manifest_yaml
from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, base_config, running_bot

CHECKED_IN = (Path(__file__).parents[2] / "manifest.yml").read_text()
MANIFEST = yaml.safe_load(CHECKED_IN)


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


_TEXT = {"type": "string"}
_FLAG = {"type": "boolean"}
_HTTPS = {"type": "string", "pattern": "^https://"}
_WORDS = {"type": "array", "items": _TEXT}
# The manifest's structure as Slack's app manifest reference (api.slack.com/reference/manifests) defines the fields
# used here: names, types, required fields, length limits and the allowed characters. Written from that page; no
# copy of SchemaStore's schema ships with the project (it was checked against it by hand when this was written).
SLACK_MANIFEST = _object(
    {
        "display_information": _object(
            {
                "name": {"type": "string", "maxLength": 35},
                "description": {"type": "string", "maxLength": 140},
                "long_description": {"type": "string", "maxLength": 4000},
                "background_color": {"type": "string", "pattern": "^#([0-9a-fA-F]{3}){1,2}$"},
            },
            ("name",),
        ),
        "features": _object(
            {
                "app_home": _object(
                    {"home_tab_enabled": _FLAG, "messages_tab_enabled": _FLAG, "messages_tab_read_only_enabled": _FLAG}
                ),
                "bot_user": _object(
                    {
                        "display_name": {"type": "string", "maxLength": 80, "pattern": r"^[a-z0-9._-]+$"},
                        "always_online": _FLAG,
                    },
                    ("display_name",),
                ),
                "slash_commands": {
                    "type": "array",
                    "maxItems": 50,
                    "items": _object(
                        {
                            "command": {"type": "string", "maxLength": 32, "pattern": "^/[a-z0-9_-]+$"},
                            "url": _HTTPS,
                            "description": {"type": "string", "maxLength": 2000},
                            "usage_hint": {"type": "string", "maxLength": 1000},
                            "should_escape": _FLAG,
                        },
                        ("command", "description"),
                    ),
                },
            }
        ),
        "oauth_config": _object({"scopes": _object({"bot": {**_WORDS, "maxItems": 255}, "user": _WORDS})}),
        "settings": {
            **_object(
                {
                    "event_subscriptions": _object(
                        {"request_url": _HTTPS, "bot_events": {**_WORDS, "maxItems": 100}, "user_events": _WORDS}
                    ),
                    "interactivity": _object({"is_enabled": _FLAG, "request_url": _HTTPS}, ("is_enabled",)),
                    "org_deploy_enabled": _FLAG,
                    "socket_mode_enabled": _FLAG,
                    "token_rotation_enabled": _FLAG,
                }
            ),
            # Without Socket Mode, Slack needs a URL to send events and interactions to.
            "if": {"properties": {"socket_mode_enabled": {"const": False}}},
            "then": {
                "properties": {
                    "event_subscriptions": {"required": ["request_url"]},
                    "interactivity": {"required": ["request_url"]},
                }
            },
        },
    },
    ("display_information",),
)


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


def test_the_checked_in_manifest_is_the_generators_default_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKED_IN == manifest_yaml(), "manifest.yml is stale: run `boltwatch manifest > manifest.yml`"
    assert main(["manifest"]) == 0
    assert capsys.readouterr().out == CHECKED_IN


@pytest.mark.parametrize(
    ("prefix", "url"), [("", None), ("bw-", None), ("", "https://bot.example.com"), ("ops_", "https://x.example/a/")]
)
def test_every_manifest_the_generator_writes_is_one_slack_takes(prefix: str, url: str | None) -> None:
    jsonschema.validate(manifest(command_prefix=prefix, http_url=url), SLACK_MANIFEST)
    jsonschema.validate(yaml.safe_load(manifest_yaml(command_prefix=prefix, http_url=url)), SLACK_MANIFEST)


def test_a_command_prefix_goes_before_the_generic_names_only() -> None:
    commands = manifest(command_prefix="bw-")["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/bw-logs", "/bw-errors", "/bw-wait", "/boltwatch"]


def test_http_mode_sends_commands_events_and_interactivity_to_slack_events() -> None:
    written = manifest(http_url="https://bot.example.com/")
    settings = written["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["event_subscriptions"]["request_url"] == "https://bot.example.com/slack/events"
    assert settings["interactivity"]["request_url"] == "https://bot.example.com/slack/events"
    assert {c["url"] for c in written["features"]["slash_commands"]} == {"https://bot.example.com/slack/events"}


def test_the_usage_hints_name_every_keyword_the_grammar_takes() -> None:
    hints = {c["command"]: c["usage_hint"] for c in MANIFEST["features"]["slash_commands"]}
    for command in ("/logs", "/errors", "/wait"):
        assert "[account NAME] [region REGION]" in hints[command]
    assert "filter TEXT" in hints["/logs"] and "timeout DURATION" in hints["/wait"]
    assert "unmute TARGET" in hints["/boltwatch"]


def written_for(config: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    path = tmp_path / "boltwatch.yml"
    path.write_text(yaml.safe_dump(config))
    assert main(["manifest", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# The Slack app manifest, written by `boltwatch manifest --config {path} --socket-mode`")
    written: dict[str, Any] = yaml.safe_load(out)
    jsonschema.validate(written, SLACK_MANIFEST)
    return written


def test_a_config_that_uploads_nothing_gets_a_manifest_without_files_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = base_config(slack={"channel": "#alerts", "command_prefix": "bw-"}, logs={"file_output": False})
    written = written_for(config, tmp_path, capsys)

    assert "files:write" not in written["oauth_config"]["scopes"]["bot"]
    assert set(written["oauth_config"]["scopes"]["bot"]) == set(MANIFEST["oauth_config"]["scopes"]["bot"]) - {
        "files:write"
    }
    assert written["features"]["slash_commands"][0]["command"] == "/bw-logs"  # the config's prefix


@pytest.mark.parametrize(
    "uploading",
    [{"charts": {"enabled": True}, "logs": {"file_output": False}}, {"charts": {"enabled": False}}, {}],
    ids=["charts", "logs-as-a-file", "defaults"],
)
def test_a_config_with_charts_or_file_output_on_gets_files_write(
    uploading: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {"slack": {"channel": "#alerts"}, **uploading}
    written = written_for(config, tmp_path, capsys)

    assert written["oauth_config"]["scopes"] == MANIFEST["oauth_config"]["scopes"]
    assert "files:write" in written["oauth_config"]["scopes"]["bot"]


def test_a_config_the_manifest_is_written_for_must_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "boltwatch.yml"
    path.write_text(yaml.safe_dump({"slack": {"channel": "#alerts"}, "logs": {"file_outputs": False}}))

    assert main(["manifest", "--config", str(path)]) == 2
    assert "logs.file_outputs" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--command-prefix", "BW-"], "is not a command prefix Slack takes"),
        (["--http-url", "http://bot.example.com"], "Slack calls only https:// URLs"),
        (["--http-url", "https://bot.example.com", "--socket-mode"], "not allowed with argument"),
        (["--config", "boltwatch.yml", "--command-prefix", "bw-"], "not allowed with argument"),
    ],
)
def test_the_generator_refuses_what_slack_would(
    args: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["manifest", *args])
    assert exited.value.code == 2
    assert problem in capsys.readouterr().err


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


async def test_a_bot_with_a_prefix_answers_the_names_its_manifest_declares(moto: MotoHandle, database_url: str) -> None:
    declared = [c["command"] for c in manifest(command_prefix="bw-")["features"]["slash_commands"]]
    config = base_config(slack={"channel": "#alerts", "command_prefix": "bw-"})
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        for command in declared:
            assert (await bot.command(command, "")).status == 200, f"{command} is not handled"
        assert (await bot.command("/logs", "orders-api")).status == 404
        await bot.command("/boltwatch", "help")
        await bot.command("/bw-wait", "ec2")
        help_reply, usage_reply = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE")[-2:])
    assert "`/bw-logs TARGET [SINCE" in str(help_reply.blocks) and "`/logs " not in str(help_reply.blocks)
    assert "Usage: `/bw-wait SERVICE WAITER ID..." in usage_reply.text


@pytest.mark.parametrize("event", [e.value for e in EventType])
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
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    refreshed = await bot.wait_for(lambda: "*Open incidents* (1)" in str(bot.slack.home_view("U0BOB")["blocks"]))
    assert refreshed
    assert "incident_ack" in str(bot.slack.home_view("U0BOB")["blocks"])
