"""Runbook actions as data: what each one calls, with which parameters, to which findings it applies, and how its
outcome is verified. The registry (`scheduler.registry.action`) makes them; everything else reads them.

An action's parameters are a typed model whose defaults come from the finding's labels; its API call is one
operation of one service, shown in full before anyone confirms it, and made with the responder credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from pydantic import BaseModel, ValidationError


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

    def applies(self, check_type: str, labels: Mapping[str, str]) -> bool:
        """Whether it fixes this alert: its check type, the `when` labels, and a label for each required param
        (a `log_errors` alert that names no function gets no Lambda action)."""
        needed = (name for name, field_ in self.params.model_fields.items() if field_.is_required())
        return (
            check_type in self.applies_to
            and all(labels.get(k) == v for k, v in self.when.items())
            and all(name in labels for name in needed)
        )

    def operation_of(self, params: BaseModel) -> str:
        return self.operation_for(params) if self.operation_for is not None else self.operation

    def params_from(self, labels: Mapping[str, Any]) -> BaseModel:
        """The typed params, defaulted from the finding's labels; ValueError names what is missing."""
        try:
            return self.params.model_validate({k: v for k, v in labels.items() if k in self.params.model_fields})
        except ValidationError as exc:
            missing = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            raise ValueError(f"the alert's labels do not give {self.name} its {missing or 'parameters'}") from None

    def confirmation(self, params: BaseModel) -> str:
        values = params.model_dump()
        return self.confirm.format(resource=self.resource(params), **values)


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
