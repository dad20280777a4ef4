from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.parsers import create_parser

from bot.aws.errors import AwsErrorKind, classify
from bot.aws.sessions import AwsSessions
from bot.aws.settings import AccountSettings
from sandbox.aws import MotoHandle, sandbox_client
from sandbox.aws.server import post_moto_api
from tests.aws.settings_for_moto import fast_settings


def _raised(call: Any, **kwargs: Any) -> BaseException:
    with pytest.raises(Exception) as caught:  # any exception: sorting them is what classify() is for
        call(**kwargs)
    return caught.value


def _parsed_client_error(service: str, operation: str, status: int, body: dict[str, Any]) -> ClientError:
    """The exception botocore raises for this HTTP answer: its own parser and exception factory, no network."""
    client = boto3.Session(region_name="us-east-1").client(service)
    model = client.meta.service_model
    response = {
        "status_code": status,
        "headers": {"x-amzn-requestid": str(uuid.uuid4())},
        "body": json.dumps(body).encode(),
    }
    parsed = create_parser(model.protocol).parse(response, model.operation_model(operation).output_shape)
    return client.exceptions.from_code(parsed["Error"]["Code"])(parsed, operation)


@pytest.fixture
def sessions(moto_session: MotoHandle) -> AwsSessions:
    return AwsSessions(fast_settings(), endpoint_url=moto_session.endpoint)


@pytest.fixture
def iam_enforced(moto_session: MotoHandle) -> Iterator[dict[str, str]]:
    """Credentials of an IAM user allowed only sts:GetCallerIdentity, with moto checking IAM on every call."""
    iam = sandbox_client(moto_session.endpoint, "iam")
    user = f"reader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="identity-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    previous = json.loads(post_moto_api(moto_session.endpoint, "/moto-api/reset-auth", b"0"))
    try:
        yield {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    finally:
        post_moto_api(
            moto_session.endpoint, "/moto-api/reset-auth", previous["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"].encode()
        )


def _client_as(moto_session: MotoHandle, service: str, credentials: dict[str, str]) -> Any:
    session = boto3.Session(region_name="us-east-1", **credentials)
    return session.client(service, endpoint_url=moto_session.endpoint, config=Config(retries={"total_max_attempts": 1}))


def test_missing_log_group_is_not_found(sessions: AwsSessions) -> None:
    error = _raised(sessions.client("logs").filter_log_events, logGroupName="/aws/lambda/no-such-function")

    problem = classify(error)

    assert problem.kind is AwsErrorKind.NOT_FOUND
    assert problem.message == "Not found: The specified log group does not exist."
    assert (problem.code, problem.operation) == ("ResourceNotFoundException", "FilterLogEvents")


def test_missing_queue_is_not_found(sessions: AwsSessions) -> None:
    error = _raised(sessions.client("sqs").get_queue_url, QueueName="no-such-queue")

    assert classify(error).kind is AwsErrorKind.NOT_FOUND


def test_missing_instance_is_not_found(sessions: AwsSessions) -> None:
    error = _raised(sessions.client("ec2").describe_instances, InstanceIds=["i-0123456789abcdef0"])

    problem = classify(error)

    assert problem.kind is AwsErrorKind.NOT_FOUND
    assert problem.code == "InvalidInstanceID.NotFound"


def test_access_denied_from_aws_names_the_missing_iam_action(
    moto_session: MotoHandle, iam_enforced: dict[str, str]
) -> None:
    error = _raised(_client_as(moto_session, "ec2", iam_enforced).describe_instances)

    problem = classify(error)

    assert problem.kind is AwsErrorKind.ACCESS_DENIED
    assert problem.iam_action == "ec2:DescribeInstances"
    assert problem.message == "Access denied: the bot's AWS identity needs the IAM permission ec2:DescribeInstances."


def test_unknown_access_key_is_invalid_credentials(moto_session: MotoHandle, iam_enforced: dict[str, str]) -> None:
    stranger = {"aws_access_key_id": "AKIANOBODYKNOWSTHIS", "aws_secret_access_key": "x"}
    error = _raised(_client_as(moto_session, "sts", stranger).get_caller_identity)

    problem = classify(error)

    assert problem.kind is AwsErrorKind.INVALID_CREDENTIALS
    assert problem.code == "InvalidClientTokenId"


def test_access_denied_in_json_protocol_names_the_missing_iam_action() -> None:
    error = _parsed_client_error(
        "logs",
        "FilterLogEvents",
        400,
        {
            "__type": "AccessDeniedException",
            "message": "User: arn:aws:sts::123456789012:assumed-role/boltwatch-reader/boltwatch is not authorized "
            "to perform: logs:FilterLogEvents on resource: arn:aws:logs:us-east-1:123456789012:log-group:"
            "/aws/lambda/orders-api:log-stream: because no identity-based policy allows the "
            "logs:FilterLogEvents action",
        },
    )

    problem = classify(error)

    assert problem.kind is AwsErrorKind.ACCESS_DENIED
    assert problem.iam_action == "logs:FilterLogEvents"
    assert "logs:FilterLogEvents" in problem.message


def test_access_denied_without_an_action_names_the_operation() -> None:
    error = _parsed_client_error(
        "logs", "DescribeLogGroups", 400, {"__type": "AccessDeniedException", "message": "Access denied"}
    )

    problem = classify(error)

    assert problem.kind is AwsErrorKind.ACCESS_DENIED
    assert problem.iam_action is None
    assert problem.message == "Access denied: the bot's AWS identity needs permission to call DescribeLogGroups."


def test_throttling_is_throttled() -> None:
    error = _parsed_client_error(
        "logs", "FilterLogEvents", 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
    )

    problem = classify(error)

    assert problem.kind is AwsErrorKind.THROTTLED
    assert problem.message.startswith("AWS throttled FilterLogEvents (ThrottlingException)")


def test_too_many_requests_status_is_throttled() -> None:
    error = _parsed_client_error(
        "lambda",
        "ListFunctions",
        429,
        {"Reason": "CallerRateLimitExceeded", "Type": "User", "message": "Rate exceeded"},
    )

    assert classify(error).kind is AwsErrorKind.THROTTLED


def test_unreachable_endpoint_is_endpoint_unreachable() -> None:
    closed = "http://127.0.0.1:1"
    client = AwsSessions(fast_settings(), endpoint_url=closed).client("sts")
    error = _raised(client.get_caller_identity)

    problem = classify(error)

    assert problem.kind is AwsErrorKind.ENDPOINT_UNREACHABLE
    assert closed in problem.message


def test_missing_credentials_are_invalid_credentials() -> None:
    assert classify(NoCredentialsError()).kind is AwsErrorKind.INVALID_CREDENTIALS


def test_missing_profile_is_invalid_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    sessions = AwsSessions(fast_settings(AccountSettings(name="ro", profile="readonly")))
    error = _raised(sessions.client, service="sts")

    problem = classify(error)

    assert problem.kind is AwsErrorKind.INVALID_CREDENTIALS
    assert "readonly" in problem.message


def test_other_aws_errors_keep_the_code_and_aws_message(sessions: AwsSessions) -> None:
    error = _raised(sessions.client("sqs").create_queue, QueueName="no spaces allowed")

    problem = classify(error)

    assert problem.kind is AwsErrorKind.OTHER
    assert problem.code is not None
    assert problem.message.startswith(f"AWS error in CreateQueue ({problem.code}): ")


def test_non_aws_exceptions_are_other() -> None:
    problem = classify(RuntimeError("boom"))

    assert (problem.kind, problem.message) == (AwsErrorKind.OTHER, "AWS call failed: RuntimeError: boom")
