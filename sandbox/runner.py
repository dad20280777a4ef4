"""`boltwatch sandbox`: the real bot against moto, the local Slack and SQLite, all on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, TextIO

from bot.app import create_app
from bot.config import load_settings, settings_from_mapping
from sandbox.aws.alarms import set_alarm_state
from sandbox.aws.estate import Estate, seed_estate
from sandbox.aws.queues import DEAD_LETTER_QUEUE
from sandbox.aws.scenarios import break_function, drop_dead_letter, set_instance_running
from sandbox.aws.server import start_moto
from sandbox.slack import LocalEvent, LocalSlack, render_text
from sandbox.slack.web_view import Scenario

SIGNING_SECRET = "sandbox-signing-secret"
QUIET_SECONDS = 1.5
COMMAND_TIMEOUT_SECONDS = 60.0
SANDBOX_CONFIG: dict[str, Any] = {
    "slack": {"channel": "#alerts"},
    "aws": {"regions": ["us-east-1"], "max_attempts": 2},
    "checks": [
        {"type": "cloudwatch_alarms", "every": "15s"},
        {"type": "lambda_errors", "every": "30s", "window": "15m"},
        {"type": "log_errors", "every": "15s", "log_groups": ["/aws/lambda/*"], "first_look_back": "2h"},
        {"type": "sqs_dead_letters", "every": "30s"},
        {"type": "ec2_status", "every": "30s"},
    ],
    "routes": [{"name": "per-function", "group_by": ["check", "resource"]}],
}
HELP = """\
Type a slash command as you would in Slack, for example:
  /boltwatch help
  /logs orders-api 1h
Make things happen in the emulated AWS:
  :break FUNCTION            errors land in the function's logs and metrics
  :alarm NAME ALARM|OK       fire or clear a CloudWatch alarm
  :quit                      stop everything (Ctrl-C works too)
"""


class Printer:
    """Prints every message the bot sends, readably, and remembers when it last printed."""

    def __init__(self, slack: LocalSlack, out: TextIO) -> None:
        self._slack = slack
        self._out = out
        self.events = 0
        self.last_event_at = 0.0

    def __call__(self, event: LocalEvent) -> None:
        if event.kind not in {"message", "reply", "update", "ephemeral", "home", "view"}:
            return
        where = f"#{self._slack.channel_name(event.channel)}" if event.channel else f"user {event.user}"
        label = {"message": "new message", "reply": "thread reply", "update": "message updated"}.get(
            event.kind, event.kind
        )
        body = render_text(event.message) if event.message is not None else str(event.details)
        self._out.write(f"\n── {where} · {label} ──\n{body}\n")
        self._out.flush()
        self.events += 1
        self.last_event_at = asyncio.get_running_loop().time()

    async def quiet(self, after_events: int) -> None:
        """Wait until something new was printed and then nothing for a moment (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + COMMAND_TIMEOUT_SECONDS
        while loop.time() < deadline:
            if self.events > after_events and loop.time() - self.last_event_at > QUIET_SECONDS:
                return
            await asyncio.sleep(0.1)


async def run_sandbox(*, commands: list[str], config_path: str | None, out: TextIO = sys.stdout) -> int:
    workdir = tempfile.TemporaryDirectory(prefix="boltwatch-sandbox-")
    moto = await asyncio.to_thread(start_moto)
    os.environ.update(moto.environment())
    slack = await LocalSlack(signing_secret=SIGNING_SECRET).start()
    printer = Printer(slack, out)
    app = None
    try:
        estate = await asyncio.to_thread(seed_estate, moto.endpoint)
        slack.scenarios = sandbox_scenarios(estate)
        env = slack.environment() | {"BOLTWATCH_DATABASE_URL": f"sqlite:///{Path(workdir.name) / 'boltwatch.db'}"}
        settings = load_settings(config_path, env) if config_path else settings_from_mapping(SANDBOX_CONFIG, env)
        app = create_app(settings, aws_endpoint_url=moto.endpoint)
        port = await app.start(host="127.0.0.1", port=0)
        events_url = f"http://127.0.0.1:{port}/slack/events"
        slack.app_url = events_url
        slack.on_event(printer)
        _banner(out, estate, slack, port)
        if commands:
            for command in commands:
                await _send(slack, events_url, command, out, printer, estate)
            return 0
        out.write(HELP)
        await _interactive(slack, events_url, out, printer, estate)
        return 0
    finally:
        if app is not None:
            await app.stop()
        await slack.stop()
        await asyncio.to_thread(moto.stop)
        workdir.cleanup()


def _banner(out: TextIO, estate: Estate, slack: LocalSlack, port: int) -> None:
    functions = ", ".join(f.name for f in estate.functions)
    out.write(
        "Boltwatch sandbox is running (everything on 127.0.0.1):\n"
        f"  open this      {slack.url}/  (the channel, buttons, Home and scenarios, in your browser)\n"
        f"  bot            http://127.0.0.1:{port}  (/healthz, /metrics, /slack/events)\n"
        f"  local Slack    {slack.url}\n"
        f"  emulated AWS   {estate.endpoint}  (moto; account {estate.account_id}, {estate.region})\n"
        f"  functions      {functions}\n"
        f"  alarm firing   {estate.alarm_firing}\n"
    )
    out.flush()


async def _send(slack: LocalSlack, events_url: str, line: str, out: TextIO, printer: Printer, estate: Estate) -> None:
    line = line.strip()
    if not line:
        return
    before = printer.events
    if line.startswith(":"):
        out.write(await asyncio.to_thread(_scenario, line, estate) + "\n")
        return
    command, _, text = line.partition(" ")
    if not command.startswith("/"):
        out.write("Commands start with / (try /boltwatch help) or : for scenarios (:break, :alarm, :quit).\n")
        return
    out.write(f"\n> {line}\n")
    delivery = await slack.send_command(
        events_url, command=command, text=text.strip(), user="U0ALICE", channel="#alerts"
    )
    if delivery.status != 200:
        out.write(f"(the bot answered HTTP {delivery.status})\n")
        return
    await printer.quiet(before)


def _scenario(line: str, estate: Estate) -> str:
    words = line[1:].split()
    if words[:1] == ["break"] and len(words) == 2:
        return _break(estate, words[1])
    if words[:1] == ["alarm"] and len(words) == 3 and words[2].upper() in {"ALARM", "OK"}:
        return _alarm(estate, words[1], words[2].upper())
    return "Scenarios: :break FUNCTION, :alarm NAME ALARM|OK, :quit"


def _break(estate: Estate, function: str) -> str:
    broken = break_function(estate.endpoint, function, estate.region)
    return f"{function} failed {len(broken.request_ids)} times; the next check run will see it."


def _alarm(estate: Estate, name: str, state: str) -> str:
    set_alarm_state(estate.endpoint, name, state, "set from the sandbox", estate.region)
    return f"alarm {name} is now {state}."


def _instance(estate: Estate, instance_id: str, running: bool) -> str:
    return f"{instance_id} is {set_instance_running(estate.endpoint, instance_id, running, estate.region)}."


def _dead_letter(estate: Estate) -> str:
    order = drop_dead_letter(estate.endpoint, estate.dlq_url, estate.region)
    return f"order {order} landed in {DEAD_LETTER_QUEUE}."


def sandbox_scenarios(estate: Estate) -> dict[str, Scenario]:
    """The browser view's scenario panel, acting on the seeded estate."""
    functions = tuple(function.name for function in estate.functions)
    instance = (estate.instance_id,)
    return {
        "break_function": Scenario("Break a function", lambda name: _break(estate, name), functions),
        "fire_alarm": Scenario(
            "Fire alarm", lambda name: _alarm(estate, name, "ALARM"), (estate.alarm_ok, estate.alarm_firing)
        ),
        "clear_alarm": Scenario(
            "Clear alarm", lambda name: _alarm(estate, name, "OK"), (estate.alarm_firing, estate.alarm_ok)
        ),
        "dead_letter": Scenario("Drop a message into the DLQ", lambda _: _dead_letter(estate), (DEAD_LETTER_QUEUE,)),
        "stop_instance": Scenario("Stop instance", lambda i: _instance(estate, i, running=False), instance),
        "start_instance": Scenario("Start instance", lambda i: _instance(estate, i, running=True), instance),
    }


def _stdin_lines() -> asyncio.Queue[str]:
    """Lines typed at the prompt, read by a daemon thread so that Ctrl-C never waits for Enter."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = sys.stdin.readline()
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if not line:
                return

    threading.Thread(target=read, name="sandbox-prompt", daemon=True).start()
    return lines


async def _interactive(slack: LocalSlack, events_url: str, out: TextIO, printer: Printer, estate: Estate) -> None:
    lines = _stdin_lines()
    while True:
        out.write("boltwatch> ")
        out.flush()
        line = await lines.get()
        if not line or line.strip() in {":quit", ":q", "exit", "quit"}:
            return
        try:
            await _send(slack, events_url, line, out, printer, estate)
        except (LookupError, ValueError) as exc:
            out.write(f"{exc}\n")
