"""Lambda runbook action for `lambda_errors` findings (and `log_errors` ones that name a function): point an alias
back at the version before the one it serves.

Lambda keeps no history of an alias, so "the version before" is read from AWS when the confirmation opens: the
highest published version lower than the alias's own. An alias in the middle of a weighted shift (a canary: version 6
with 10% on 7) goes back to its primary version alone. The alias is the one the alert's `alias` label names (a tag
`alias` on the function gives it), else `live`."""

from __future__ import annotations

from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, computed_field

from bot.aws.runbook import Lookup, NotApplicable, Remember, VerifyWaiter
from scheduler.actions.lambda_concurrency import FUNCTION
from scheduler.registry import action

DEFAULT_ALIAS = "live"
ALIAS = r"^[A-Za-z0-9_-]*[A-Za-z_-][A-Za-z0-9_-]*$"
"""Lambda's alias names: letters, digits, `-` and `_`, not digits alone (those name versions)."""
VERSION = r"^[0-9]{1,10}$"


class AliasParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    function: str = Field(pattern=FUNCTION, description="the function's name (the alert's `function` label)")
    alias: str = Field(
        default=DEFAULT_ALIAS,
        pattern=ALIAS,
        max_length=128,
        description="the alias: the alert's `alias` label, else `live`",
    )


class RollbackParams(AliasParams):
    from_version: str = Field(pattern=VERSION, description="the version the alias points at now")
    to_version: str = Field(pattern=VERSION, description="the version it goes back to")
    canary: dict[str, float] = Field(
        default_factory=dict, description="the alias's weighted routing now (version: weight), which goes"
    )
    revision: str = Field(min_length=1, max_length=64, description="the alias's RevisionId when it was read")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def was(self) -> str:
        """`7`, or `6 + 7 at 10%` during a weighted shift."""
        shifted = "".join(f" + {version} at {weight:.0%}" for version, weight in sorted(self.canary.items()))
        return f"{self.from_version}{shifted}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def undo_command(self) -> str:
        command = f"aws lambda update-alias --function-name {self.function} --name {self.alias} " \
                  f"--function-version {self.from_version}"  # fmt: skip
        if self.canary:
            weights = ",".join(f"{version}={weight}" for version, weight in sorted(self.canary.items()))
            command += f" --routing-config AdditionalVersionWeights={{{weights}}}"
        return command


def _qualified(params: AliasParams) -> str:
    return f"{params.function}:{params.alias}"


def _alias(params: AliasParams) -> dict[str, Any]:
    return {"FunctionName": params.function, "Name": params.alias}


def _the_alias_version(params: AliasParams) -> dict[str, Any]:
    return {"FunctionName": params.function, "Qualifier": params.alias}


def _pointed_at(response: dict[str, Any]) -> dict[str, Any]:
    routing = (response.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return {"version": response.get("FunctionVersion"), "canary": dict(routing)}


def previous_version(client: BaseClient, given: AliasParams) -> dict[str, Any]:
    """The alias as it is and the version it goes back to; NotApplicable when there is none (blocking)."""
    where = f"The alias {given.alias} of {given.function}"
    try:
        alias = client.get_alias(**_alias(given))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise NotApplicable(
                f"{given.function} has no alias {given.alias}: nothing to roll back. (An alert's label alias, "
                f"from a tag alias on the function, names another.)"
            ) from None
        raise
    current = str(alias["FunctionVersion"])
    read = {"from_version": current, "canary": _pointed_at(alias)["canary"], "revision": alias["RevisionId"]}
    if read["canary"]:
        return read | {"to_version": current}
    if not current.isdigit():
        raise NotApplicable(f"{where} points at {current}, which has no version before it: nothing to roll back to.")
    pages = client.get_paginator("list_versions_by_function").paginate(FunctionName=given.function)
    published = (str(v["Version"]) for page in pages for v in page.get("Versions", []))
    older = [int(v) for v in published if v.isdigit() and int(v) < int(current)]
    if not older:
        raise NotApplicable(f"{where} points at version {current}, and no published version is older.")
    return read | {"to_version": str(max(older))}


@action(
    "lambda_rollback_alias",
    title="Roll back alias",
    applies_to=["lambda_errors", "log_errors"],
    service="lambda",
    operation="UpdateAlias",
    permissions=["lambda:UpdateAlias", "lambda:GetAlias", "lambda:ListVersionsByFunction"],
    params=RollbackParams,
    resource=_qualified,
    confirm="Roll back the alias {alias} of {function}: {was} → {to_version}. Whatever invokes the function "
    "through the alias (its ARN, event source mappings, API routes) runs version {to_version} from the next "
    "invocation on; no version is deleted, and $LATEST stays as it is.",
    reversible="point the alias back at what it served: {undo_command}",
    change="alias {alias}: {was} → {to_version}",
    lookup=Lookup(AliasParams, previous_version),
    remember=Remember("GetAlias", _alias, _pointed_at),
    verify=VerifyWaiter("function_updated", _the_alias_version, max_attempts=24, delay_seconds=5),
)
def lambda_rollback_alias(params: RollbackParams) -> dict[str, Any]:
    """Serve the previous version of a function that fails since its alias moved."""
    request = _alias(params) | {"FunctionVersion": params.to_version, "RevisionId": params.revision}
    if params.canary:
        request["RoutingConfig"] = {"AdditionalVersionWeights": {}}
    return request
