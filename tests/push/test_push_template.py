"""deploy/push.yaml, `boltwatch push template`'s output: up to date, clean under cfn-lint, and deployed in moto it
makes the rules `push setup --apply` makes (moto's CloudFormation has no AWS::SNS::TopicPolicy or Subscription: those
two are checked by cfn-lint and by comparing their statements with what `--apply` writes)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from bot.aws.push_setup import PUBLISHERS
from bot.cli import main
from sandbox.aws.server import MotoHandle
from tests.aws.test_role_template import ROOT, cfn_lint
from tests.push.test_push_setup import RULES, estate, write_config

COMMITTED = ROOT / "deploy" / "push.yaml"


def printed() -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["push", "template"]) == 0
    return out.getvalue()


def test_the_committed_template_is_what_the_command_prints_now() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == printed(), "deploy/push.yaml is stale: run `make deploy-roles`"
    assert "\t$(BIN)/boltwatch push template > deploy/push.yaml\n" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_cfn_lint_finds_nothing_in_it(tmp_path: Path) -> None:
    assert cfn_lint({"push.yaml": COMMITTED.read_text(encoding="utf-8")}, tmp_path) == {"push.yaml": []}


def test_its_topic_policy_lets_the_same_services_publish_as_apply_does() -> None:
    template: dict[str, Any] = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    statements = template["Resources"]["TopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {s["Sid"]: s["Principal"]["Service"] for s in statements} == PUBLISHERS
    assert all(s["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}} for s in statements)
    subscription = template["Resources"]["Subscription"]["Properties"]
    assert subscription["Endpoint"] == {"Fn::Sub": "${BotUrl}/aws/sns"}


@pytest.fixture
def aws(moto: MotoHandle, monkeypatch: pytest.MonkeyPatch) -> MotoHandle:
    for name, value in moto.environment().items():
        monkeypatch.setenv(name, value)
    return moto


def test_deployed_in_moto_it_makes_the_rules_and_targets_apply_makes(aws: MotoHandle, tmp_path: Path) -> None:
    cloudformation = boto3.client("cloudformation", endpoint_url=aws.endpoint, region_name="eu-west-1")
    cloudformation.create_stack(
        StackName="boltwatch-push", TemplateBody=COMMITTED.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": "BotUrl", "ParameterValue": "https://bot.example.com"}],
    )  # fmt: skip
    [stack] = cloudformation.describe_stacks(StackName="boltwatch-push")["Stacks"]
    topic = "arn:aws:sns:eu-west-1:123456789012:boltwatch-push"
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert [(o["OutputKey"], o["OutputValue"]) for o in stack["Outputs"]] == [("TopicArn", topic)]
    deployed = estate(aws.endpoint, "eu-west-1")["rules"]
    assert deployed == {name: (event, "ENABLED", [topic]) for name, event in RULES.items()}

    config = write_config(tmp_path)
    assert main(["push", "setup", "--config", str(config), "--url", "https://bot.example.com", "--apply"]) == 0
    assert estate(aws.endpoint, "eu-west-1")["rules"] == deployed
    events = boto3.client("events", endpoint_url=aws.endpoint, region_name="eu-west-1")
    patterns = {r["Name"]: json.loads(r["EventPattern"]) for r in events.list_rules(NamePrefix="boltwatch-")["Rules"]}
    assert patterns["boltwatch-aws-health-event"] == {"source": ["aws.health"], "detail-type": ["AWS Health Event"]}
