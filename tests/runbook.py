"""What the runbook action tests share: a bot allowed to run actions through a responder role, and the function
`orders` in moto."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.client import BaseClient

from sandbox.aws.server import MotoHandle
from tests.harness import base_config

RESPONDER = "arn:aws:iam::123456789012:role/boltwatch-responder"


def responder_config(
    actions: dict[str, Any], *, allowed: Sequence[str] = ("run:*",), **settings: Any
) -> dict[str, Any]:
    """One account with a responder role, the `actions` settings, and U0ALICE allowed to run `allowed`."""
    return base_config(
        aws={"regions": ["us-east-1"], "max_attempts": 1,
             "accounts": [{"name": "default", "responder_role_arn": RESPONDER}]},
        actions=actions,
        access=[{"actions": list(allowed), "users": ["U0ALICE"]}],
        **settings,
    )  # fmt: skip


def lambda_client(moto: MotoHandle) -> BaseClient:
    return boto3.client("lambda", endpoint_url=moto.endpoint, region_name="us-east-1")


def orders_function(moto: MotoHandle) -> BaseClient:
    """The function `orders` in moto (Python, a handler that does nothing); a Lambda client to change it with."""
    role = boto3.client("iam", endpoint_url=moto.endpoint, region_name="us-east-1").create_role(
        RoleName="orders", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return None\n")
    client = lambda_client(moto)
    client.create_function(FunctionName="orders", Runtime="python3.12", Role=role, Handler="handler.handle",
                           Code={"ZipFile": code.getvalue()})  # fmt: skip
    return client
