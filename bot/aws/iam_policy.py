"""The least-privilege IAM policy for what this configuration asks of AWS, built from the checks' declarations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import boto3

# What the slash commands call, and the tag scan behind routing by tags, whatever the checks.
COMMAND_ACTIONS = ("logs:DescribeLogGroups", "logs:FilterLogEvents", "tag:GetResources")
# IAM service prefixes that differ from botocore's signing names.
IAM_PREFIX = {"monitoring": "cloudwatch"}


def waiter_actions(services: Iterable[str]) -> list[str]:
    """The read actions behind every boto3 waiter of each service (what `/wait` on them will call)."""
    session = boto3.session.Session(region_name="us-east-1")
    actions = set()
    for service in services:
        client = session.client(service, aws_access_key_id="x", aws_secret_access_key="x")
        prefix = IAM_PREFIX.get(client.meta.service_model.signing_name, client.meta.service_model.signing_name)
        for name in client.waiter_names:
            actions.add(f"{prefix}:{client.get_waiter(name).config.operation}")
    return sorted(actions)


def policy(
    *, check_permissions: Iterable[str], role_arns: Iterable[str] = (), wait_services: Iterable[str] = ()
) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "BoltwatchChecksAndCommands",
            "Effect": "Allow",
            "Action": sorted(set(check_permissions) | set(COMMAND_ACTIONS)),
            "Resource": "*",
        }
    ]
    waits = waiter_actions(wait_services)
    if waits:
        statements.append({"Sid": "BoltwatchWait", "Effect": "Allow", "Action": waits, "Resource": "*"})
    roles = sorted(set(role_arns))
    if roles:
        statements.append(
            {"Sid": "BoltwatchAssumeRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles}
        )
    return {"Version": "2012-10-17", "Statement": statements}
