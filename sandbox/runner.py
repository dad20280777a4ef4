"""`boltwatch sandbox`: the real bot against moto, the local Slack and SQLite, all on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from botocore.exceptions import ClientError

from bot.app import BoltwatchApp, create_app
from bot.config import load_settings, settings_from_mapping
from bot.delivery.outbox import pending_count
from bot.store import Database
from sandbox.aws.estate import Estate, seed_estate
from sandbox.aws.server import start_moto
from sandbox.printer import QUIET_SECONDS, Printer
from sandbox.scenario_commands import run_scenario, sandbox_scenarios
from sandbox.slack import LocalSlack
from sandbox.story import ALERT_WITHIN_SECONDS, SANDBOX_CONFIG, estate_lines, try_lines

SIGNING_SECRET = "sandbox-signing-secret"
SETTLE_SECONDS = 30.0
"""At the end of piped input, how long the sandbox waits at most for the bot's queued Slack writes."""
QUIT = {":quit", ":q", "exit", "quit"}


@dataclass
class Session:
    """One running sandbox: where commands go and what prints the answers."""

    slack: LocalSlack
    app: BoltwatchApp
    events_url: str
    estate: Estate
    printer: Printer
    out: TextIO


async def run_sandbox(*, commands: list[str], config_path: str | None, out: TextIO = sys.stdout) -> int:
    workdir = tempfile.TemporaryDirectory(prefix="boltwatch-sandbox-")
    moto = await asyncio.to_thread(start_moto)
    os.environ.update(moto.environment())
    slack = await LocalSlack(signing_secret=SIGNING_SECRET).start()
    app = None
    try:
        estate = await asyncio.to_thread(seed_estate, moto.endpoint, quiet=True)
        slack.scenarios = sandbox_scenarios(estate)
        env = slack.environment() | {"BOLTWATCH_DATABASE_URL": f"sqlite:///{Path(workdir.name) / 'boltwatch.db'}"}
        settings = load_settings(config_path, env) if config_path else settings_from_mapping(SANDBOX_CONFIG, env)
        app = create_app(settings, aws_endpoint_url=moto.endpoint)
        port = await app.start(host="127.0.0.1", port=0)
        events_url = f"http://127.0.0.1:{port}/slack/events"
        slack.app_url = events_url
        session = Session(slack, app, events_url, estate, Printer(slack, out), out)
        slack.on_event(session.printer)
        _banner(out, estate, slack, port)
        if commands:
            for command in commands:
                await _send(session, command)
            return 0
        await _interactive(session)
        return 0
    finally:
        if app is not None:
            await app.stop()
        await slack.stop()
        await asyncio.to_thread(moto.stop)
        workdir.cleanup()


def _banner(out: TextIO, estate: Estate, slack: LocalSlack, port: int) -> None:
    lines = [
        "Boltwatch sandbox is running (everything on 127.0.0.1):",
        f"  open this      {slack.url}/  (the channel, buttons, Home and scenarios, in your browser)",
        f"  bot            http://127.0.0.1:{port}  (/healthz, /metrics, /slack/events)",
        f"  local Slack    {slack.url}",
        f"  emulated AWS   {estate.endpoint}  (moto; account {estate.account_id}, {estate.region})",
        "",
        *estate_lines(estate),
        "",
        *try_lines(estate),
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


async def _send(session: Session, line: str) -> None:
    line = line.strip()
    out, printer = session.out, session.printer
    if not line:
        return
    if line.startswith(":wait-for-alert"):
        await _wait_for_alert(session, line)
        return
    if line.startswith(":"):
        try:
            out.write(await asyncio.to_thread(run_scenario, line, session.estate) + "\n")
        except (LookupError, ValueError, ClientError) as exc:
            out.write(f"{exc}\n")
        return
    command, _, text = line.partition(" ")
    if not command.startswith("/"):
        out.write("Commands start with / (try /boltwatch help) or : for scenarios (:break, :alarm, :quit).\n")
        return
    out.write(f"\n> {line}\n")
    before = printer.events
    delivery = await session.slack.send_command(
        session.events_url, command=command, text=text.strip(), user="U0ALICE", channel="#alerts"
    )
    if delivery.status != 200:
        out.write(f"(the bot answered HTTP {delivery.status})\n")
        return
    await printer.quiet(before)


async def _wait_for_alert(session: Session, line: str) -> None:
    """`:wait-for-alert [SECONDS]`: block until the bot posts its next alert, so a script sees it before `:quit`."""
    words = line.split()
    if len(words) > 2 or (len(words) == 2 and not words[1].isdigit()):
        session.out.write(":wait-for-alert [SECONDS], e.g. :wait-for-alert 30\n")
        return
    seconds = int(words[1]) if len(words) == 2 else ALERT_WITHIN_SECONDS
    loop = asyncio.get_running_loop()
    started = loop.time()
    if await session.printer.next_alert(after=session.printer.alerts, timeout=seconds):
        session.out.write(f"(a new alert after {loop.time() - started:.1f} s)\n")
    else:
        session.out.write(
            f"(no new alert in {seconds} s: an open incident takes new alerts into its message rather than posting)\n"
        )
    session.out.flush()


async def _settle(session: Session) -> None:
    """Let work in flight finish before quitting: the bot's queued Slack writes sent and printed (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    db = session.app.services.db
    while loop.time() < deadline:
        pending = await asyncio.to_thread(_pending, db)
        if not pending and loop.time() - session.printer.last_event_at > QUIET_SECONDS:
            return
        await asyncio.sleep(0.2)


def _pending(db: Database) -> int:
    with db.transaction() as session:
        return pending_count(session)


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


async def _interactive(session: Session) -> None:
    lines = _stdin_lines()
    while True:
        session.out.write("boltwatch> ")
        session.out.flush()
        line = await lines.get()
        if not line or line.strip() in QUIT:
            await _settle(session)
            return
        await _send(session, line)
