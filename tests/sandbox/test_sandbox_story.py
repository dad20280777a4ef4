"""`boltwatch sandbox` driven the way the README says: the commands it prints, piped in as a script would, each
answering; the estate quiet but for its one alarm; `:break` an alert within 30 s; a storm one message."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
INSTANCE_ID = re.compile(r"\bi-[0-9a-f]{17}\b")
ALERT_AFTER = re.compile(r"\(a new alert after ([0-9.]+) s\)")
MORE = re.compile(r" \(\+\d+ more\)$")
NEW_ALERT = re.compile(r"── #alerts · new message ──\n# \S+ [A-Z]+ · (.*)")
BANNER_TIMEOUT = 120.0
RUN_TIMEOUT = 240.0
ANSWERS = {
    "/logs": "*Logs of `/aws/lambda/{target}`, last {since}*",
    "/errors": "*Errors in `/aws/lambda/{target}`, last {since}:*",
    "/wait": "✅ Done: `{rest}`",
    "/boltwatch": "5 checks, 0 failing",
    ":break": "{target} failed 3 times",
    ":alarm": "alarm {target} is now OK.",
    ":storm": "70 alarms (checkout-tg-01-unhealthy … checkout-tg-70-unhealthy) are in ALARM",
    ":dead-letter": "landed in orders-dlq.",
    ":impair-instance": "instance status check fails (reachability) until it is rebooted.",
    ":stop-instance": " is stopped.",
}


@dataclass
class Run:
    banner: list[str]
    tried: list[str]
    output: str
    exit_code: int

    def alerts(self) -> list[str]:
        """The headline of every alert message posted, in order."""
        return NEW_ALERT.findall(self.output)


def _boltwatch() -> list[str]:
    script = Path(sys.executable).with_name("boltwatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def _printed_commands(banner: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(banner) if line.startswith("Try these"))
    return [re.split(r"\s{2,}", line.strip())[0] for line in banner[start + 1 :]]


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    """One sandbox, fed what it printed: first wait for its alarm, then every command it suggests, in order (a wait
    after the storm, so that the storm's message is printed before the sandbox stops)."""
    process = subprocess.Popen(
        [*_boltwatch(), "sandbox"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        bufsize=1,
    )
    assert process.stdin is not None and process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    banner: list[str] = []
    try:
        while not banner or not banner[-1].lstrip().startswith(":quit"):
            line = lines.get(timeout=BANNER_TIMEOUT)
            assert line is not None, "the sandbox stopped before printing what to try:\n" + "".join(banner)
            banner.append(line.rstrip("\n"))
        tried = _printed_commands(banner)
        script = [":wait-for-alert 30"]
        for command in tried:
            script.append(command)
            if command.startswith(":storm"):
                script.append(":wait-for-alert 30")
        process.stdin.write("\n".join(script) + "\n")
        process.stdin.close()
        output: list[str] = []
        deadline = time.monotonic() + RUN_TIMEOUT
        while (line := lines.get(timeout=max(deadline - time.monotonic(), 0.1))) is not None:
            output.append(line)
        yield Run(banner, tried, "".join(output), process.wait(timeout=30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_readme_shows_what_the_sandbox_prints_but_for_the_instance_id(run: Run) -> None:
    readme = README.read_text(encoding="utf-8")
    start = run.banner.index(next(line for line in run.banner if line.startswith("The estate is")))
    printed = "\n".join(run.banner[start:])

    assert INSTANCE_ID.sub("i-ID", printed) in INSTANCE_ID.sub("i-ID", readme)


def test_the_sandbox_starts_quiet_but_for_its_one_alarm_and_alerts_only_on_what_is_done_to_it(run: Run) -> None:
    alerts = run.alerts()

    assert alerts[0] == "Alarm orders-api-errors"
    assert [alert.split(":")[0] for alert in alerts[1:2]] == ["invoice-renderer"]
    later = {INSTANCE_ID.sub("i-ID", MORE.sub("", alert)) for alert in alerts[2:]}
    # The dead letter and the impaired instance come just before the end: their checks may not run again before the
    # sandbox stops.
    assert "Alarm checkout-tg-01-unhealthy" in later
    assert later <= {
        "Alarm checkout-tg-01-unhealthy",
        "orders-dlq: 1 dead letter from orders-queue",
        "reporting-batch (i-ID): Instance status check impaired",
    }


def test_break_is_an_alert_within_thirty_seconds(run: Run) -> None:
    waits = [float(seconds) for seconds in ALERT_AFTER.findall(run.output)]

    assert len(waits) == 3, run.output
    assert waits[1] <= 30


def test_every_command_the_sandbox_suggests_answers_as_it_says(run: Run) -> None:
    for command in run.tried:
        if command in (":quit", ":wait-for-alert 30"):
            continue
        name, *words = command.split()
        expected = ANSWERS[name].format(
            target=words[0] if words else "", since=words[-1] if words else "", rest=" ".join(words)
        )
        assert expected in run.output, f"{command!r} did not answer {expected!r}"
    for failure in ("Traceback", "Scenarios:", "(the bot answered HTTP", "(no new alert", "Usage", "failing ("):
        assert failure not in run.output


def test_a_storm_is_one_message_and_the_sandbox_stops_cleanly_at_the_end_of_its_input(run: Run) -> None:
    storm_posts = [alert for alert in run.alerts() if "checkout-tg" in alert]

    assert len(storm_posts) == 1
    # All 70 in the post, or in its update when a check run fell in the middle of the storm.
    assert "# 🟠 WARNING · Alarm checkout-tg-01-unhealthy (+69 more)" in run.output
    assert run.exit_code == 0
