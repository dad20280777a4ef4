"""`boltwatch push setup`: the printed plan (topic ARNs in their region's partition), and `--apply` against moto
creating the topic, its policy, the subscription and the EventBridge rules with their targets, once: a second run
creates nothing new; a call AWS denies is one line naming the IAM action."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from bot.aws.push_setup import refusal
from bot.cli import main
from sandbox.aws.server import MotoHandle, post_moto_api

ACCOUNT = "123456789012"
RULES = {
    "boltwatch-cloudwatch-alarm-state-change": ("aws.cloudwatch", "CloudWatch Alarm State Change"),
    "boltwatch-ec2-instance-state-change-notification": ("aws.ec2", "EC2 Instance State-change Notification"),
    "boltwatch-ecs-task-state-change": ("aws.ecs", "ECS Task State Change"),
    "boltwatch-ecs-service-action": ("aws.ecs", "ECS Service Action"),
    "boltwatch-aws-health-event": ("aws.health", "AWS Health Event"),
    "boltwatch-aws-health-abuse-event": ("aws.health", "AWS Health Abuse Event"),
}


def write_config(tmp_path: Path, **push: Any) -> Path:
    config = {
        "slack": {"channel": "#alerts"},
        "aws": {"regions": ["us-east-1", "eu-west-1"], "accounts": [{"name": "prod", "id": ACCOUNT}]},
        "push": {"sns": {"topics": [f"arn:aws:sns:us-east-1:{ACCOUNT}:ops-alarms"]}} | push,
    }
    path = tmp_path / "boltwatch.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def aws(moto: MotoHandle, monkeypatch: pytest.MonkeyPatch) -> MotoHandle:
    for name, value in moto.environment().items():
        monkeypatch.setenv(name, value)
    return moto


def estate(endpoint: str, region: str) -> dict[str, Any]:
    """Topics (with policy statement ids and subscription endpoints) and rules (pattern, targets) in `region`."""
    sns = boto3.client("sns", endpoint_url=endpoint, region_name=region)
    events = boto3.client("events", endpoint_url=endpoint, region_name=region)
    topics = {}
    for topic in sns.list_topics()["Topics"]:
        arn = topic["TopicArn"]
        policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
        publishers = sorted(
            s["Principal"]["Service"] for s in policy["Statement"] if s.get("Sid", "").startswith("Boltwatch")
        )
        endpoints = [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]]
        topics[arn] = (publishers, endpoints)
    rules = {}
    for rule in events.list_rules(NamePrefix="boltwatch-")["Rules"]:
        pattern = json.loads(rule["EventPattern"])
        targets = [t["Arn"] for t in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]]
        rules[rule["Name"]] = ((pattern["source"][0], pattern["detail-type"][0]), rule["State"], targets)
    return {"topics": topics, "rules": rules}


def test_the_plan_names_every_piece_per_region_and_changes_nothing(
    aws: MotoHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, public_url="https://boltwatch.example.com")

    assert main(["push", "setup", "--config", str(config)]) == 0

    out = capsys.readouterr().out
    assert f"SNS topic arn:aws:sns:us-east-1:{ACCOUNT}:ops-alarms" in out
    assert f"SNS topic arn:aws:sns:eu-west-1:{ACCOUNT}:boltwatch-push" in out
    assert out.count("subscription: https://boltwatch.example.com/aws/sns (https)") == 2
    assert out.count("events.amazonaws.com, cloudwatch.amazonaws.com may sns:Publish") == 2
    for name, (source, detail_type) in RULES.items():
        assert out.count(f"EventBridge rule {name}: ") == 2
        assert f'"detail-type":["{detail_type}"]' in out and f'"source":["{source}"]' in out
    assert f"accepts their deliveries:\n  - arn:aws:sns:eu-west-1:{ACCOUNT}:boltwatch-push\n" in out
    assert "Nothing was changed" in out
    assert estate(aws.endpoint, "us-east-1") == {"topics": {}, "rules": {}}


def test_apply_creates_the_topic_subscription_rules_and_targets(aws: MotoHandle, tmp_path: Path) -> None:
    config = write_config(tmp_path)

    assert main(["push", "setup", "--config", str(config), "--url", "https://bot.example.com/", "--apply"]) == 0

    for region, topic_name in (("us-east-1", "ops-alarms"), ("eu-west-1", "boltwatch-push")):
        topic = f"arn:aws:sns:{region}:{ACCOUNT}:{topic_name}"
        assert estate(aws.endpoint, region) == {
            "topics": {
                topic: (["cloudwatch.amazonaws.com", "events.amazonaws.com"], ["https://bot.example.com/aws/sns"])
            },
            "rules": {name: (event, "ENABLED", [topic]) for name, event in RULES.items()},
        }


def test_a_second_apply_creates_nothing_new(
    aws: MotoHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, public_url="https://bot.example.com")
    assert main(["push", "setup", "--config", str(config), "--apply"]) == 0
    first = capsys.readouterr().out
    before = {region: estate(aws.endpoint, region) for region in ("us-east-1", "eu-west-1")}

    assert main(["push", "setup", "--config", str(config), "--apply"]) == 0

    second = capsys.readouterr().out
    assert "created" in first and "topic policy: set" in first
    assert "created" not in second and "topic policy: set" not in second and "target added" not in second
    assert second.count(": in place") == 2 * (3 + len(RULES))  # topic, policy, subscription, rules; per region
    assert {region: estate(aws.endpoint, region) for region in before} == before


def test_apply_keeps_statements_of_a_policy_it_did_not_write(aws: MotoHandle, tmp_path: Path) -> None:
    sns = boto3.client("sns", endpoint_url=aws.endpoint, region_name="us-east-1")
    topic = sns.create_topic(Name="ops-alarms")["TopicArn"]
    theirs = {"Sid": "S3Publish", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
              "Action": "sns:Publish", "Resource": topic}  # fmt: skip
    policy = {"Version": "2012-10-17", "Statement": [theirs]}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))

    config = write_config(tmp_path)
    assert main(["push", "setup", "--config", str(config), "--url", "https://b.example", "--apply"]) == 0

    statements = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["S3Publish", "BoltwatchEventBridgePublish", "BoltwatchCloudWatchPublish"]


def test_without_a_url_it_says_where_to_give_one_and_calls_nothing(
    aws: MotoHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["push", "setup", "--config", str(write_config(tmp_path)), "--apply"]) == 2

    assert "set push.public_url in the config or pass --url" in capsys.readouterr().err
    assert estate(aws.endpoint, "us-east-1") == {"topics": {}, "rules": {}}


def test_a_public_url_that_is_not_a_base_url_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, public_url="boltwatch.example.com/aws/sns")

    assert main(["push", "setup", "--config", str(config)]) != 0

    assert "push.public_url" in capsys.readouterr().err


def test_topic_arns_carry_the_partition_of_their_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, public_url="https://boltwatch.example.com")
    settings = yaml.safe_load(config.read_text())
    settings["aws"]["regions"] = ["cn-north-1", "us-gov-west-1", "us-east-1"]
    config.write_text(yaml.safe_dump(settings))

    assert main(["push", "setup", "--config", str(config)]) == 0

    out = capsys.readouterr().out
    assert f"SNS topic arn:aws-cn:sns:cn-north-1:{ACCOUNT}:boltwatch-push" in out
    assert f"SNS topic arn:aws-us-gov:sns:us-gov-west-1:{ACCOUNT}:boltwatch-push" in out
    assert f"SNS topic arn:aws:sns:us-east-1:{ACCOUNT}:ops-alarms" in out
    assert f"  - arn:aws-cn:sns:cn-north-1:{ACCOUNT}:boltwatch-push\n" in out


@pytest.fixture
def events_only_credentials(aws: MotoHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto checking every call against IAM, made as a user allowed EventBridge only (its keys in the environment);
    moto trusts every call again afterwards."""
    iam = boto3.client("iam", endpoint_url=aws.endpoint, region_name="us-east-1")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "events:*", "Resource": "*"}]}
    post_moto_api(aws.endpoint, "/moto-api/reset-auth", b"3")  # these 3 calls, then IAM decides
    try:
        iam.create_user(UserName="setup")
        iam.put_user_policy(UserName="setup", PolicyName="events-only", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="setup")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        yield
    finally:
        post_moto_api(aws.endpoint, "/moto-api/reset-auth", b"inf")


@pytest.mark.usefixtures("events_only_credentials")
def test_an_action_aws_denies_is_named_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, public_url="https://boltwatch.example.com")

    assert main(["push", "setup", "--config", str(config), "--apply"]) == 1

    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("push setup: account prod, region us-east-1: AWS denied sns:CreateTopic (")
    assert "created" not in captured.out


@pytest.mark.parametrize(
    ("code", "message", "operation", "said"),
    [
        (
            "AuthorizationError",
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: SNS:Subscribe on resource: "
            "arn:aws:sns:us-east-1:123456789012:boltwatch-push because no identity-based policy allows it",
            "Subscribe",
            "AWS denied sns:Subscribe (AuthorizationError): ",
        ),
        ("AccessDeniedException", "", "PutTargets", "AWS denied events:PutTargets (AccessDeniedException): "),
        ("InvalidParameter", "Invalid parameter: Endpoint\nmore", "Subscribe", "AWS refused sns:Subscribe: "
         "InvalidParameter: Invalid parameter: Endpoint"),
    ],
)  # fmt: skip
def test_an_aws_error_becomes_one_line_naming_the_action(code: str, message: str, operation: str, said: str) -> None:
    error = ClientError({"Error": {"Code": code, "Message": message}}, operation)
    line = refusal(error)
    assert line.startswith(said)
    assert "\n" not in line
