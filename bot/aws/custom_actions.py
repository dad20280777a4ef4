"""Runbook actions written in the config (`actions.custom[]`): one operation of one service with a request template,
checked against botocore's service model when the config loads, and run exactly as the built-in actions are.

What AWS's chat integration calls custom actions, typed: the operation must exist, every parameter must be a member
of its input shape (and every required one present), the verifying waiter must exist with parameters its operation
takes, and every placeholder must be one an alert can fill (`bot.aws.request_templates`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.model import ServiceModel, StructureShape
from botocore.waiter import WaiterModel, xform_name
from pydantic import BaseModel, ConfigDict

from bot.aws.custom_action_settings import PERMISSION, CustomActionSettings, CustomVerifySettings
from bot.aws.request_templates import fill, fill_text, labels_in, request_problems, text_problems
from bot.aws.runbook import RunbookAction, VerifyWaiter


class InvalidCustomAction(ValueError):
    """The entry does not fit botocore's model; `problems` holds one line each, relative to the entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@cache
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(service: str) -> ServiceModel:
    return _botocore().get_service_model(service)


@cache
def _waiter_model(service: str) -> WaiterModel | None:
    try:
        return _botocore().get_waiter_model(service)
    except (DataNotFoundError, UnknownServiceError):
        return None


def custom_action_problems(entry: CustomActionSettings) -> list[str]:
    """What is wrong with the entry against botocore's model, one line each relative to the entry."""
    try:
        _checked(entry)
    except InvalidCustomAction as exc:
        return exc.problems
    return []


@dataclass(frozen=True)
class _Checked:
    model: ServiceModel
    input_shape: StructureShape | None
    waiter: str | None
    waiter_shape: StructureShape | None


def _checked(entry: CustomActionSettings) -> _Checked:
    try:
        model = service_model(entry.service)
    except UnknownServiceError:
        known = _botocore().get_available_services()
        hint = difflib.get_close_matches(entry.service, known, n=1)
        maybe = f" (did you mean {hint[0]}?)" if hint else " (boto3 names, like ec2, lambda, ecs)"
        raise InvalidCustomAction([f"service: unknown AWS service {entry.service!r}{maybe}"]) from None
    owner = f"{entry.service} {entry.operation}"
    if entry.operation not in model.operation_names:
        raise InvalidCustomAction([f"operation: {_unknown_operation(entry, model)}"])
    input_shape = model.operation_model(entry.operation).input_shape
    problems = request_problems(entry.params, input_shape, path="params", owner=owner)
    problems += [f"confirm: {line}" for line in text_problems(entry.confirm)]
    problems += [
        f"permissions[{i}]: {p!r} is not an IAM action like lambda:PutFunctionConcurrency"
        for i, p in enumerate(entry.permissions or [])
        if not (isinstance(p, str) and re.fullmatch(PERMISSION, p))
    ]
    waiter, waiter_shape = None, None
    if entry.verify is not None:
        waiter, waiter_shape, lines = _checked_waiter(entry.service, model, entry.verify)
        problems += lines
    if problems:
        raise InvalidCustomAction(problems)
    return _Checked(model, input_shape, waiter, waiter_shape)


def _unknown_operation(entry: CustomActionSettings, model: ServiceModel) -> str:
    names = list(model.operation_names)
    by_method = {xform_name(name): name for name in names}
    if entry.operation in by_method:
        return f"write it as AWS names it: {by_method[entry.operation]}"
    hint = difflib.get_close_matches(entry.operation, names, n=1, cutoff=0.6)
    maybe = f" (did you mean {hint[0]}?)" if hint else ""
    return f"{entry.service} has no operation {entry.operation!r}{maybe}"


def _checked_waiter(
    service: str, model: ServiceModel, verify: CustomVerifySettings
) -> tuple[str | None, StructureShape | None, list[str]]:
    """The waiter's boto3 name and its operation's input shape, or the problems (relative to the entry)."""
    waiters = _waiter_model(service)
    if waiters is None:
        return None, None, [f"verify.waiter: {service} has no waiters; leave `verify` out"]
    by_name = {xform_name(name): name for name in waiters.waiter_names}
    name = verify.waiter if verify.waiter in by_name else xform_name(verify.waiter)
    if name not in by_name:
        hint = difflib.get_close_matches(verify.waiter, list(by_name), n=1, cutoff=0.6)
        maybe = f"did you mean {hint[0]}?" if hint else f"its waiters: {', '.join(sorted(by_name))}"
        return None, None, [f"verify.waiter: {service} has no waiter {verify.waiter!r} ({maybe})"]
    operation = waiters.get_waiter(by_name[name]).operation
    shape = model.operation_model(operation).input_shape
    owner = f"{name}'s call, {service} {operation}"
    return name, shape, request_problems(verify.params, shape, path="verify.params", owner=owner)


class LabelValues(BaseModel):
    """A custom action's params: the alert's labels its placeholders read, and its resource."""

    model_config = ConfigDict(frozen=True)

    labels: dict[str, str]


@dataclass(frozen=True)
class CustomRunbookAction(RunbookAction):
    """A runbook action from the config: its params are the labels its placeholders read."""

    needs: tuple[str, ...] = ()
    """The labels it reads, `resource` (what cooldowns and runs are kept by) first."""

    def applies(self, check_type: str, labels: Mapping[str, str]) -> bool:
        """Its check types, and every label its placeholders read (an alert without one is not offered it)."""
        return check_type in self.applies_to and all(labels.get(name) for name in self.needs)

    def params_from(self, labels: Mapping[str, Any], model: type[BaseModel] | None = None) -> BaseModel:
        missing = [name for name in self.needs if not labels.get(name)]
        if missing:
            raise ValueError(f"the alert has no {', '.join(missing)} label for {self.name}'s placeholders")
        values = LabelValues(labels={name: str(labels[name]) for name in self.needs})
        try:
            self.call(values)
            if self.verify is not None:
                self.verify.params(values)
        except ValueError as exc:
            raise ValueError(f"the alert's labels do not fit {self.name}: {exc}") from None
        return values

    def filled(self, template: str, params: BaseModel) -> str:
        """`template` with its `{resource}`, `{label.NAME}`… placeholders filled in (its confirmation)."""
        return fill_text(template, _labels(params))

    def reversal(self, params: BaseModel) -> str:
        return self.reversible  # as written: its placeholders are not checked at load


def _labels(params: BaseModel) -> dict[str, str]:
    assert isinstance(params, LabelValues)
    return params.labels


def custom_action(entry: CustomActionSettings) -> CustomRunbookAction:
    """The entry as a runbook action; InvalidCustomAction when it does not fit botocore's model."""
    checked = _checked(entry)
    template, shape = dict(entry.params), checked.input_shape
    verify = None
    if entry.verify is not None and checked.waiter is not None:
        waiter_template, waiter_shape = dict(entry.verify.params), checked.waiter_shape
        verify = VerifyWaiter(checked.waiter, lambda p: fill(waiter_template, waiter_shape, _labels(p)))
    needs = labels_in([template, entry.confirm, entry.verify.params if entry.verify else {}])
    # Not at the top: bot.aws.iam_policy brings boto3, which `boltwatch run` and `iam-policy` load only once the config
    # is known to be good.
    from bot.aws.iam_policy import iam_action

    permissions = entry.permissions or [iam_action(checked.model, entry.operation)]
    return CustomRunbookAction(
        name=entry.name, title=entry.title, applies_to=tuple(entry.applies_to), when={}, service=entry.service,
        operation=entry.operation, permissions=tuple(str(p) for p in permissions), params=LabelValues,
        call=lambda p: fill(template, shape, _labels(p)), confirm=entry.confirm, reversible=entry.reversible,
        resource=lambda p: _labels(p)["resource"], verify=verify, summary=entry.title,
        needs=tuple(dict.fromkeys(["resource", *needs])),
    )  # fmt: skip
