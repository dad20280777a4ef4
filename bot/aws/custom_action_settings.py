"""What an `actions.custom[]` entry may hold, as the config's schema checks it; `bot.aws.custom_actions` checks it
against botocore's service model (kept apart so that reading the config loads no botocore unless it has some)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

NAME = r"^[a-z][a-z0-9_]{0,59}$"
"""What a runbook action's button payload carries (`bot.ids.RunButton`)."""
PERMISSION = r"^[a-z0-9-]+:[A-Za-z0-9*]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomVerifySettings(_Strict):
    waiter: str = Field(min_length=1, description="a boto3 waiter of the action's service, e.g. services_stable")
    params: dict[str, Any] = Field(default_factory=dict)


class CustomActionSettings(_Strict):
    """One `actions.custom[]` entry."""

    name: str = Field(pattern=NAME)
    title: str = Field(min_length=1, max_length=74)
    applies_to: list[str] = Field(min_length=1)
    service: str = Field(min_length=1)
    operation: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    confirm: str = Field(min_length=1)
    verify: CustomVerifySettings | None = None
    permissions: list[Any] | None = None
    reversible: str = "not said (a custom action from the config)"
