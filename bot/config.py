"""Typed settings from a YAML file plus the environment; every problem names its path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from bot.access import AccessRule
from bot.aws.settings import AwsSettings
from bot.durations import Duration
from bot.routing import RouteSettings

SLACK_API_DEFAULT = "https://slack.com/api/"


class ConfigError(Exception):
    """The configuration cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlackSettings(_Strict):
    channel: str = Field(min_length=1, description="Default channel for alerts, `#name` or an id.")


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)


class DatabaseSettings(_Strict):
    url: str | None = None


class CheckSettings(BaseModel):
    """One scheduled check; keys beyond these are the check type's own params."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str | None = None
    every: Duration | None = None
    enabled: bool = True

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def display_name(self) -> str:
        return self.name or self.type


class FileSettings(_Strict):
    """What the YAML file may hold."""

    slack: SlackSettings
    aws: AwsSettings = Field(default_factory=AwsSettings)
    checks: list[CheckSettings] = Field(default_factory=list)
    routes: list[RouteSettings] = Field(default_factory=list)
    access: list[AccessRule] = Field(default_factory=list)
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)

    @field_validator("checks")
    @classmethod
    def _unique_check_names(cls, checks: list[CheckSettings]) -> list[CheckSettings]:
        names = [c.display_name for c in checks]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"two checks share the name {duplicated[0]!r}; give one a `name:`")
        return checks


class SlackSecrets(BaseModel):
    """Tokens and endpoints that come only from the environment."""

    bot_token: SecretStr
    signing_secret: SecretStr
    app_token: SecretStr | None = None
    api_url: str = SLACK_API_DEFAULT

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


class Settings(BaseModel):
    file: FileSettings
    secrets: SlackSecrets
    database_url: str

    @property
    def slack(self) -> SlackSettings:
        return self.file.slack

    @property
    def aws(self) -> AwsSettings:
        return self.file.aws

    @property
    def checks(self) -> list[CheckSettings]:
        return self.file.checks

    @property
    def server(self) -> ServerSettings:
        return self.file.server


def load_settings(path: str | Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read the YAML file at `path` and the environment; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the file ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where else ""
        raise ConfigError([f"{path}:{line} is not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    return settings_from_mapping(raw, env)


def load_file_settings(path: str | Path) -> FileSettings:
    """Only the file's settings, for commands that need no Slack credentials (iam-policy, check --once)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the file ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: is not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    try:
        return FileSettings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def settings_from_mapping(raw: object, env: Mapping[str, str]) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(["the config file must be a mapping with at least a `slack:` section"])
    problems: list[str] = []
    file_settings: FileSettings | None = None
    try:
        file_settings = FileSettings.model_validate(raw)
    except ValidationError as exc:
        problems.extend(describe_validation_error(exc))
    secrets: SlackSecrets | None = None
    missing = [name for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET") if not env.get(name)]
    problems.extend(f"{name}: the environment variable is not set" for name in missing)
    if not missing:
        secrets = SlackSecrets(
            bot_token=env["SLACK_BOT_TOKEN"],
            signing_secret=env["SLACK_SIGNING_SECRET"],
            app_token=env.get("SLACK_APP_TOKEN") or None,
            api_url=_with_trailing_slash(env.get("SLACK_API_URL") or SLACK_API_DEFAULT),
        )
    if problems or file_settings is None or secrets is None:
        raise ConfigError(problems)
    database_url = env.get("BOLTWATCH_DATABASE_URL") or file_settings.database.url or default_database_url()
    return Settings(file=file_settings, secrets=secrets, database_url=database_url)


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'boltwatch.db'}"


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One line per problem: `checks[1].every: "5 minutes" is not a duration like 30s, 5m, 1h`."""
    lines = []
    for error in exc.errors():
        path = format_path(error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(f"{path}: unknown key")
        elif error["type"] == "missing":
            lines.append(f"{path}: is required")
        else:
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] in {"string_type", "int_parsing", "int_type", "list_type", "bool_parsing"}:
                message = f"{error['input']!r}: {message[0].lower()}{message[1:]}"
            lines.append(f"{path}: {message}" if path else message)
    return lines


def format_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _with_trailing_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
