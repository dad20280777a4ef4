"""boto3 waiters, one poll at a time, so progress can be shown and a wait can survive a restart.

botocore's `Waiter.wait()` blocks until the end; we read the same waiter model (operation, delay, max attempts,
acceptors) and evaluate one attempt per call instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import boto3
import jmespath
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from botocore.waiter import WaiterModel

MIN_POLLS = 4
"""A timeout shorter than this many of the waiter's own delays polls faster, so it is not over after one poll."""
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.\[\]]+")
_GENERIC_FIELDS = {"Name", "Code", "Value"}


class WaiterInputError(ValueError):
    """The waiter named, or the ids given, do not fit the service's waiter model; the message says what is wrong."""

    def __init__(self, problem: str, *, waiter_names: tuple[str, ...] = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.waiter_names = waiter_names
        """For an unknown waiter: the service's waiter names, to suggest from."""


@dataclass(frozen=True)
class WaiterSpec:
    service: str
    waiter: str
    operation: str
    delay_seconds: int
    max_attempts: int
    params: dict[str, Any]


@dataclass(frozen=True)
class PollResult:
    state: str
    """`success`, `failure` or `retry`."""
    detail: str


def available_services() -> list[str]:
    return list(boto3.session.Session().get_available_services())


def waiter_spec(client: BaseClient, service: str, waiter: str, ids: tuple[str, ...]) -> WaiterSpec:
    """Check the waiter exists and map the given ids onto its operation's input; raise WaiterInputError otherwise."""
    names = tuple(client.waiter_names)
    if waiter not in names:
        raise WaiterInputError(f"`{service}` has no waiter `{waiter}`.", waiter_names=names)
    config = client.get_waiter(waiter).config
    operation = client.meta.service_model.operation_model(config.operation)
    return WaiterSpec(
        service=service,
        waiter=waiter,
        operation=config.operation,
        delay_seconds=int(config.delay),
        max_attempts=int(config.max_attempts),
        params=_params_for(operation.input_shape, ids, f"{service} {waiter}"),
    )


def paced(spec: WaiterSpec, timeout: timedelta) -> WaiterSpec:
    """The waiter at a pace that fits `timeout`: its own delay when that leaves MIN_POLLS polls, a shorter one (a
    second at least) otherwise; as many attempts as fit, the first at once and the last when the timeout is up."""
    seconds = max(1, int(timeout.total_seconds()))
    delay = max(1, min(spec.delay_seconds, seconds // (MIN_POLLS - 1)))
    return replace(spec, delay_seconds=delay, max_attempts=seconds // delay + 1)


def _params_for(shape: Any, ids: tuple[str, ...], what: str) -> dict[str, Any]:
    """Required members take the ids in order; with none required, the one `...Ids`/`...Names`/`...Name` member."""
    if shape is None:
        return {}
    members = shape.members
    required = [name for name in shape.required_members if name in members]
    if not required:
        plural = [n for n, m in members.items() if m.type_name == "list" and n.endswith(("Ids", "Names", "Arns"))]
        singular = [n for n, m in members.items() if m.type_name == "string" and n.endswith(("Id", "Name", "Arn"))]
        required = plural[:1] or singular[:1]
    if not required:
        return {}
    if len(required) == 1 and members[required[0]].type_name == "list":
        return {required[0]: list(ids)}
    if len(ids) != len(required):
        needed = " ".join(name.upper() for name in required)
        raise WaiterInputError(f"`{what}` needs {len(required)} value(s): {needed}.")
    return dict(zip(required, ids, strict=True))


def poll_once(client: BaseClient, waiter: str, params: dict[str, Any]) -> PollResult:
    """Call the waiter's operation once and apply its acceptors, as botocore's waiter loop would."""
    model: WaiterModel = client.get_waiter(waiter).config
    operation = client.meta.method_to_api_mapping
    method = next(name for name, api in operation.items() if api == model.operation)
    try:
        response: dict[str, Any] = getattr(client, method)(**params)
    except ClientError as exc:
        response = exc.response
    for acceptor in model.acceptors:
        if acceptor.matcher_func(response):
            return PollResult(acceptor.state, _describe(acceptor, response))
    if "Error" in response:
        error = response["Error"]
        return PollResult("failure", f"{error.get('Code')}: {error.get('Message', '')}".strip())
    return PollResult("retry", _observed(model, response))


def _describe(acceptor: Any, response: dict[str, Any]) -> str:
    """What was seen: the value the acceptor looked at (`running`, `[pending, running]`) or the error code."""
    if "Error" in response:
        return str(response["Error"].get("Code"))
    if acceptor.matcher in {"path", "pathAll", "pathAny"}:
        seen = jmespath.search(acceptor.argument, response)
        if isinstance(seen, list):
            seen = ", ".join(sorted({str(v) for v in seen})) or "nothing"
        if not _PLAIN_PATH.fullmatch(acceptor.argument):
            return f"{acceptor.argument} → {str(seen).lower()}"
        return f"{_field_words(acceptor.argument)}: {seen}"
    if acceptor.matcher == "status":
        return f"HTTP {response.get('ResponseMetadata', {}).get('HTTPStatusCode')}"
    return f"{acceptor.matcher} {acceptor.expected}"


def _field_words(path: str) -> str:
    """What a waiter's path reads, in words: `Reservations[].Instances[].State.Name` is the `state`,
    `Stacks[].StackStatus` the `stack status`, `InstanceStatus.Status` the `instance status`."""
    fields = [f for f in re.split(r"[.\[\]]+", path) if f]
    if len(fields) > 1 and (fields[-1] in _GENERIC_FIELDS or fields[-2].endswith(fields[-1])):
        fields.pop()
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", fields[-1]) if fields else []
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words) or path


def _observed(model: WaiterModel, response: dict[str, Any]) -> str:
    for acceptor in model.acceptors:
        if acceptor.matcher in {"path", "pathAll", "pathAny"} and "Error" not in response:
            return _describe(acceptor, response)
    return "not there yet"
