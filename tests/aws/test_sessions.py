from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.client import BaseClient

from bot.aws.credentials import assumed_role_credentials
from bot.aws.sessions import AwsSessions, AwsTarget, UnknownAccount
from bot.aws.settings import AccountSettings
from sandbox.aws import MotoHandle, sandbox_client
from tests.aws.settings_for_moto import fast_settings

SECOND_ACCOUNT = "111111111111"
READER_ROLE = f"arn:aws:iam::{SECOND_ACCOUNT}:role/boltwatch-reader"


def _access_key_used(client: Any, call: str) -> str:
    """Make `call` and return the access key id it was signed with (read off the Authorization header)."""
    seen: list[str] = []

    def capture(request: AWSPreparedRequest, **_: Any) -> None:
        seen.append(request.headers["Authorization"].decode().split("Credential=")[1].split("/")[0])

    client.meta.events.register("before-send", capture)
    getattr(client, call)()
    client.meta.events.unregister("before-send", capture)
    return seen[0]


def _count_calls(client: Any, event: str) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    client.meta.events.register(event, lambda params, **_: calls.append(params))
    return calls


def test_clients_are_cached_per_account_region_and_service(moto_session: MotoHandle) -> None:
    sessions = AwsSessions(
        fast_settings(
            AccountSettings(name="main"),
            AccountSettings(name="prod", role_arn=READER_ROLE),
            regions=["us-east-1", "eu-west-1"],
        ),
        endpoint_url=moto_session.endpoint,
    )

    logs = sessions.client("logs")

    assert sessions.client("logs", account="main", region="us-east-1") is logs
    assert sessions.client("logs", region="eu-west-1") is not logs
    assert sessions.client("logs", account="prod") is not logs
    assert sessions.client("sqs") is not logs
    assert sessions.client("logs", region="eu-west-1").meta.region_name == "eu-west-1"


def test_concurrent_first_requests_share_one_client(moto_session: MotoHandle) -> None:
    sessions = AwsSessions(fast_settings(), endpoint_url=moto_session.endpoint)
    start = threading.Barrier(8)
    made: list[Any] = []

    def ask() -> None:
        start.wait()
        made.append(sessions.client("cloudwatch"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(client) for client in made}) == 1


def test_clients_use_adaptive_retries_timeouts_and_our_user_agent(moto_session: MotoHandle) -> None:
    settings = fast_settings().model_copy(update={"max_attempts": 4, "connect_timeout": 3, "read_timeout": 20})
    config = AwsSessions(settings, endpoint_url=moto_session.endpoint).client("sts").meta.config

    assert config.retries == {"mode": "adaptive", "total_max_attempts": 4}
    assert (config.connect_timeout, config.read_timeout) == (3, 20)
    assert "boltwatch/" in config.user_agent_extra


def test_every_client_made_is_handed_once_to_on_new_client(moto_session: MotoHandle) -> None:
    handed: list[str] = []
    calls: list[str] = []

    def on_new_client(client: BaseClient) -> None:
        handed.append(client.meta.service_model.service_name)
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))

    sessions = AwsSessions(
        fast_settings(AccountSettings(name="prod", role_arn=READER_ROLE)),
        endpoint_url=moto_session.endpoint,
        on_new_client=on_new_client,
    )
    sqs = sessions.client("sqs")
    assert sessions.client("sqs") is sqs
    sqs.list_queues()

    assert handed == ["sts", "sqs"]  # the client that assumes the role too
    assert sorted(calls) == ["AssumeRole", "ListQueues"]  # so its handlers see every call the account makes


def test_explicit_endpoint_url_sends_calls_to_it(moto_session: MotoHandle) -> None:
    client = AwsSessions(fast_settings(), endpoint_url=moto_session.endpoint).client("sts")

    assert client.meta.endpoint_url == moto_session.endpoint
    assert client.get_caller_identity()["Account"] == "123456789012"


def test_aws_endpoint_url_from_the_environment_is_honoured(
    moto_session: MotoHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_session.endpoint)
    sessions = AwsSessions(fast_settings(AccountSettings(name="prod", role_arn=READER_ROLE)))

    client = sessions.client("sts")

    assert client.meta.endpoint_url == moto_session.endpoint
    # The assume-role call went to moto too, or this account id could not be the role's.
    assert client.get_caller_identity()["Account"] == SECOND_ACCOUNT


def test_local_endpoint_turns_off_host_prefixes(moto_session: MotoHandle) -> None:
    local = AwsSessions(fast_settings(), endpoint_url=moto_session.endpoint).client("logs")
    real = AwsSessions(fast_settings()).client("logs")

    assert local.meta.config.inject_host_prefix is False
    assert real.meta.config.inject_host_prefix is True


def test_assumed_role_account_sees_only_its_own_resources(moto_session: MotoHandle) -> None:
    sessions = AwsSessions(
        fast_settings(
            AccountSettings(name="main"),
            AccountSettings(name="prod", role_arn=READER_ROLE, external_id="boltwatch-ext-1"),
        ),
        endpoint_url=moto_session.endpoint,
    )
    queue = f"only-in-prod-{uuid.uuid4().hex[:8]}"

    sessions.client("sqs", account="prod").create_queue(QueueName=queue)

    prod_queues = sessions.client("sqs", account="prod").list_queues(QueueNamePrefix=queue).get("QueueUrls", [])
    main_queues = sessions.client("sqs", account="main").list_queues(QueueNamePrefix=queue).get("QueueUrls", [])
    assert [url.rsplit("/", 2)[-2:] for url in prod_queues] == [[SECOND_ACCOUNT, queue]]
    assert main_queues == []


def test_assume_role_sends_role_session_name_and_external_id(moto_session: MotoHandle) -> None:
    sts = sandbox_client(moto_session.endpoint, "sts")
    calls = _count_calls(sts, "before-call.sts.AssumeRole")
    credentials = assumed_role_credentials(
        sts, role_arn=READER_ROLE, session_name="boltwatch-test", external_id="boltwatch-ext-1"
    )

    credentials.get_frozen_credentials()

    assert calls[0]["body"]["RoleArn"] == READER_ROLE
    assert calls[0]["body"]["RoleSessionName"] == "boltwatch-test"
    assert calls[0]["body"]["ExternalId"] == "boltwatch-ext-1"


def test_assumed_role_credentials_are_fetched_on_first_use_and_refreshed_before_expiry(
    moto_session: MotoHandle,
) -> None:
    sts = sandbox_client(moto_session.endpoint, "sts")
    calls = _count_calls(sts, "before-call.sts.AssumeRole")
    # 15-minute credentials are inside botocore's 15-minute advisory window, so every use refreshes them.
    credentials = assumed_role_credentials(sts, role_arn=READER_ROLE, session_name="boltwatch", duration_seconds=900)
    assert calls == []

    first = credentials.get_frozen_credentials()
    second = credentials.get_frozen_credentials()

    assert len(calls) == 2
    assert first.access_key != second.access_key
    assert first.token and second.token


def test_long_lived_assumed_role_credentials_are_reused(moto_session: MotoHandle) -> None:
    sts = sandbox_client(moto_session.endpoint, "sts")
    calls = _count_calls(sts, "before-call.sts.AssumeRole")
    credentials = assumed_role_credentials(sts, role_arn=READER_ROLE, session_name="boltwatch")

    first = credentials.get_frozen_credentials()
    second = credentials.get_frozen_credentials()

    assert len(calls) == 1
    assert first == second


def test_named_profile_account_signs_with_the_profile_credentials(
    moto_session: MotoHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials_file = tmp_path / "credentials"
    credentials_file.write_text("[readonly]\naws_access_key_id = AKIAPROFILEREADONLY\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    sessions = AwsSessions(
        fast_settings(AccountSettings(name="main"), AccountSettings(name="ro", profile="readonly")),
        endpoint_url=moto_session.endpoint,
    )

    assert _access_key_used(sessions.client("sts", account="ro"), "get_caller_identity") == "AKIAPROFILEREADONLY"
    assert _access_key_used(sessions.client("sts", account="main"), "get_caller_identity") == "testing"


def test_account_id_comes_from_configuration_without_a_call() -> None:
    sessions = AwsSessions(
        fast_settings(AccountSettings(name="main", id="222222222222")), endpoint_url="http://127.0.0.1:9"
    )

    assert sessions.account_id() == "222222222222"


def test_account_id_is_asked_of_sts_once_per_account(moto_session: MotoHandle) -> None:
    sessions = AwsSessions(
        fast_settings(AccountSettings(name="main"), AccountSettings(name="prod", role_arn=READER_ROLE)),
        endpoint_url=moto_session.endpoint,
    )
    calls = _count_calls(sessions.client("sts"), "before-call.sts.GetCallerIdentity")

    assert sessions.account_id() == "123456789012"
    assert sessions.account_id("main") == "123456789012"
    assert sessions.account_id("prod") == SECOND_ACCOUNT
    assert len(calls) == 1


def test_targets_are_every_account_in_every_region() -> None:
    sessions = AwsSessions(
        fast_settings(AccountSettings(name="main"), AccountSettings(name="prod"), regions=["us-east-1", "eu-west-1"])
    )

    assert sessions.targets() == [
        AwsTarget("main", "us-east-1"),
        AwsTarget("main", "eu-west-1"),
        AwsTarget("prod", "us-east-1"),
        AwsTarget("prod", "eu-west-1"),
    ]


def test_unknown_account_name_is_refused_with_the_configured_names() -> None:
    sessions = AwsSessions(fast_settings(AccountSettings(name="main"), AccountSettings(name="prod")))

    with pytest.raises(UnknownAccount, match="'staging'; configured: main, prod"):
        sessions.client("sts", account="staging")
