"""`boltwatch push setup --config FILE [--url URL] [--apply]`: print what AWS needs to push to the bot (per
configured account and region), and with `--apply` create what is missing through boto3."""

from __future__ import annotations

import argparse
import sys
from typing import Any

PUSH_SETUP_EPILOG = """\
Without --apply nothing is called: the plan is printed. With --apply, per account and region: the SNS topic (the one
push.sns.topics names there, else boltwatch-push), its policy letting events.amazonaws.com and
cloudwatch.amazonaws.com publish, the subscription of URL/aws/sns, and an EventBridge rule per event type the bot
understands, targeting the topic. Running it again creates nothing new. Exit 2: no URL, or a config error; exit 1:
AWS refused a call (the line names the IAM action).
"""


def add_parser(commands: Any) -> None:
    push = commands.add_parser("push", help="set up AWS to push alarms and events to the bot")
    push_commands = push.add_subparsers(dest="push_command", required=True)
    setup = push_commands.add_parser(
        "setup",
        help="print (with --apply, create) the SNS topic, its subscription and the EventBridge rules",
        epilog=PUSH_SETUP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    setup.add_argument("--config", required=True, help="YAML config file: its accounts, regions and push settings")
    setup.add_argument("--url", default=None, help="the bot's public base URL (default: push.public_url)")
    setup.add_argument("--apply", action="store_true", help="create what is missing (idempotent)")
    setup.set_defaults(func=push_setup)
    template = push_commands.add_parser(
        "template",
        help="print the CloudFormation template of the same pieces, for one account and region (deploy/push.yaml)",
    )
    template.set_defaults(func=push_template)


def push_rules() -> list[Any]:
    """An EventBridge rule per event type the receiver understands: alarm state changes, the events that run a
    check, AWS Health events."""
    from bot.aws.alarm_events import ALARM_STATE_CHANGE
    from bot.aws.push_setup import EventRule
    from scheduler.push.health import DETAIL_TYPES, HEALTH_SOURCE
    from scheduler.push.rechecks import RECHECKED_BY

    rules = [EventRule("aws.cloudwatch", ALARM_STATE_CHANGE)] + [EventRule(s, d) for s, d in RECHECKED_BY]
    return rules + [EventRule(HEALTH_SOURCE, detail_type) for detail_type in DETAIL_TYPES]


def push_template(args: argparse.Namespace) -> int:
    from bot.aws.push_setup import push_template as template

    print(template(push_rules(), command="boltwatch push template"), end="")
    return 0


def push_setup(args: argparse.Namespace) -> int:
    from botocore.exceptions import ClientError

    from bot.aws.push_setup import apply_plan, plan_lines, push_plans, refusal
    from bot.aws.sessions import AwsSessions
    from bot.config import load_file_settings
    from scheduler.registry import check_problems

    settings = load_file_settings(args.config, judge_check=check_problems)
    base = args.url or settings.push.public_url
    if not base:
        print(
            "push setup needs the bot's public URL, which AWS delivers to: set push.public_url in the config or pass "
            "--url https://boltwatch.example.com",
            file=sys.stderr,
        )
        return 2
    rules = push_rules()
    accounts = [(account.name, account.id) for account in settings.aws.accounts]
    plans = push_plans(
        accounts=accounts, regions=settings.aws.regions, topics=settings.push.sns.topics,
        endpoint=base.rstrip("/") + "/aws/sns", rules=rules,
    )  # fmt: skip
    missing_topics = []
    if not args.apply:
        print("\n".join(plan_lines(plans)))
        missing_topics = [p.topic_arn() for p in plans if p.topic_arn() not in settings.push.sns.topics]
    else:
        sessions = AwsSessions(settings.aws, guard_event_loop=False)
        for plan in plans:
            try:
                account_id = sessions.account_id(plan.account)
                done = apply_plan(plan, lambda s, a, r: sessions.client(s, account=a, region=r), account_id)
            except ClientError as exc:
                print(f"push setup: account {plan.account}, region {plan.region}: {refusal(exc)}", file=sys.stderr)
                return 1
            print("\n".join(done))
            if plan.topic_arn(account_id) not in settings.push.sns.topics:
                missing_topics.append(plan.topic_arn(account_id))
    if missing_topics:
        print("\nAdd to push.sns.topics, so that the bot accepts their deliveries:")
        print("\n".join(f"  - {topic}" for topic in missing_topics))
    if not args.apply:
        print("\nNothing was changed; run again with --apply to create what is missing.")
    return 0
