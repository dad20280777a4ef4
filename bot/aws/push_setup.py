"""`boltwatch push setup`: what AWS needs so that it pushes to the bot, per account and region — an SNS topic whose
policy lets EventBridge and CloudWatch publish to it, the topic's HTTP(S) subscription of the bot's `/aws/sns`, and
an EventBridge rule per event type the receiver understands, targeting the topic. The plan is data (printed as is);
applying it is idempotent: what exists and matches is left alone, so a second run creates nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from bot.aws.partitions import partition_of

DEFAULT_TOPIC = "boltwatch-push"
TARGET_ID = "boltwatch-sns"
PUBLISHERS = {
    "BoltwatchEventBridgePublish": "events.amazonaws.com",
    "BoltwatchCloudWatchPublish": "cloudwatch.amazonaws.com",
}
"""Policy statement id → the AWS service it lets publish to the topic."""

ClientOf = Callable[[str, str, str], BaseClient]
"""(service, account name, region) → a boto3 client."""
APPLY_ACTIONS = (
    "sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic",
    "sns:Subscribe", "events:DescribeRule", "events:PutRule", "events:ListTargetsByRule", "events:PutTargets",
)  # fmt: skip
"""The IAM actions `--apply` calls (and sts:GetCallerIdentity for an account configured without its id)."""
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError", "UnauthorizedOperation"})
"""The error codes AWS services deny a call with (SNS: AuthorizationError)."""
_NAMED_ACTION = re.compile(r"perform: ([A-Za-z0-9-]+:[A-Za-z0-9]+)")


def refusal(exc: ClientError) -> str:
    """One line for an AWS error during `--apply`: the IAM action refused, and why."""
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    named = _NAMED_ACTION.search(message)
    if named is not None:
        service, _, operation = named.group(1).partition(":")
        action = f"{service.lower()}:{operation}"
    else:
        action = next((a for a in APPLY_ACTIONS if a.endswith(":" + exc.operation_name)), exc.operation_name)
    if code in DENIED:
        return f"AWS denied {action} ({code}): the credentials need it (README: Push from AWS lists what --apply calls)"
    return f"AWS refused {action}: {code}: {message.splitlines()[0][:200] if message else 'no message'}"


@dataclass(frozen=True)
class EventRule:
    """One EventBridge rule: the events of one (source, detail-type) to the topic."""

    source: str
    detail_type: str

    @property
    def name(self) -> str:
        return "boltwatch-" + re.sub(r"[^a-z0-9]+", "-", self.detail_type.lower()).strip("-")

    @property
    def pattern(self) -> str:
        return json.dumps({"source": [self.source], "detail-type": [self.detail_type]}, separators=(",", ":"))


@dataclass(frozen=True)
class PushPlan:
    """What one account and region needs."""

    account: str
    account_id: str | None
    """None when the config does not say it (apply asks STS)."""
    region: str
    topic_name: str
    endpoint: str
    rules: tuple[EventRule, ...]

    def topic_arn(self, account_id: str | None = None) -> str:
        account = account_id or self.account_id or "<account id>"
        return f"arn:{partition_of(self.region)}:sns:{self.region}:{account}:{self.topic_name}"


def push_plans(
    *, accounts: list[tuple[str, str | None]], regions: list[str], topics: list[str], endpoint: str,
    rules: list[EventRule],
) -> list[PushPlan]:  # fmt: skip
    """A plan per (account name, id) and region; the topic is the one `push.sns.topics` names there, else
    DEFAULT_TOPIC."""
    plans = []
    for name, account_id in accounts:
        for region in regions:
            here = [t.split(":") for t in topics if t.split(":")[3] == region]
            mine = [parts[5] for parts in here if account_id is None or parts[4] == account_id]
            plans.append(PushPlan(name, account_id, region, (mine or [DEFAULT_TOPIC])[0], endpoint, tuple(rules)))
    return plans


def plan_lines(plans: list[PushPlan]) -> list[str]:
    lines = []
    for plan in plans:
        topic = plan.topic_arn()
        lines += [
            f"account {plan.account}, region {plan.region}:",
            f"  SNS topic {topic}",
            f"  topic policy: {', '.join(PUBLISHERS.values())} may sns:Publish to it",
            f"  subscription: {plan.endpoint} ({_protocol(plan.endpoint)})",
        ]
        lines += [f"  EventBridge rule {r.name}: {r.pattern} → the topic" for r in plan.rules]
    return lines


def apply_plan(plan: PushPlan, client_of: ClientOf, account_id: str) -> list[str]:
    """Create what `plan` needs and is missing (blocking: boto3); a line per item, saying what was done."""
    sns = client_of("sns", plan.account, plan.region)
    events = client_of("events", plan.account, plan.region)
    topic = str(sns.create_topic(Name=plan.topic_name)["TopicArn"])  # idempotent: the same ARN when it exists
    lines = [f"account {plan.account}, region {plan.region}:", f"  SNS topic {topic}: in place"]
    lines.append(f"  topic policy: {_allow_publishers(sns, topic, account_id)}")
    lines.append(f"  subscription {plan.endpoint}: {_subscribe(sns, topic, plan.endpoint)}")
    for rule in plan.rules:
        lines.append(f"  EventBridge rule {rule.name}: {_rule(events, rule, topic)}")
    return lines


def _protocol(endpoint: str) -> str:
    return "https" if endpoint.startswith("https://") else "http"


def _allow_publishers(sns: BaseClient, topic: str, account_id: str) -> str:
    current = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("Policy") or "{}")
    statements: list[dict[str, Any]] = current.get("Statement") or []
    ours = [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sns:Publish",
            "Resource": topic,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
        for sid, service in PUBLISHERS.items()
    ]
    if all(statement in statements for statement in ours):
        return "in place"
    kept = [s for s in statements if s.get("Sid") not in PUBLISHERS]
    policy = {"Version": "2012-10-17", "Id": current.get("Id", f"{topic}/policy"), "Statement": kept + ours}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    return "set"


def _subscribe(sns: BaseClient, topic: str, endpoint: str) -> str:
    pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
    if any(s["Endpoint"] == endpoint for page in pages for s in page["Subscriptions"]):
        return "in place"
    sns.subscribe(TopicArn=topic, Protocol=_protocol(endpoint), Endpoint=endpoint)
    return "created (SNS sends a confirmation the bot accepts once the topic is in push.sns.topics)"


def _rule(events: BaseClient, rule: EventRule, topic: str) -> str:
    try:
        existing = events.describe_rule(Name=rule.name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        existing = None
    done = []
    if (
        existing is None
        or json.loads(existing.get("EventPattern") or "{}") != json.loads(rule.pattern)
        or (existing.get("State") != "ENABLED")
    ):
        events.put_rule(
            Name=rule.name, EventPattern=rule.pattern, State="ENABLED",
            Description=f"Boltwatch: {rule.detail_type} events to its SNS topic",
        )  # fmt: skip
        done.append("created" if existing is None else "updated")
    targets = events.list_targets_by_rule(Rule=rule.name)["Targets"]
    if not any(t["Id"] == TARGET_ID and t["Arn"] == topic for t in targets):
        events.put_targets(Rule=rule.name, Targets=[{"Id": TARGET_ID, "Arn": topic}])
        done.append("target added")
    return ", ".join(done) or "in place"


_HTTP = "http"


def push_template(rules: list[EventRule], *, command: str) -> str:
    """The CloudFormation template of one account and region's part of the plan (the topic, its policy, the
    subscription, a rule per event type), for StackSets or any pipeline that deploys templates rather than run
    `--apply`; YAML headed by the command that printed it."""
    header = (
        "# What AWS needs to push alarms and events to Boltwatch, in one account and region, printed by\n"
        f"#   {command}\n"
        "# Run that again (into this file) when the event types the bot understands change, rather than edit it.\n"
    )
    publishers = [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sns:Publish",
            "Resource": {"Ref": "Topic"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
        for sid, service in PUBLISHERS.items()
    ]
    resources: dict[str, Any] = {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "TopicName"}}},
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Topic"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": publishers},
            },
        },
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "Topic"},
                "Protocol": {"Fn::If": ["PlainHttp", "http", "https"]},
                "Endpoint": {"Fn::Sub": "${BotUrl}/aws/sns"},
            },
        },
    }
    for rule in rules:
        resources["Rule" + "".join(part.title() for part in rule.name.split("-")[1:])] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": rule.name,
                "Description": f"Boltwatch: {rule.detail_type} events to its SNS topic",
                "State": "ENABLED",
                "EventPattern": json.loads(rule.pattern),
                "Targets": [{"Id": TARGET_ID, "Arn": {"Ref": "Topic"}}],
            },
        }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Boltwatch push: an SNS topic subscribed by the bot's /aws/sns, and EventBridge rules to it",
        "Parameters": {
            "BotUrl": {
                "Type": "String",
                "Description": "The bot's public base URL (push.public_url), e.g. https://boltwatch.example.com",
                "AllowedPattern": r"https?://[^/\s]+(/[^\s]*[^/\s])?",
                "ConstraintDescription": "an http(s) URL without a trailing slash",
            },
            "TopicName": {
                "Type": "String",
                "Default": DEFAULT_TOPIC,
                "Description": "The topic's name; its ARN goes into push.sns.topics",
                "AllowedPattern": r"[A-Za-z0-9_-]{1,256}",
            },
        },
        "Conditions": {
            "PlainHttp": {"Fn::Equals": [{"Fn::Select": [0, {"Fn::Split": [":", {"Ref": "BotUrl"}]}]}, _HTTP]}
        },
        "Resources": resources,
        "Outputs": {
            "TopicArn": {
                "Description": "Add to push.sns.topics in the bot's config, so that it accepts the topic's deliveries",
                "Value": {"Ref": "Topic"},
            }
        },
    }
    body: str = yaml.safe_dump(template, sort_keys=False, width=120)
    return header + body
