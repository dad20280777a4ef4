"""A CloudFormation template for one of the roles Boltwatch assumes in a watched account, around the policy
`boltwatch iam-policy` builds: the read-only role (checks and commands) or the responder role (runbook actions).

The role trusts one principal, the IAM role or user the bot runs as, and only with the external ID the bot's
config holds. The policy is inline, so it lives and dies with the role. deploy/*.yaml are this module's output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from bot.aws.credentials import ROLE_SESSION_SECONDS

EXTERNAL_ID_PATTERN = r"[\w+=,.@:/-]*"
"""What STS accepts as an external ID (AssumeRole's `ExternalId`, 2 to 1,224 characters)."""
PRINCIPAL_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/.+$"


@dataclass(frozen=True)
class RoleKind:
    """What tells the two roles apart in a template: their words and the config keys that name them."""

    title: str
    description: str
    source: str
    """What the role's policy is built from."""
    policy_name: str
    arn_key: str
    """Where the bot's config takes the role's ARN."""
    external_id_key: str


READ_ONLY = RoleKind(
    title="read-only role",
    description="Boltwatch's read-only role: what its checks and commands read, and nothing else",
    source="checks",
    policy_name="boltwatch-read-only",
    arn_key="aws.accounts[].role_arn",
    external_id_key="aws.accounts[].external_id",
)
RESPONDER = RoleKind(
    title="responder role",
    description="Boltwatch's responder role: what its runbook actions change, and the reads that verify them",
    source="runbook actions",
    policy_name="boltwatch-responder",
    arn_key="aws.accounts[].responder_role_arn",
    external_id_key="aws.accounts[].responder_external_id",
)


def role_template(kind: RoleKind, document: dict[str, Any], *, command: str) -> str:
    """The template as YAML, headed by the command that printed it; `document` is the role's whole policy (with a
    statement at least: IAM refuses a role policy without one)."""
    header = (
        f"# Boltwatch's {kind.title} for one AWS account, printed by\n"
        f"#   {command}\n"
        f"# Run that again (into this file) when the {kind.source} change, rather than edit it.\n"
    )
    body: str = yaml.safe_dump(_template(kind, document), sort_keys=False, width=120)
    return header + body


def _template(kind: RoleKind, document: dict[str, Any]) -> dict[str, Any]:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TheBoltwatchBotWithItsExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": {"Ref": "BotPrincipalArn"}},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
            }
        ],
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": kind.description,
        "Parameters": {
            "BotPrincipalArn": {
                "Type": "String",
                "Description": "The IAM role or user Boltwatch runs as, e.g. arn:aws:iam::111111111111:role/boltwatch",
                "AllowedPattern": PRINCIPAL_PATTERN,
                "ConstraintDescription": "an IAM role or user ARN (arn:aws:iam::ACCOUNT:role/NAME or :user/NAME)",
            },
            "ExternalId": {
                "Type": "String",
                "NoEcho": True,
                "Description": f"The external ID the bot presents: {kind.external_id_key} in its config",
                "MinLength": 2,
                "MaxLength": 1224,
                "AllowedPattern": EXTERNAL_ID_PATTERN,
                "ConstraintDescription": "2 to 1,224 letters, digits or any of _+=,.@:/-",
            },
            "RoleName": {
                "Type": "String",
                "Default": "",
                "Description": "The role's name; empty lets CloudFormation name it",
                "MaxLength": 64,
                "AllowedPattern": r"[\w+=,.@-]*",
            },
        },
        "Conditions": {"RoleNameGiven": {"Fn::Not": [{"Fn::Equals": [{"Ref": "RoleName"}, ""]}]}},
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Fn::If": ["RoleNameGiven", {"Ref": "RoleName"}, {"Ref": "AWS::NoValue"}]},
                    "Description": kind.description,
                    # The bot asks for sessions this long (and botocore renews them before they end).
                    "MaxSessionDuration": ROLE_SESSION_SECONDS,
                    "AssumeRolePolicyDocument": trust,
                    "Policies": [{"PolicyName": kind.policy_name, "PolicyDocument": document}],
                },
            }
        },
        "Outputs": {
            "RoleArn": {
                "Description": f"{kind.arn_key} in the bot's config (with the ExternalId as {kind.external_id_key})",
                "Value": {"Fn::GetAtt": ["Role", "Arn"]},
            }
        },
    }
