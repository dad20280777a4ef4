"""The check and action registries: each check type declares its AWS service, IAM actions, interval and params as
data; each runbook action its call, permissions, params, confirmation and verification."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.client import BaseClient
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.aws.custom_actions import InvalidCustomAction, custom_action
from bot.aws.runbook import Lookup, Remember, RunbookAction, UndoAfter, VerifyPoll, VerifyWaiter
from bot.config import ActionSettings, CheckSettings, ConfigError, describe_validation_error
from bot.core.findings import CheckResult, LogCursorState
from bot.durations import parse_duration


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class CheckContext:
    """What a check run sees: one account in one region, clients for it, and the time of the run."""

    account: str
    account_id: str
    region: str
    now: datetime
    client_for: Callable[[str], BaseClient]
    cursors: Mapping[str, LogCursorState] = field(default_factory=dict)
    """Log cursors of this account and region, by log group (for checks that read logs)."""
    regressed_after: timedelta = timedelta(hours=24)
    """When an error group seen again counts as regressed (`errors: regressed_after` in the config)."""
    live_groups: frozenset[str] = frozenset()
    """Log groups a Live Tail session streams right now (`log_errors` in `mode: live` does not read them)."""

    def client(self, service: str) -> BaseClient:
        return self.client_for(service)


CheckFunction = Callable[[CheckContext, Any], CheckResult]


@dataclass(frozen=True)
class CheckType:
    name: str
    service: str
    permissions: tuple[str, ...]
    every: timedelta
    params: type[BaseModel]
    run: CheckFunction
    summary: str
    pushed: bool = False
    """AWS pushes what this check finds (POST /aws/sns): with push on, it polls every `push.reconcile_every` by
    default, to reconcile what push missed."""


@dataclass(frozen=True)
class ConfiguredCheck:
    """A check from config, validated: its type, its name, its interval and its typed params."""

    name: str
    type: CheckType
    every: timedelta
    params: Any


REGISTRY: dict[str, CheckType] = {}


def check(
    name: str,
    *,
    service: str,
    permissions: list[str],
    every: str,
    params: type[BaseModel] = NoParams,
    pushed: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    def register(run: CheckFunction) -> CheckFunction:
        if name in REGISTRY:
            raise ValueError(f"check type {name!r} registered twice")
        summary = (run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else name
        REGISTRY[name] = CheckType(
            name, service, tuple(permissions), parse_duration(every), params, run, summary, pushed=pushed
        )
        return run

    return register


def load_check_types() -> dict[str, CheckType]:
    """Import every module under scheduler/checks so that each registers itself."""
    import scheduler.checks as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return REGISTRY


def check_problems(settings: CheckSettings) -> list[str]:
    """What is wrong with one configured check's type and params, one line each, relative to the check."""
    try:
        _typed(settings)
    except ConfigError as exc:
        return exc.problems
    return []


def configure_checks(checks: list[CheckSettings], *, reconcile_every: timedelta | None = None) -> list[ConfiguredCheck]:
    """Validate each configured check against its type; every problem names its path. `reconcile_every` (push
    on): the default interval of the types AWS pushes for."""
    problems: list[str] = []
    configured: list[ConfiguredCheck] = []
    for i, settings in enumerate(checks):
        try:
            check_type, params = _typed(settings)
        except ConfigError as exc:
            problems.extend(f"checks[{i}].{line}" for line in exc.problems)
            continue
        if settings.enabled:
            default = reconcile_every if reconcile_every is not None and check_type.pushed else check_type.every
            every = settings.every or default
            configured.append(ConfiguredCheck(settings.display_name, check_type, every, params))
    if problems:
        raise ConfigError(problems)
    return configured


def _typed(settings: CheckSettings) -> tuple[CheckType, Any]:
    """The check's type and its validated params; ConfigError with lines relative to the check otherwise."""
    types = load_check_types()
    check_type = types.get(settings.type)
    if check_type is None:
        raise ConfigError([f"type: unknown check type {settings.type!r} (known: {', '.join(sorted(types))})"])
    try:
        return check_type, check_type.params.model_validate(settings.params)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


ACTIONS: dict[str, RunbookAction] = {}


def action(
    name: str,
    *,
    title: str,
    applies_to: list[str],
    service: str,
    operation: str,
    permissions: list[str],
    params: type[BaseModel],
    resource: Callable[[Any], str],
    confirm: str,
    reversible: str,
    when: dict[str, str] | None = None,
    verify: VerifyWaiter | VerifyPoll | None = None,
    remember: Remember | None = None,
    restores: str | None = None,
    operation_for: Callable[[Any], str] | None = None,
    lookup: Lookup | None = None,
    editable: list[str] | None = None,
    undo_after: UndoAfter | None = None,
    change: str = "",
) -> Callable[[Callable[[Any], dict[str, Any]]], Callable[[Any], dict[str, Any]]]:
    """Register a runbook action; the decorated function turns its typed params into the operation's request."""

    def register(call: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
        if name in ACTIONS:
            raise ValueError(f"action {name!r} registered twice")
        if unknown := set(editable or ()) - set(params.model_fields):
            raise ValueError(f"action {name!r}: editable params {sorted(unknown)} are not among its params")
        summary = (call.__doc__ or name).strip().splitlines()[0]
        ACTIONS[name] = RunbookAction(
            name=name, title=title, applies_to=tuple(applies_to), when=dict(when or {}), service=service,
            operation=operation, permissions=tuple(permissions), params=params, call=call, confirm=confirm,
            reversible=reversible, resource=resource, verify=verify, summary=summary, remember=remember,
            restores=restores, operation_for=operation_for, lookup=lookup, editable=tuple(editable or ()),
            undo_after=undo_after, change=change,
        )  # fmt: skip
        return call

    return register


def load_action_types() -> dict[str, RunbookAction]:
    """Import every module under scheduler/actions so that each registers itself."""
    import scheduler.actions as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return ACTIONS


def verify_polls() -> dict[tuple[str, str], VerifyPoll]:
    """The polls that verify actions, by (service, name): what a wait job of that service and waiter name runs
    instead of a boto3 waiter, and what a scheduled undo reads back (every action's, enabled or not: a job or an
    undo outlives a change of config)."""
    polls: dict[tuple[str, str], VerifyPoll] = {}
    for action in load_action_types().values():
        undo_verify = action.undo_after.verify if action.undo_after is not None else None
        for verify in (action.verify, undo_verify):
            if isinstance(verify, VerifyPoll):
                polls[(action.service, verify.name)] = verify
    return polls


def configure_actions(settings: ActionSettings) -> dict[str, RunbookAction]:
    """The enabled actions by name: the built-ins `actions.enabled` names, then the config's own (`actions.custom`);
    unknown names, a custom action named like a built-in or another one, and check types that do not exist are
    config errors."""
    known = load_action_types()
    custom, problems = _custom_actions(settings, known)
    problems += [
        f"actions.enabled[{i}]: unknown action {name!r} (known: {', '.join(sorted(known))})"
        for i, name in enumerate(settings.enabled)
        if name not in known and name not in custom
    ]
    if problems:
        raise ConfigError(problems)
    return {name: known[name] for name in settings.enabled if name in known} | custom


def _custom_actions(
    settings: ActionSettings, known: Mapping[str, RunbookAction]
) -> tuple[dict[str, RunbookAction], list[str]]:
    check_types = load_check_types()
    custom: dict[str, RunbookAction] = {}
    problems: list[str] = []
    for i, entry in enumerate(settings.custom):
        where = f"actions.custom[{i}]"
        if entry.name in known:
            problems.append(f"{where}.name: {entry.name!r} is a built-in action's name; choose another")
        elif entry.name in custom:
            problems.append(f"{where}.name: another custom action is named {entry.name!r}")
        problems += [
            f"{where}.applies_to[{j}]: unknown check type {check!r}{_closest(check, list(check_types))}"
            for j, check in enumerate(entry.applies_to)
            if check not in check_types
        ]
        try:
            action = custom_action(entry)
        except InvalidCustomAction as exc:
            problems += [f"{where}.{line}" for line in exc.problems]
            continue
        custom.setdefault(entry.name, action)
    return custom, problems


def _closest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(sorted(choices))})"
