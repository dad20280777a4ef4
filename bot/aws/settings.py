"""Typed settings of the AWS layer: which accounts and regions to watch, and how to talk to them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class AccountSettings(BaseModel):
    """One AWS account: the default credential chain, a named profile, or a role to assume."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    id: str | None = Field(default=None, pattern=r"^\d{12}$")
    profile: str | None = None
    role_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    external_id: str | None = None
    session_name: str = "boltwatch"
    responder_role_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    """The role runbook actions assume (write access); checks and commands never use it."""
    responder_external_id: str | None = None

    @model_validator(mode="after")
    def _external_id_needs_role(self) -> AccountSettings:
        if self.external_id and not self.role_arn:
            raise ValueError("external_id is only used together with role_arn")
        if self.responder_external_id and not self.responder_role_arn:
            raise ValueError("responder_external_id is only used together with responder_role_arn")
        return self


class AwsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regions: list[str] = Field(default_factory=lambda: ["us-east-1"], min_length=1)
    accounts: list[AccountSettings] = Field(default_factory=lambda: [AccountSettings(name="default")])
    max_workers: int = Field(default=16, ge=1, le=256)
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)

    @model_validator(mode="after")
    def _unique_account_names(self) -> AwsSettings:
        names = [a.name for a in self.accounts]
        if len(names) != len(set(names)):
            raise ValueError("account names must be unique")
        if not self.accounts:
            raise ValueError("at least one account is needed")
        return self
