"""Runbook actions as data: what each one calls, with which parameters, to which findings it applies, and how its
outcome is verified. The registry (`scheduler.registry.action`) makes them; everything else reads them.

An action's parameters are a typed model whose defaults come from the finding's labels (and, for some, from a read
of AWS when the confirmation opens, or from the person confirming); its API call is one operation of one service,
shown in full before anyone confirms it, and made with the responder credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any, cast

from botocore.client import BaseClient
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.durations import format_duration


class NotApplicable(Exception):
    """What AWS says makes an action pointless or unsafe now (no alias, or none older than the one in use), in words
    for the person who asked."""


@dataclass(frozen=True)
class VerifyWaiter:
    """The boto3 waiter that proves an action worked, and its parameters from the action's."""

    waiter: str
    params: Callable[[Any], dict[str, Any]]
    max_attempts: int = 20
    delay_seconds: int = 15

    @property
    def name(self) -> str:
        """What the verification is called in the thread and the wait job: the waiter's name."""
        return self.waiter


@dataclass(frozen=True)
class Progress:
    """One look at an action's outcome: whether it is known yet, what was seen, and whether it went well."""

    done: bool
    text: str
    """`moved 3 of 10`; when done, the outcome in words: `moved 10, failed 0`."""
    ok: bool = False


@dataclass(frozen=True)
class VerifyPoll:
    """A read that proves an action worked where no boto3 waiter fits (a redrive's move task), made once a delay
    with the responder credentials, as a waiter would be: `poll(client, params)` says how far the outcome is."""

    name: str
    """What the thread and the wait job call it: the operation it polls (`ListMessageMoveTasks`)."""
    poll: Callable[[BaseClient, dict[str, Any]], Progress]
    params: Callable[[Any], dict[str, Any]]
    permissions: tuple[str, ...]
    """The IAM actions the poll needs (the responder role's policy grants them)."""
    max_attempts: int = 20
    delay_seconds: int = 15


@dataclass(frozen=True)
class Remember:
    """A read made just before the action's call, part of what the run records (`request["before"]`), so that the
    action that undoes it (`restores`) can put back what was there: its params take the kept fields."""

    operation: str
    request: Callable[[Any], dict[str, Any]]
    keep: Callable[[dict[str, Any]], dict[str, Any]]
    """The fields worth keeping from the read's response (JSON values)."""


@dataclass(frozen=True)
class Lookup:
    """A read made when the confirmation opens, and again when it is confirmed: params that come from AWS, not from
    the alert (the version an alias points at, the one before it). The alert's labels give `given`; `read` returns
    the rest of the params, or raises NotApplicable saying why the action cannot run. What it read is shown in the
    confirmation, and a confirmation whose reads changed meanwhile runs nothing."""

    given: type[BaseModel]
    read: Callable[[BaseClient, Any], dict[str, Any]]
    """(the responder's client, the `given` params) -> the other params (blocking: run it on the AWS executor)."""


@dataclass(frozen=True)
class UndoAfter:
    """The call Boltwatch makes by itself once the action's effect has lasted long enough (the end of a pause):
    kept in the database when the action starts, so it happens across restarts, on whichever replica is up."""

    after: Callable[[Any], timedelta]
    operation: str
    request: Callable[[Any], dict[str, Any]]
    done: str
    """What is true once it is made, for the incident's thread: `The actions of alarm {resource} are enabled again`."""
    started_by: str
    """Who the audit says it is for: `paused by` (… <@U1>)."""
    verify: VerifyPoll | None = None
    """Read once right after the call: what it saw is told in the thread."""


@dataclass(frozen=True)
class RunbookAction:
    name: str
    title: str
    """The button's words: `Reboot instance`."""
    applies_to: tuple[str, ...]
    """Check types whose findings it fixes."""
    when: Mapping[str, str]
    """Labels the finding must carry as well (`problem: stopped`)."""
    service: str
    operation: str
    """The API operation as AWS names it (`RebootInstances`)."""
    permissions: tuple[str, ...]
    params: type[BaseModel]
    call: Callable[[Any], dict[str, Any]]
    """The operation's request from the typed params."""
    confirm: str
    """What will change, in words; `{resource}` and the params' fields fill in."""
    reversible: str
    resource: Callable[[Any], str]
    verify: VerifyWaiter | VerifyPoll | None = None
    summary: str = field(default="")
    remember: Remember | None = None
    restores: str | None = None
    """The action whose remembered state this one puts back; it runs only after that one did, on the same resource."""
    operation_for: Callable[[Any], str] | None = None
    """When the operation depends on the params (Put what was there, or Delete when nothing was)."""
    lookup: Lookup | None = None
    editable: tuple[str, ...] = ()
    """Params the confirmation lets the person change (how long a pause lasts)."""
    undo_after: UndoAfter | None = None
    change: str = ""
    """The change in a few words for the audit and the thread (`alias live: 7 → 6`); fills in like `confirm`."""

    def applies(self, check_type: str, labels: Mapping[str, str]) -> bool:
        """Whether it fixes this alert: its check type, the `when` labels, and a label for each required param
        that does not come from a lookup (a `log_errors` alert that names no function gets no Lambda action)."""
        model = self.lookup.given if self.lookup is not None else self.params
        needed = (name for name, field_ in model.model_fields.items() if field_.is_required())
        return (
            check_type in self.applies_to
            and all(labels.get(k) == v for k, v in self.when.items())
            and all(name in labels for name in needed)
        )

    def operation_of(self, params: BaseModel) -> str:
        return self.operation_for(params) if self.operation_for is not None else self.operation

    def params_from(self, labels: Mapping[str, Any], model: type[BaseModel] | None = None) -> BaseModel:
        """The typed params (or the lookup's `given` ones), defaulted from the finding's labels; ValueError names
        what is missing."""
        model = model or self.params
        try:
            return model.model_validate({k: v for k, v in labels.items() if k in model.model_fields})
        except ValidationError as exc:
            missing = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            raise ValueError(f"the alert's labels do not give {self.name} its {missing or 'parameters'}") from None

    def label_params(self, labels: Mapping[str, Any]) -> BaseModel:
        """The params the alert's labels give: all of them, or those the lookup is given (it reads the rest)."""
        return self.params_from(labels, self.lookup.given if self.lookup is not None else None)

    def edit_problems(self, edits: Mapping[str, str]) -> dict[str, str]:
        """What is wrong with each param the person changed, by name; empty when nothing is."""
        problems: dict[str, str] = {}
        for name, text in edits.items():
            field_ = self.params.model_fields[name]
            try:
                TypeAdapter(cast(Any, Annotated[field_.annotation, field_])).validate_python(text)
            except ValidationError as exc:
                problems[name] = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        return problems

    def confirmation(self, params: BaseModel) -> str:
        return self.filled(self.confirm, params)

    def reversal(self, params: BaseModel) -> str:
        return self.filled(self.reversible, params)

    def filled(self, template: str, params: BaseModel) -> str:
        """`template` with `{resource}` and the params' fields filled in."""
        return template.format(resource=self.resource(params), **shown_values(params))


def shown_values(params: BaseModel) -> dict[str, Any]:
    """The params as words fill them in: durations as people write them (`1h`), the rest as they are."""
    return {k: format_duration(v) if isinstance(v, timedelta) else v for k, v in params.model_dump().items()}


@dataclass(frozen=True)
class ActionCall:
    """One API call exactly as it will be made."""

    service: str
    operation: str
    request: dict[str, Any]

    def shown(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.request.items())
        return f"{self.service}.{self.operation}({args})"


def planned_call(action: RunbookAction, params: BaseModel) -> ActionCall:
    return ActionCall(action.service, action.operation_of(params), action.call(params))


def planned_undo(action: RunbookAction, params: BaseModel) -> ActionCall | None:
    """The call Boltwatch makes by itself later to end the action's effect, if it makes one."""
    undo = action.undo_after
    return None if undo is None else ActionCall(action.service, undo.operation, undo.request(params))


def remembered(client: BaseClient, action: RunbookAction, params: BaseModel) -> dict[str, Any] | None:
    """What the action keeps from before its call (blocking); None when it keeps nothing."""
    if action.remember is None:
        return None
    read = ActionCall(action.service, action.remember.operation, action.remember.request(params))
    return action.remember.keep(make_call(client, read))


def make_call(client: BaseClient, call: ActionCall) -> dict[str, Any]:
    """Make the call (blocking: run it on the AWS executor). Raises what botocore raises."""
    method = next(name for name, api in client.meta.method_to_api_mapping.items() if api == call.operation)
    response: dict[str, Any] = getattr(client, method)(**call.request)
    response.pop("ResponseMetadata", None)
    return response
