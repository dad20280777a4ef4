"""What `create_app` says while it builds the bot."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app import create_app
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
