"""Typed settings from a YAML file plus the environment; every problem names its path."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.aws.custom_action_settings import CustomActionSettings
from bot.aws.settings import AwsSettings
from bot.aws.sns_hosts import HOST_PATTERN, SNS_CERT_HOSTS
from bot.charts.render import Theme
from bot.commands import checked_prefix
from bot.core.access import AccessRule
from bot.core.inhibition import InhibitRuleSettings
from bot.core.oncall_settings import CONFIG_DIR, ScheduleSettings, schedule_references, unique_schedule_names
from bot.core.routing import RouteSettings
from bot.durations import Duration
from bot.runtime import event_loop
from bot.runtime.event_loop import EventLoopChoice
from bot.validators import known_time_zone, regular_expressions
from bot.wallclock import instant_of

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
    command_prefix: str = Field(default="", description="Before /logs, /errors and /wait: `bw-` makes /bw-logs.")

    @field_validator("command_prefix")
    @classmethod
    def _slack_takes_the_prefix(cls, prefix: str) -> str:
        return checked_prefix(prefix)


class ServerSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)
    event_loop: EventLoopChoice = "auto"

    @field_validator("event_loop")
    @classmethod
    def _available(cls, choice: EventLoopChoice) -> EventLoopChoice:
        try:
            event_loop.resolve(choice)
        except event_loop.EventLoopUnavailable:
            raise ValueError("uvloop is not installed (pip install uvloop, or choose auto or asyncio)") from None
        return choice


class DatabaseSettings(_Strict):
    url: str | None = None


class SchedulerSettings(_Strict):
    """Who runs the checks. `apscheduler` (default): each `boltwatch run` process, in-process. `procrastinate`:
    `boltwatch worker` processes take one job per (check, account, region) from PostgreSQL, and `boltwatch run
    --role web` runs no checks."""

    engine: Literal["apscheduler", "procrastinate"] = "apscheduler"


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


WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY_ITEM = re.compile(r"^(\*|\w+)(?:-(\w+))?(?:/(\d+))?$")


def _weekday(text: str) -> int:
    value = int(text) if text.isdigit() else WEEKDAYS.index(text.lower()) if text.lower() in WEEKDAYS else -1
    if not 0 <= value <= 7:
        raise ValueError(f"{text} is not a day of the week (0-7 or sun-sat)")
    return value


def _weekday_names(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as names: APScheduler 3 counts 0 as Monday."""
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        match = _WEEKDAY_ITEM.match(item)
        if match is None:
            raise ValueError(f"{item!r} is not a day of the week, a range or a step")
        first, last, step = match.groups()
        start, end = (0, 6) if first == "*" else (_weekday(first), _weekday(last or first))
        if first != "*" and last is None and step is not None:
            end = 6
        days.update(d % 7 for d in range(start, end + 1, int(step or 1)))
    return ",".join(WEEKDAYS[d] for d in sorted(days))


def crontab_trigger(expression: str, timezone: str) -> CronTrigger:
    """A trigger for a standard five-field crontab line, weekdays counted as cron counts them."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"it has {len(fields)} fields, not 5")
    fields[4] = _weekday_names(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=ZoneInfo(timezone))


class DigestSettings(_Strict):
    """One scheduled digest: where it goes, when (crontab, in `timezone`), and optionally one project's resources."""

    channel: str = Field(min_length=1)
    cron: str = "0 9 * * 1-5"
    timezone: str = "UTC"
    project: str | None = Field(default=None, min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, timezone: str) -> str:
        return known_time_zone(timezone)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str) -> str:
        try:
            crontab_trigger(cron, "UTC")
        except ValueError as exc:
            raise ValueError(f'{cron!r} is not a crontab line like "0 9 * * 1-5": {exc}') from None
        return cron

    def trigger(self) -> CronTrigger:
        return crontab_trigger(self.cron, self.timezone)


class MaintenanceSettings(_Strict):
    """One `maintenance[]` window: alerts its matchers match are recorded and not notified while it lasts, and it
    announces itself in the channels it affects. Either `cron` (when each occurrence starts, in `timezone`) and
    `duration`, or a one-off `start` and `end` (in `timezone` unless they name an offset)."""

    matchers: dict[str, str] = Field(default_factory=dict)
    """Label equality, like `{team: payments}`; a value with `*`, `?` or `[` is a shell-style pattern."""
    matchers_re: dict[str, str] = Field(default_factory=dict)
    """Label → regular expression that must match the whole value."""
    cron: str | None = None
    duration: Duration | None = None
    start: datetime | None = None
    end: datetime | None = None
    timezone: str = "UTC"
    reason: str = Field(default="", max_length=500)
    channels: list[str] = Field(default_factory=list)
    """Where it announces itself; by default the channels of the routes its alerts go to."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, timezone: str) -> str:
        return DigestSettings._known_zone(timezone)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str | None) -> str | None:
        if cron is not None:
            try:
                crontab_trigger(cron, "UTC")
            except ValueError as exc:
                raise ValueError(f'{cron!r} is not a crontab line like "0 2 * * 0": {exc}') from None
        return cron

    @field_validator("matchers_re")
    @classmethod
    def _valid_patterns(cls, patterns: dict[str, str]) -> dict[str, str]:
        return regular_expressions(patterns)

    @model_validator(mode="after")
    def _one_schedule(self) -> MaintenanceSettings:
        if not self.matchers and not self.matchers_re:
            raise ValueError("a maintenance window needs `matchers` (or `matchers_re`): what it mutes")
        if self.cron is not None:
            if self.duration is None or self.start is not None or self.end is not None:
                raise ValueError("give `cron` with `duration` (and no `start`/`end`), or `start` and `end`")
        elif self.start is None or self.end is None or self.duration is not None:
            raise ValueError("give `cron` and `duration`, or a one-off `start` and `end`")
        elif self.starts_at() >= self.ends_at():
            raise ValueError("`end` must be after `start`")
        return self

    def _aware(self, moment: datetime) -> datetime:
        """In UTC; a time without an offset is `timezone`'s wall-clock time (one the spring change skips is the
        moment the clocks jump, one the autumn change repeats its first occurrence)."""
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)
        return instant_of(ZoneInfo(self.timezone), moment)

    def starts_at(self) -> datetime:
        assert self.start is not None
        return self._aware(self.start)

    def ends_at(self) -> datetime:
        assert self.end is not None
        return self._aware(self.end)

    def wall_clock_trigger(self) -> CronTrigger | None:
        """The crontab in UTC, to be read as `timezone`'s wall-clock times (`bot.core.maintenance.WindowPlan`)."""
        return crontab_trigger(self.cron, "UTC") if self.cron is not None else None

    def silence_matchers(self) -> list[dict[str, str]]:
        """As a silence holds them (`bot.core.silences.matches`)."""
        equal = [
            {"label": label, "glob" if _GLOB.search(value) else "value": value}
            for label, value in sorted(self.matchers.items())
        ]
        return equal + [{"label": label, "regex": value} for label, value in sorted(self.matchers_re.items())]


_GLOB = re.compile(r"[*?\[]")


class ErrorGroupSettings(_Strict):
    """How error groups (`/errors`, the `log_errors` check, the digest's new errors) are remembered."""

    regressed_after: Duration = timedelta(hours=24)
    """A group seen again after this long without an event is `regressed` (and alerts again), not `ongoing`."""


class RetentionSettings(_Strict):
    """How long finished records are kept; a periodic job deletes older ones in small batches."""

    sent_outbox: Duration = timedelta(days=1)
    """Slack items sent or given up (never one still to send, nor the first post of a subject still in use)."""
    resolved_incidents: Duration = timedelta(days=90)
    """Incidents resolved this long ago, with their timelines, alerts and Slack items."""
    resolved_alerts: Duration = timedelta(days=30)
    """Alerts resolved this long ago that belong to no incident."""
    finished_waits: Duration = timedelta(days=7)
    """`/wait` jobs that ended this long ago."""
    audit_events: Duration = timedelta(days=365)
    every: Duration = timedelta(minutes=10)
    batch: int = Field(default=1000, ge=10, le=10_000)
    """Rows one statement deletes at most (each in a short transaction of its own)."""


class ActionSettings(_Strict):
    """Runbook actions: none runs unless named here, and only for people an `access:` rule allows (`run:NAME`)."""

    enabled: list[str] = Field(default_factory=list)
    custom: list[CustomActionSettings] = Field(default_factory=list)
    """Actions written in the config: one AWS operation each, checked against botocore's model at load."""
    cooldown: Duration = timedelta(minutes=10)
    """How long after an action ran on a resource it may not run there again."""


SNS_TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$"


class SnsPushSettings(_Strict):
    """`POST /aws/sns`: which topics' deliveries are taken, and where their signing certificates may come from."""

    topics: list[str] = Field(default_factory=list)
    """Topic ARNs whose deliveries are taken; none configured, none is taken."""
    cert_hosts: list[str] = Field(default_factory=lambda: list(SNS_CERT_HOSTS))
    """Hosts the signing certificate (and a subscription's confirmation URL) may come from, over HTTPS."""
    ca_bundle: str | None = None
    """A PEM file of the CA certificates trusted for those HTTPS fetches instead of the system's (tests)."""

    @field_validator("topics")
    @classmethod
    def _topic_arns(cls, topics: list[str]) -> list[str]:
        for topic in topics:
            if not re.match(SNS_TOPIC_ARN, topic):
                raise ValueError(f"{topic!r} is not an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:alarms")
        return topics

    @field_validator("cert_hosts")
    @classmethod
    def _host_names(cls, hosts: list[str]) -> list[str]:
        for host in hosts:
            if not HOST_PATTERN.match(host.lower()):
                raise ValueError(
                    f"{host!r} is not a host name (`*` may stand for a region's name: sns.*.amazonaws.com)"
                )
        return hosts


class PushSettings(_Strict):
    """What AWS pushes to the bot (SNS notifications), and how often polling reconciles it."""

    sns: SnsPushSettings = Field(default_factory=SnsPushSettings)
    reconcile_every: Duration = timedelta(minutes=5)
    """The interval of a check that push covers (cloudwatch_alarms) when push is on and the check sets none."""
    public_url: str | None = None
    """The bot's URL as AWS reaches it (`https://boltwatch.example.com`): `boltwatch push setup` subscribes its
    `/aws/sns` to the topics."""

    @field_validator("public_url")
    @classmethod
    def _base_url(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", url):
            raise ValueError(f"{url!r} is not the bot's base URL, like https://boltwatch.example.com")
        return url

    @property
    def enabled(self) -> bool:
        return bool(self.sns.topics)


class ChartSettings(_Strict):
    """Metric charts in incident threads (at fire and at resolve)."""

    enabled: bool = True
    """Off: no chart is drawn or uploaded."""
    theme: Theme = Theme.LIGHT
    """`light` or `dark`: both stay legible in either Slack mode; pick the one most readers use."""


class LogsSettings(_Strict):
    """`/logs` answers."""

    file_output: bool = True
    """Beyond a screenful, the window's lines as a file in the answer's thread (`files:write`); off, the answer shows
    the newest lines that fit and says how many it left out."""


class FileSettings(_Strict):
    """What the YAML file may hold."""

    slack: SlackSettings
    aws: AwsSettings = Field(default_factory=AwsSettings)
    checks: list[CheckSettings] = Field(default_factory=list)
    routes: list[RouteSettings] = Field(default_factory=list)
    inhibit_rules: list[InhibitRuleSettings] = Field(default_factory=list)
    access: list[AccessRule] = Field(default_factory=list)
    server: ServerSettings = Field(default_factory=ServerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    digests: list[DigestSettings] = Field(default_factory=list)
    errors: ErrorGroupSettings = Field(default_factory=ErrorGroupSettings)
    actions: ActionSettings = Field(default_factory=ActionSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    charts: ChartSettings = Field(default_factory=ChartSettings)
    logs: LogsSettings = Field(default_factory=LogsSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    maintenance: list[MaintenanceSettings] = Field(default_factory=list)
    schedules: list[ScheduleSettings] = Field(default_factory=list)
    """On-call schedules (bot/core/oncall_settings.py); escalation levels page them as `schedule:NAME`."""

    @field_validator("schedules")
    @classmethod
    def _unique_schedules(cls, schedules: list[ScheduleSettings]) -> list[ScheduleSettings]:
        return unique_schedule_names(schedules)

    @model_validator(mode="after")
    def _escalation_schedules_exist(self) -> FileSettings:
        names = {s.name for s in self.schedules}
        for path, name in schedule_references(self.routes):
            if name not in names:
                known = ", ".join(sorted(names)) or "none is configured"
                raise ValueError(f"{path}: no schedule is named {name!r} (schedules: {known})")
        return self

    @field_validator("digests")
    @classmethod
    def _one_digest_per_channel_and_project(cls, digests: list[DigestSettings]) -> list[DigestSettings]:
        keys = [(d.channel, d.project) for d in digests]
        for channel, project in keys:
            if keys.count((channel, project)) > 1:
                about = f" for project {project!r}" if project else ""
                raise ValueError(f"two digests go to {channel}{about}; keep one")
        return digests

    @property
    def uploads_files(self) -> bool:
        """Whether the bot uploads files (`files:write`): charts, or `/logs` output as a file."""
        return self.charts.enabled or self.logs.file_output


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


CheckJudge = Callable[[CheckSettings], list[str]]
"""What is wrong with one check's type and params, one line each relative to the check (`type: unknown check
type …`). The check registry knows the types; it sits above this module and hands its judgement down."""


def load_settings(
    path: str | Path, env: Mapping[str, str] | None = None, *, judge_check: CheckJudge | None = None
) -> Settings:
    """Read the YAML file at `path` and the environment; raise ConfigError listing every problem."""
    raw, env = _read_yaml(path), os.environ if env is None else env
    return settings_from_mapping(raw, env, judge_check=judge_check, folder=Path(path).parent)


def load_file_settings(path: str | Path, *, judge_check: CheckJudge | None = None) -> FileSettings:
    """Only the file's settings, for commands that need no Slack credentials (iam-policy, check --once)."""
    raw = _read_yaml(path)
    file_settings, problems = _file_settings(raw, judge_check, folder=Path(path).parent)
    if problems or file_settings is None:
        raise ConfigError(problems)
    return file_settings


def settings_from_mapping(
    raw: object, env: Mapping[str, str], *, judge_check: CheckJudge | None = None, folder: Path | None = None
) -> Settings:
    """Settings from the parsed file and the environment; every problem of both in one ConfigError, so that one run
    shows them all. `folder`: the config file's, which relative file paths in it are read from (none: the working
    directory)."""
    file_settings, problems = _file_settings(raw, judge_check, folder=folder)
    secrets: SlackSecrets | None = None
    missing = [name for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET") if not env.get(name)]
    problems.extend(f"{name}: the environment variable is not set" for name in missing)
    if not missing:
        secrets = SlackSecrets(
            bot_token=SecretStr(env["SLACK_BOT_TOKEN"]),
            signing_secret=SecretStr(env["SLACK_SIGNING_SECRET"]),
            app_token=SecretStr(env["SLACK_APP_TOKEN"]) if env.get("SLACK_APP_TOKEN") else None,
            api_url=_with_trailing_slash(env.get("SLACK_API_URL") or SLACK_API_DEFAULT),
        )
    if problems or file_settings is None or secrets is None:
        raise ConfigError(problems)
    database_url = env.get("BOLTWATCH_DATABASE_URL") or file_settings.database.url or default_database_url()
    if file_settings.scheduler.engine == "procrastinate" and not database_url.startswith("postgresql"):
        raise ConfigError(
            [
                "scheduler.engine: procrastinate keeps its jobs in PostgreSQL: set database.url (or"
                " BOLTWATCH_DATABASE_URL) to a postgresql+psycopg:// URL, or use engine: apscheduler"
            ]
        )
    return Settings(file=file_settings, secrets=secrets, database_url=database_url)


def _read_yaml(path: str | Path) -> object:
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the file ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" line {where.line + 1}" if where else ""
        raise ConfigError([f"{path}:{line} is not valid YAML ({getattr(exc, 'problem', exc)})"]) from None


def _file_settings(
    raw: object, judge_check: CheckJudge | None, *, folder: Path | None = None
) -> tuple[FileSettings | None, list[str]]:
    """The file's settings and all its problems at once: the schema's, then the checks' names (pydantic skips a list
    validator while one entry is malformed) and each well-formed check's type and params (only the registry knows
    those), so that nine mistakes take one run, not four."""
    if not isinstance(raw, dict):
        return None, ["the config file must be a mapping with at least a `slack:` section"]
    problems: list[str] = []
    file_settings: FileSettings | None = None
    try:
        file_settings = FileSettings.model_validate(raw, context={CONFIG_DIR: folder} if folder is not None else None)
    except ValidationError as exc:
        problems.extend(describe_validation_error(exc))
    checks = _valid_check_entries(raw.get("checks"))
    names = [c.display_name for _, c in checks]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        problems.append(f"checks: two checks share the name {duplicated[0]!r}; give one a `name:`")
    if judge_check is not None:
        problems.extend(f"checks[{i}].{line}" for i, check in checks for line in judge_check(check))
    problems.extend(_custom_action_problems(raw.get("actions")))
    return (None if problems else file_settings), problems


def _valid_check_entries(entries: object) -> list[tuple[int, CheckSettings]]:
    """The check entries that are well-formed on their own, with their index (the others are already reported)."""
    valid = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        try:
            valid.append((i, CheckSettings.model_validate(entry)))
        except ValidationError:
            continue
    return valid


def _custom_action_problems(actions: object) -> list[str]:
    """What botocore's model says of each well-formed `actions.custom[]` entry (the schema reports the others)."""
    entries = actions.get("custom") if isinstance(actions, dict) else None
    if not isinstance(entries, list) or not entries:
        return []
    # Here rather than at the top: botocore takes longer to import than the rest of the config, and most configs
    # have no custom action.
    from bot.aws.custom_actions import custom_action_problems

    problems: list[str] = []
    for i, entry in enumerate(entries):
        try:
            custom = CustomActionSettings.model_validate(entry)
        except ValidationError:
            continue
        problems.extend(f"actions.custom[{i}].{line}" for line in custom_action_problems(custom))
    return problems


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
