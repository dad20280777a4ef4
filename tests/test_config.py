from __future__ import annotations

import re
import typing
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from bot.cli import main
from bot.config import ConfigError, FileSettings, load_settings, settings_from_mapping
from bot.core.routing import build_routes
from scheduler.registry import REGISTRY, configure_checks, load_check_types

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "boltwatch.yml"

MINIMAL = """\
slack:
  channel: "#alerts"
aws:
  regions: [us-east-1]
checks:
  - type: cloudwatch_alarms
    every: 30s
  - type: lambda_errors
    every: 60s
  - type: log_errors
    every: 30s
    log_groups: ["/aws/lambda/*"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "boltwatch.yml"
    path.write_text(text)
    return path


def test_the_minimal_example_from_the_design_loads(tmp_path: Path, slack_env: dict[str, str]) -> None:
    settings = load_settings(write(tmp_path, MINIMAL), slack_env)
    assert settings.slack.channel == "#alerts"
    assert [c.type for c in settings.checks] == ["cloudwatch_alarms", "lambda_errors", "log_errors"]
    assert settings.checks[1].every == timedelta(seconds=60)
    assert settings.checks[2].params == {"log_groups": ["/aws/lambda/*"]}
    assert settings.server.host == "127.0.0.1"


def test_the_shipped_example_file_loads_with_its_checks_routes_and_rules(slack_env: dict[str, str]) -> None:
    settings = load_settings(EXAMPLE, slack_env)
    assert {c.type.name for c in configure_checks(settings.checks)} == set(REGISTRY)
    routes = build_routes(settings.file.routes, settings.slack.channel)
    assert [r.name for r in routes] == ["payments", "databases", "default"]
    assert routes[0].group_wait == timedelta(0)
    assert settings.file.access[0].users


def test_check_params_are_checked_against_the_check_type(tmp_path: Path, slack_env: dict[str, str]) -> None:
    text = MINIMAL.replace(
        "  - type: cloudwatch_alarms\n    every: 30s\n", "  - type: cloudwatch_alarms\n    name_prefx: x\n"
    )
    text = text.replace("type: lambda_errors", "type: lambda_erors")
    settings = load_settings(write(tmp_path, text), slack_env)
    with pytest.raises(ConfigError) as caught:
        configure_checks(settings.checks)
    assert caught.value.problems[0] == "checks[0].name_prefx: unknown key"
    assert caught.value.problems[1].startswith("checks[1].type: unknown check type 'lambda_erors' (known: ")


def test_each_problem_is_one_line_naming_its_path(tmp_path: Path, slack_env: dict[str, str]) -> None:
    text = MINIMAL.replace('channel: "#alerts"', 'chanel: "#alerts"').replace("every: 60s", "every: 5 minutes")
    text += "server:\n  port: lots\n"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), slack_env)
    assert caught.value.problems == [
        "slack.channel: is required",
        "slack.chanel: unknown key",
        'checks[1].every: "5 minutes" is not a duration like 30s, 5m, 1h',
        "server.port: 'lots': input should be a valid integer, unable to parse string as an integer",
    ]


def test_missing_slack_secrets_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL), {})
    assert caught.value.problems == [
        "SLACK_BOT_TOKEN: the environment variable is not set",
        "SLACK_SIGNING_SECRET: the environment variable is not set",
    ]


def test_invalid_yaml_names_the_line(tmp_path: Path, slack_env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, "slack:\n  channel: [unclosed\n"), slack_env)
    assert "line" in caught.value.problems[0] and "not valid YAML" in caught.value.problems[0]


def test_the_environment_overrides_the_database_url(tmp_path: Path, slack_env: dict[str, str]) -> None:
    env = slack_env | {"BOLTWATCH_DATABASE_URL": "sqlite:////tmp/other.db", "SLACK_API_URL": "http://x/api"}
    settings = load_settings(write(tmp_path, MINIMAL), env)
    assert settings.database_url == "sqlite:////tmp/other.db"
    assert settings.secrets.api_url == "http://x/api/"


def test_duplicate_check_names_are_refused(tmp_path: Path, slack_env: dict[str, str]) -> None:
    text = MINIMAL + "  - type: log_errors\n    log_groups: [x]\n"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), slack_env)
    assert caught.value.problems == ["checks: two checks share the name 'log_errors'; give one a `name:`"]


def test_run_with_a_bad_config_exits_2_with_one_line_per_problem_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    path = write(tmp_path, MINIMAL.replace("every: 30s", "every: soon", 1))
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == 'config error: checks[0].every: "soon" is not a duration like 30s, 5m, 1h\n'


def test_a_command_prefix_slack_would_refuse_is_named(tmp_path: Path, slack_env: dict[str, str]) -> None:
    text = MINIMAL.replace('  channel: "#alerts"\n', '  channel: "#alerts"\n  command_prefix: "BW "\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), slack_env)
    assert caught.value.problems == [
        "slack.command_prefix: 'BW ' is not a command prefix Slack takes: up to 20 lowercase letters, digits, - and _"
        " (like bw-)"
    ]


def _model_in(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The settings model a field holds, and whether as a list: `Model`, `Model | None`, `list[Model]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    if typing.get_origin(annotation) is list:
        inner, _ = _model_in(typing.get_args(annotation)[0])
        return inner, inner is not None
    for arg in typing.get_args(annotation):
        inner, in_list = _model_in(arg)
        if inner is not None:
            return inner, in_list
    return None, False


def model_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every key a settings model takes, as a path: `aws.accounts[].role_arn`."""
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        inner, in_list = _model_in(field.annotation)
        path = prefix + (field.alias or name) + ("[]" if in_list else "")
        keys.add(path)
        if inner is not None:
            keys |= model_keys(inner, path + ".")
    return keys


def used_keys(value: object, prefix: str = "") -> set[str]:
    """Every key a YAML document uses, as a path; list items merge under `[]`."""
    keys: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            keys |= {prefix + key} | used_keys(inner, prefix + key + ".")
    elif isinstance(value, list):
        stem = prefix.removesuffix(".")
        keys |= {stem + "[]"} if stem else set()
        for item in value:
            keys |= used_keys(item, stem + "[].")
    return keys


def test_the_example_uses_every_key_and_every_check_type_with_all_its_keys() -> None:
    example = yaml.safe_load(EXAMPLE.read_text())
    checks = example.pop("checks")
    missing = {key for key in model_keys(FileSettings) if not key.startswith("checks[]")} - used_keys(example)
    assert not missing, f"examples/boltwatch.yml does not use {sorted(missing)}"
    load_check_types()
    for name, check_type in REGISTRY.items():
        configured = [c for c in checks if c["type"] == name]
        assert configured, f"examples/boltwatch.yml has no {name} check"
        unused = model_keys(check_type.params) - set().union(*(used_keys(c) for c in configured))
        assert not unused, f"the example's {name} check does not use {sorted(unused)}"
    assert {"type", "name", "every", "enabled"} <= set().union(*(c.keys() for c in checks))


def test_every_key_the_settings_take_is_documented_in_the_readme() -> None:
    quoted = re.findall(r"`([a-z_][a-z0-9_.\[\]]*)", (ROOT / "README.md").read_text())  # `aws.accounts[]`
    documented = {part for name in quoted for part in re.split(r"[.\[\]]+", name)}
    load_check_types()
    models = [FileSettings, *(t.params for t in REGISTRY.values())]
    keys = {re.sub(r"\[\]", "", key).rsplit(".", 1)[-1] for model in models for key in model_keys(model)}
    assert not keys - documented, f"README.md does not document {sorted(keys - documented)}"
NINE_MISTAKES = """\
slack:
  chanel: "#alerts"
checks:
  - type: cloudwatch_alarms
    every: 5 minutes
  - type: cloudwatch_alarms
  - type: cloudwatch_alarms
  - type: cloudwatch_alarm
  - type: log_errors
  - type: lambda_errors
    min_errors: lots
routes:
  - match_re: {alarm: "rds-(.*"}
digests:
  - channel: "#a"
    timezone: Mars/Olympus
"""


def test_one_run_reports_every_mistake_of_the_file_and_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schema, duplicate names, check types and each check's params used to come in separate runs."""
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    assert main(["run", "--config", str(write(tmp_path, NINE_MISTAKES))]) == 2
    reported = [line.removeprefix("config error: ").split(":")[0] for line in capsys.readouterr().err.splitlines()]
    assert sorted(reported) == sorted(
        [
            "slack.channel",
            "slack.chanel",
            "checks[0].every",
            "checks",
            "checks[3].type",
            "checks[4].log_groups",
            "checks[5].min_errors",
            "routes[0].match_re",
            "digests[0].timezone",
            "SLACK_BOT_TOKEN",
        ]
    )


def test_iam_policy_reports_every_mistake_of_the_file_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["iam-policy", "--config", str(write(tmp_path, NINE_MISTAKES))]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 9


def test_asking_for_uvloop_where_it_is_missing_is_reported_with_the_rest(
    tmp_path: Path, slack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.runtime.event_loop.uvloop_installed", lambda: False)
    text = MINIMAL.replace("every: 60s", "every: soon") + "server:\n  event_loop: uvloop\n"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), slack_env)
    assert caught.value.problems == [
        'checks[1].every: "soon" is not a duration like 30s, 5m, 1h',
        "server.event_loop: uvloop is not installed (pip install uvloop, or choose auto or asyncio)",
    ]


CUSTOM = """\
actions:
  custom:
    - name: lambda_cap
      title: Cap concurrency
      applies_to: [lambda_errors]
      service: lambda
      operation: PutFunctionConcurrency
      params: {FunctionNam: "{label.function}", ReservedConcurrentExecutions: 5}
      confirm: Cap {label.function} at 5
    - name: ecs_scale
      title: Scale out
      applies_to: [ecs_services]
      service: ecs
      operation: UpdateServices
      confirm: Scale out
"""


def test_a_custom_action_that_does_not_fit_botocore_s_model_fails_the_load_naming_each_mistake(
    tmp_path: Path, slack_env: dict[str, str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL + CUSTOM), slack_env)
    assert caught.value.problems == [
        "actions.custom[0].params.FunctionNam: not a parameter of lambda PutFunctionConcurrency"
        " (did you mean FunctionName?)",
        "actions.custom[0].params: FunctionName is required by lambda PutFunctionConcurrency",
        "actions.custom[1].operation: ecs has no operation 'UpdateServices' (did you mean UpdateService?)",
    ]


def test_a_custom_action_s_own_keys_are_checked_with_the_rest_of_the_file(
    tmp_path: Path, slack_env: dict[str, str]
) -> None:
    text = MINIMAL + CUSTOM.replace("      confirm: Scale out\n", "      confirm: Scale out\n      verfy: {}\n")
    text = text.replace("name: lambda_cap", "name: Lambda-Cap")
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), slack_env)
    problems = caught.value.problems
    assert "actions.custom[1].verfy: unknown key" in problems
    assert any(p.startswith("actions.custom[0].name: String should match pattern") for p in problems)


def test_a_custom_action_named_like_a_built_in_or_for_an_unknown_check_type_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL + CUSTOM.replace("name: lambda_cap", "name: lambda_throttle")
    text = text.replace("FunctionNam:", "FunctionName:").replace("UpdateServices", "UpdateService")
    text = text.replace("applies_to: [ecs_services]", "applies_to: [ecs_service]")
    text = text.replace("      confirm: Scale out\n", "      params: {service: x}\n      confirm: Scale out\n")
    assert main(["iam-policy", "--config", str(write(tmp_path, text)), "--responder"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "config error: actions.custom[0].name: 'lambda_throttle' is a built-in action's name; choose another",
        "config error: actions.custom[1].applies_to[0]: unknown check type 'ecs_service' (did you mean ecs_services?)",
    ]


def test_charts_are_on_and_light_by_default_and_a_theme_is_light_or_dark(slack_env: dict[str, str]) -> None:
    charts = settings_from_mapping({"slack": {"channel": "#alerts"}}, slack_env).file.charts
    assert (charts.enabled, charts.theme) == (True, "light")
    dark = {"slack": {"channel": "#alerts"}, "charts": {"enabled": False, "theme": "dark"}}
    assert settings_from_mapping(dark, slack_env).file.charts.theme == "dark"
    with pytest.raises(ConfigError) as raised:
        settings_from_mapping({"slack": {"channel": "#alerts"}, "charts": {"theme": "sepia"}}, slack_env)
    assert raised.value.problems[0].startswith("charts.theme:")


def test_a_calendar_file_is_read_from_the_config_files_folder_wherever_the_bot_starts(
    tmp_path: Path, slack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    example = load_settings(EXAMPLE, slack_env)
    (schedule,) = [s for s in example.file.schedules if s.ics is not None and s.ics.file is not None]
    assert schedule.ics is not None
    assert schedule.ics.file == str(ROOT / "examples" / "oncall.ics")

    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "primary.ics").write_text((ROOT / "examples" / "oncall.ics").read_text())
    calendar = '  - {name: primary, ics: {file: primary.ics, users: {"alice@example.com": U0ALICE}}}\n'
    config = folder / "boltwatch.yml"
    config.write_text(MINIMAL + "schedules:\n" + calendar)
    (loaded,) = load_settings(config, slack_env).file.schedules
    assert loaded.ics is not None and loaded.ics.file == str(folder / "primary.ics")

    (tmp_path / "primary.ics").write_text("")  # beside the working directory, not the config: not the one named
    (folder / "primary.ics").unlink()
    with pytest.raises(ConfigError) as caught:
        load_settings(config, slack_env)
    assert caught.value.problems == [
        "schedules[0].ics.file: 'primary.ics' is not a file that can be read (a relative path is from the config"
        " file's folder)"
    ]
