"""What `create_app` says while it builds the bot."""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bench.chart_figures import incident_trend
from bot.app import create_app
from bot.charts.figures import figure_payload
from bot.config import settings_from_mapping


def test_building_the_bot_from_the_environment_logs_no_unused_token_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """SLACK_BOT_TOKEN is set wherever the bot runs; Bolt used to warn at every start that it went unused."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "BOLTWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/b.db",
    }
    monkeypatch.setenv("SLACK_BOT_TOKEN", env["SLACK_BOT_TOKEN"])
    settings = settings_from_mapping({"slack": {"channel": "#a"}}, env)
    with caplog.at_level(logging.WARNING):
        app = create_app(settings, background=False, freeze=False)
    app.services.executor.shutdown()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt")] == []


def test_after_its_first_chart_the_bot_freezes_its_heap_once_more(tmp_path: Path) -> None:
    """The first chart imports matplotlib: ~55k objects that live as long as the process, which every later full
    collection (a pause of the whole process, the event loop included) would otherwise walk again."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "BOLTWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/b.db",
    }
    app = create_app(settings_from_mapping({"slack": {"channel": "#a"}}, env), background=False, freeze=True)
    figure = figure_payload(incident_trend(random.Random(19)))
    frozen_before = gc.get_freeze_count()
    try:
        asyncio.run(app.services.figure_image(figure))
        frozen_after_first = gc.get_freeze_count()
        asyncio.run(app.services.figure_image(figure))

        assert frozen_after_first > frozen_before
        assert gc.get_freeze_count() <= frozen_after_first, "only the first chart freezes (frozen objects still die)"
    finally:
        gc.unfreeze()  # the test session's heap is not the bot's to keep
        app.services.executor.shutdown()


def _built_in_a_new_interpreter(tmp_path: Path, config: dict[str, object], then: str) -> list[str]:
    """Build the bot from `config` in a new interpreter, so that no other test's imports count, run `then` (which
    may use `app`) and give back what it printed."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "BOLTWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/b.db",
    }
    code = (
        "import sys\n"
        "from bot.app import create_app\nfrom bot.config import settings_from_mapping\n"
        f"settings = settings_from_mapping({config!r}, {env!r})\n"
        "app = create_app(settings, background=False, freeze=False)\napp.services.executor.shutdown()\n"
    ) + then
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.splitlines()


def test_building_the_bot_with_charts_on_imports_no_plotting_library(tmp_path: Path) -> None:
    """matplotlib and Pillow (~0.5 s and tens of MB) wait for the first chart: the app, its handlers, the drainer and
    the services that draw import neither."""
    printed = _built_in_a_new_interpreter(
        tmp_path,
        {"slack": {"channel": "#a"}, "charts": {"enabled": True}},
        "import bot.delivery.drainer, bot.services, handlers, scheduler.runner\n"
        "print(app.notifier.chart_image is not None)\n"
        "print(sorted(m for m in ('matplotlib', 'PIL') if m in sys.modules))",
    )
    assert printed[-2:] == ["True", "[]"]


def test_schedules_without_a_calendar_import_no_calendar_parser(tmp_path: Path) -> None:
    """The iCalendar parser and dateutil's rrule load only when a schedule imports a calendar (`ics`): a bot with
    rotations alone builds and answers its schedules without them."""
    schedules = [{"name": "primary", "rotations": [{"users": ["U0ALICE", "U0BOB"]}]}]
    printed = _built_in_a_new_interpreter(
        tmp_path,
        {"slack": {"channel": "#a"}, "schedules": schedules},
        "from datetime import UTC, datetime\nfrom bot.core.oncall import answer\n"
        "print(answer(app.services.schedules['primary'], [], datetime(2026, 3, 2, tzinfo=UTC)).now.user)\n"
        "print(sorted(m for m in ('dateutil.rrule', 'bot.core.ical', 'bot.core.oncall_calendar') if m in sys.modules))",
    )
    assert printed[-2:] == ["U0ALICE", "[]"]
