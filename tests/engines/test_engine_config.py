"""Choosing the engine: `scheduler.engine: procrastinate` needs PostgreSQL and intervals a periodic task can keep,
`boltwatch worker` needs that engine, and `--role web` runs no checks, so it needs workers. Each refusal says what
to change, and nothing starts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import EXIT_CONFIG, main

PG = "postgresql+psycopg://postgres@127.0.0.1:9/none"  # never reached: the config is refused first


def config_file(tmp_path: Path, engine: str, every: str = "30s") -> str:
    config = {
        "slack": {"channel": "#alerts"},
        "checks": [{"type": "cloudwatch_alarms", "every": every}],
        "scheduler": {"engine": engine},
    }
    path = tmp_path / "boltwatch.yml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.fixture(autouse=True)
def slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")


def test_procrastinate_on_sqlite_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOLTWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    assert main(["worker", "--config", config_file(tmp_path, "procrastinate")]) == EXIT_CONFIG
    assert "scheduler.engine: procrastinate keeps its jobs in PostgreSQL" in capsys.readouterr().err
    assert not (tmp_path / "bot.db").exists()


def test_an_interval_no_periodic_task_can_keep_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOLTWATCH_DATABASE_URL", PG)
    assert main(["worker", "--config", config_file(tmp_path, "procrastinate", every="45s")]) == EXIT_CONFIG
    assert "cloudwatch_alarms: every 0:00:45 cannot be a periodic task's schedule" in capsys.readouterr().err


def test_a_worker_needs_the_procrastinate_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOLTWATCH_DATABASE_URL", PG)
    assert main(["worker", "--config", config_file(tmp_path, "apscheduler")]) == EXIT_CONFIG
    assert "`boltwatch worker` takes jobs only with engine procrastinate" in capsys.readouterr().err


def test_a_web_role_with_the_embedded_engine_would_run_no_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOLTWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    assert main(["run", "--role", "web", "--config", config_file(tmp_path, "apscheduler")]) == EXIT_CONFIG
    assert "--role web runs no checks" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("every", "cron"),
    [
        ("30s", "* * * * * */30"),
        ("1m", "*/1 * * * *"),
        ("15m", "*/15 * * * *"),
        ("6h", "0 */6 * * *"),
        ("1d", "0 0 * * *"),
    ],
)
def test_intervals_become_cron_schedules_in_step_with_the_clock(every: str, cron: str) -> None:
    from bot.durations import parse_duration
    from scheduler.engines.distributed import cron_for

    assert cron_for(parse_duration(every)) == cron
