"""Many Lambda functions in moto (without Docker), a few of them failing, in one account or in several.

moto keeps resources per account, and maps an assumed role's access key to the role's account (moto's multi-account
support: "the account of the assumed role"), so `account_client` reaches a fake account as the bot does, by
assuming a role in it; the roles need not exist.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from sandbox.aws.server import sandbox_client

ROLE = "bench-api-calls"
"""The functions' execution role."""
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ClientFor = Callable[[str], BaseClient]


def function_name(index: int) -> str:
    return f"bench-fn-{index:04d}"


def read_role(account_id: str) -> str:
    """The role the bench's accounts give the bot (any ARN does: moto assumes roles that do not exist)."""
    return f"arn:aws:iam::{account_id}:role/boltwatch-read"


def account_client(endpoint: str, account_id: str, region: str = "us-east-1") -> ClientFor:
    """Clients in `account_id` of the moto at `endpoint`, through a role assumed there."""
    sts = sandbox_client(endpoint, "sts", region)
    credentials = sts.assume_role(RoleArn=read_role(account_id), RoleSessionName="bench-fleet")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
    config = Config(retries={"total_max_attempts": 1})
    return lambda service: session.client(service, endpoint_url=endpoint, config=config)


def create_functions(
    client: ClientFor, count: int, broken: int, threads: int, *, name: Callable[[int], str] = function_name
) -> None:
    """`count` functions (timeout 30 s) and, for the first `broken`, a minute of Invocations and Errors that fires
    `lambda_errors`. moto must already create functions without Docker (`use_lambda_without_docker`)."""
    role = client("iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lambda_client = client("lambda")
    package = _deployment_package()

    def create(index: int) -> None:
        lambda_client.create_function(
            FunctionName=name(index), Runtime="python3.12", Role=role, Handler="app.handler",
            Code={"ZipFile": package}, Timeout=30,
        )  # fmt: skip

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(create, range(count)))
    cloudwatch = client("cloudwatch")
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    for index in range(min(broken, count)):
        dimensions = [{"Name": "FunctionName", "Value": name(index)}]
        cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {"MetricName": "Invocations", "Dimensions": dimensions, "Timestamp": minute, "Value": 10.0},
                {"MetricName": "Errors", "Dimensions": dimensions, "Timestamp": minute, "Value": 4.0},
            ],
        )


def _deployment_package() -> bytes:
    """A zip moto accepts; the code never runs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("app.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()
