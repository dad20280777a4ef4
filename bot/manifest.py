"""`boltwatch manifest`: the Slack app manifest, written from the code: the commands under the names in use, their
usage hints, the events the bot subscribes to and the scopes it needs. With `--config FILE`, from that config too:
its command prefix, and `files:write` only when it uploads files (charts, or `/logs` output as a file).

The checked-in `manifest.yml` is this command's default output (a test keeps them equal): the defaults, which upload.
"""

from __future__ import annotations

import argparse
from typing import Any

import yaml

from bot.commands import DESCRIPTION, USAGE, CommandNames, checked_prefix
from bot.ids import Command, EventType

EVENTS_PATH = "/slack/events"
"""Where the bot takes commands, events and interactivity in HTTP mode."""
SCOPES = {
    "chat:write": "post and update incident, log, error and wait messages",
    "chat:write.public": "post to public alert channels without being invited first (private ones need an invite)",
    "channels:history": "after a post of unknown outcome, find it by its metadata instead of posting twice",
    "groups:history": "the same in private channels",
    "channels:read": "the id of a channel named in the config (history is read by id)",
    "groups:read": "the same for private channels",
    "channels:join": "join a public alert channel Slack says the bot is not in",
    "commands": "the slash commands",
    "files:write": "charts (charts.enabled) and long /logs output as a file (logs.file_output)",
}
"""Every bot scope the bot asks for, and why: no more."""
UPLOAD_SCOPES = {"files:write"}
"""Needed only by a bot that uploads files."""


def manifest(*, command_prefix: str = "", http_url: str | None = None, uploads: bool = True) -> dict[str, Any]:
    """The manifest as data: Socket Mode unless `http_url` (the bot's public https base URL) is given; `uploads`
    false (charts and file output off) leaves out the scopes only uploads need."""
    names = CommandNames(checked_prefix(command_prefix))
    url = http_url.rstrip("/") + EVENTS_PATH if http_url else None
    at_url = {"url": url} if url else {}
    commands = [
        {
            "command": names(command),
            **at_url,
            "description": DESCRIPTION[command],
            "usage_hint": USAGE[command].arguments,
            "should_escape": False,
        }
        for command in Command
    ]
    return {
        "display_information": {
            "name": "Boltwatch",
            "description": "Keeps AWS systems up from Slack: alerts that act, logs, errors and waiters.",
            "background_color": "#1f2d3d",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": False,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": "boltwatch", "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": [scope for scope in SCOPES if uploads or scope not in UPLOAD_SCOPES]}},
        "settings": {
            "event_subscriptions": {
                **({"request_url": url} if url else {}),
                "bot_events": [event.value for event in EventType],
            },
            "interactivity": {"is_enabled": True, **({"request_url": url} if url else {})},
            "org_deploy_enabled": False,
            "socket_mode_enabled": url is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(
    *, command_prefix: str = "", http_url: str | None = None, uploads: bool = True, config: str | None = None
) -> str:
    """The manifest as YAML, with a header saying how it was made and a comment on why each scope is needed; `config`
    is the file it was written for (`uploads` and the prefix come from it)."""
    mode = f"--http-url {http_url}" if http_url else "--socket-mode"
    prefix = f"--command-prefix {command_prefix} " if command_prefix and config is None else ""
    source = f"--config {config} " if config is not None else ""
    header = [
        f"# The Slack app manifest, written by `boltwatch manifest {source}{prefix}{mode}` (do not edit it by hand).",
        '# Create the app from it at https://api.slack.com/apps ("From an app manifest").',
    ]
    if not http_url:
        header.append(
            "# Socket Mode: no public URL is needed. For HTTP mode: boltwatch manifest --http-url https://HOST"
        )
    if not uploads:
        header.append("# No files:write: this config uploads no files (charts.enabled and logs.file_output are off).")
    written = manifest(command_prefix=command_prefix, http_url=http_url, uploads=uploads)
    body = yaml.safe_dump(written, sort_keys=False, width=120, allow_unicode=True)
    lines = [_with_reason(line) for line in body.splitlines()]
    return "\n".join(header + lines) + "\n"


def _with_reason(line: str) -> str:
    scope = line.strip().removeprefix("- ")
    return f"{line}  # {SCOPES[scope]}" if line.lstrip().startswith("- ") and scope in SCOPES else line


def add_parser(commands: Any) -> None:
    """`boltwatch manifest [--config FILE | --command-prefix bw-] [--http-url URL | --socket-mode]` on the CLI's
    subcommands."""
    parser = commands.add_parser("manifest", help="print the Slack app manifest (manifest.yml is the default)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--config", default=None, help="for this config: its slack.command_prefix, and files:write only if it uploads"
    )
    source.add_argument("--command-prefix", default="", help="before /logs, /errors, /wait: bw- makes /bw-logs")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--http-url", default=None, help="HTTP mode at this public https base URL")
    mode.add_argument("--socket-mode", action="store_true", help="Socket Mode, no public URL (the default)")
    parser.set_defaults(func=lambda args: _print(args, parser))


def _print(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        checked_prefix(args.command_prefix)
    except ValueError as exc:
        parser.error(str(exc))
    if args.http_url is not None and not args.http_url.startswith("https://"):
        parser.error(f"--http-url {args.http_url!r}: Slack calls only https:// URLs")
    prefix, uploads = args.command_prefix, True
    if args.config is not None:
        from bot.config import load_file_settings  # pydantic: only when a config is read (ConfigError: exit 2)

        settings = load_file_settings(args.config)
        prefix, uploads = settings.slack.command_prefix, settings.uploads_files
    print(manifest_yaml(command_prefix=prefix, http_url=args.http_url, uploads=uploads, config=args.config), end="")
    return 0
