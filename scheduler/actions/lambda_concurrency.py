"""Lambda runbook actions for `lambda_errors` findings (and `log_errors` ones that name a function): throttle a
function to zero reserved concurrency, remembering what it had, and put that back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.aws.runbook import Remember, VerifyWaiter
from scheduler.registry import action

FUNCTION = r"^[A-Za-z0-9_-]{1,64}$"


class FunctionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    function: str = Field(pattern=FUNCTION, description="the function's name (the alert's `function` label)")


class RestoreParams(FunctionParams):
    reserved: int | None = Field(
        default=None, ge=0, description="the reserved concurrency before lambda_throttle (None: it had none)"
    )


def _function(params: FunctionParams) -> str:
    return params.function


def _function_name(params: FunctionParams) -> dict[str, Any]:
    return {"FunctionName": params.function}


def _reserved(response: dict[str, Any]) -> dict[str, Any]:
    return {"reserved": response.get("ReservedConcurrentExecutions")}


@action(
    "lambda_throttle",
    title="Throttle function",
    applies_to=["lambda_errors", "log_errors"],
    service="lambda",
    operation="PutFunctionConcurrency",
    permissions=["lambda:PutFunctionConcurrency", "lambda:GetFunctionConcurrency"],
    params=FunctionParams,
    resource=_function,
    confirm="Throttle {resource}: its reserved concurrency becomes 0, so every invocation is throttled (queued "
    "asynchronous events are retried, synchronous callers get 429) until lambda_restore puts back what it had.",
    reversible="lambda_restore puts back the reserved concurrency it had (remembered now), or removes the reservation",
    verify=VerifyWaiter("function_active_v2", _function_name),
    remember=Remember("GetFunctionConcurrency", _function_name, _reserved),
)
def lambda_throttle(params: FunctionParams) -> dict[str, Any]:
    """Stop a failing function from running at all."""
    return {"FunctionName": params.function, "ReservedConcurrentExecutions": 0}


def _restore_operation(params: RestoreParams) -> str:
    return "DeleteFunctionConcurrency" if params.reserved is None else "PutFunctionConcurrency"


@action(
    "lambda_restore",
    title="Restore function",
    applies_to=["lambda_errors", "log_errors"],
    service="lambda",
    operation="PutFunctionConcurrency",
    permissions=["lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"],
    params=RestoreParams,
    resource=_function,
    confirm="Restore {resource}: its reserved concurrency goes back to what it was before lambda_throttle "
    "({reserved}; None: no reservation, the account's unreserved pool).",
    reversible="lambda_throttle again",
    verify=VerifyWaiter("function_active_v2", _function_name),
    restores="lambda_throttle",
    operation_for=_restore_operation,
)
def lambda_restore(params: RestoreParams) -> dict[str, Any]:
    """Let a throttled function run again as it did."""
    if params.reserved is None:
        return {"FunctionName": params.function}
    return {"FunctionName": params.function, "ReservedConcurrentExecutions": params.reserved}
