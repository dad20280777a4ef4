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
    verify: VerifyWaiter | None = None
    summary: str = field(default="")

    def applies(self, check_type: str, labels: Mapping[str, str]) -> bool:
        return check_type in self.applies_to and all(labels.get(k) == v for k, v in self.when.items())

    def params_from(self, labels: Mapping[str, str]) -> BaseModel:
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
    return ActionCall(action.service, action.operation, action.call(params))


def make_call(client: BaseClient, call: ActionCall) -> dict[str, Any]:
    """Make the call (blocking: run it on the AWS executor). Raises what botocore raises."""
    method = next(name for name, api in client.meta.method_to_api_mapping.items() if api == call.operation)
    response: dict[str, Any] = getattr(client, method)(**call.request)
    response.pop("ResponseMetadata", None)
    return response
