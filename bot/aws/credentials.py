"""Credentials for one configured account: the default chain, a named profile, or an assumed role."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.session
from botocore.client import BaseClient
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    Credentials,
    DeferredRefreshableCredentials,
)

ROLE_SESSION_SECONDS = 3600


def assumed_role_credentials(
    sts: BaseClient,
    *,
    role_arn: str,
    session_name: str,
    external_id: str | None = None,
    duration_seconds: int = ROLE_SESSION_SECONDS,
) -> DeferredRefreshableCredentials:
    """Credentials for `role_arn`, fetched on first use and fetched again by botocore before they expire."""

    def fetch() -> dict[str, Any]:
        request: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": session_name,
            "DurationSeconds": duration_seconds,
        }
        if external_id:
            request["ExternalId"] = external_id
        issued = sts.assume_role(**request)["Credentials"]
        return {
            "access_key": issued["AccessKeyId"],
            "secret_key": issued["SecretAccessKey"],
            "token": issued["SessionToken"],
            "expiry_time": issued["Expiration"].isoformat(),
        }

    return DeferredRefreshableCredentials(refresh_using=fetch, method="assume-role")


def session_with_credentials(credentials: Credentials) -> boto3.Session:
    """A boto3 session that signs with `credentials` only, never falling back to the environment's chain."""
    core = botocore.session.Session()
    core.register_component("credential_provider", CredentialResolver([_Given(credentials)]))
    return boto3.Session(botocore_session=core)


class _Given(CredentialProvider):
    METHOD = "assume-role"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials
