"""What went wrong talking to AWS, in the terms a user can act on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError


class AwsErrorKind(StrEnum):
    THROTTLED = "throttled"
    ACCESS_DENIED = "access_denied"
    INVALID_CREDENTIALS = "invalid_credentials"
    NOT_FOUND = "not_found"
    ENDPOINT_UNREACHABLE = "endpoint_unreachable"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class AwsProblem:
    kind: AwsErrorKind
    message: str
    """One short sentence for a person: what failed and, where we know it, what to do."""
    code: str | None = None
    operation: str | None = None
    iam_action: str | None = None
    """The IAM action AWS named in an access-denied message, such as ``logs:FilterLogEvents``."""


_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
_ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"}
)
_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "AuthFailure",
    }
)
_NOT_FOUND_CODES = frozenset(
    {"ResourceNotFoundException", "NoSuchEntity", "NoSuchKey", "NoSuchBucket", "QueueDoesNotExist"}
)
_IAM_ACTION = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)")


def classify(error: BaseException) -> AwsProblem:
    """Sort a boto3/botocore failure into one `AwsErrorKind` with a short human message."""
    if isinstance(error, ClientError):
        return _classify_client_error(error)
    if isinstance(error, BotocoreConnectionError | HTTPClientError):
        return AwsProblem(
            AwsErrorKind.ENDPOINT_UNREACHABLE,
            f"Could not reach AWS: {error}. Check the network, the region and the endpoint URL.",
        )
    if isinstance(error, NoCredentialsError | PartialCredentialsError | ProfileNotFound):
        return AwsProblem(
            AwsErrorKind.INVALID_CREDENTIALS,
            f"No usable AWS credentials: {error}. Configure a profile, a role or the AWS_* variables.",
        )
    return AwsProblem(AwsErrorKind.OTHER, f"AWS call failed: {type(error).__name__}: {error}")


def _classify_client_error(error: ClientError) -> AwsProblem:
    details = error.response.get("Error", {})
    code = str(details.get("Code") or "Unknown")
    text = str(details.get("Message") or "").strip()
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    operation = error.operation_name
    action_match = _IAM_ACTION.search(text)
    action = action_match.group(1) if action_match else None

    def problem(kind: AwsErrorKind, message: str) -> AwsProblem:
        return AwsProblem(kind, message, code=code, operation=operation, iam_action=action)

    if code in _THROTTLING_CODES or status == 429:
        return problem(
            AwsErrorKind.THROTTLED,
            f"AWS throttled {operation} ({code}) even after retrying with backoff; "
            "run the check less often or raise the quota.",
        )
    if code in _CREDENTIAL_CODES:
        return problem(
            AwsErrorKind.INVALID_CREDENTIALS,
            f"AWS rejected the credentials for {operation} ({code}): {text}",
        )
    if code in _ACCESS_DENIED_CODES or action or status == 403:
        needs = f"the IAM permission {action}" if action else f"permission to call {operation}"
        return problem(AwsErrorKind.ACCESS_DENIED, f"Access denied: the bot's AWS identity needs {needs}.")
    if _is_not_found(code) or status == 404:
        return problem(AwsErrorKind.NOT_FOUND, f"Not found: {text or code}")
    return problem(AwsErrorKind.OTHER, f"AWS error in {operation} ({code}): {text}")


def _is_not_found(code: str) -> bool:
    return code in _NOT_FOUND_CODES or code.endswith(("NotFound", "NotFoundException")) or "NonExistent" in code
