"""AWS Health events pushed through EventBridge and SNS: an open issue is an incident (critical when AWS says it
affects the account), its `closed` update resolves it, pages of one event are one alert, and events of regions or
accounts the bot does not watch are recorded and ignored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.aws.eventbridge import eventbridge_event
from bot.core.findings import Finding
from bot.enums import Severity
from sandbox.aws.fake_sns import FakeSns
from scheduler.push.health import health_finding
from tests.harness import RunningBot
from tests.push.sns_bot import deliver, stored

ARN = "arn:aws:health:us-east-1::event/LAMBDA/AWS_LAMBDA_OPERATIONAL_ISSUE/AWS_LAMBDA_OPERATIONAL_ISSUE_7f35c8ae"
FINGERPRINT = f"aws_health:123456789012:{ARN}"


def health_event(
    status: str = "open", *, category: str = "issue", scope: str = "ACCOUNT_SPECIFIC", region: str = "us-east-1",
    code: str = "AWS_LAMBDA_OPERATIONAL_ISSUE", entities: tuple[str, ...] = ("orders-api",), page: str = "1",
    pages: str = "1", detail_type: str = "AWS Health Event", updated: str = "Thu, 05 Mar 2026 09:10:00 GMT",
) -> dict[str, Any]:  # fmt: skip
    """An event as AWS Health sends it to EventBridge (the user guide's schema and sample payloads)."""
    return {
        "version": "0", "id": "0d3a2c85-2b4c-4b2b-9d6e-3f0bfa1c1d2e", "detail-type": detail_type,
        "source": "aws.health", "account": "123456789012", "time": "2026-03-05T09:10:00Z", "region": region,
        "resources": [f"arn:aws:lambda:{region}:123456789012:function:{e}" for e in entities],
        "detail": {
            "eventArn": ARN, "service": "LAMBDA", "eventTypeCode": code, "eventTypeCategory": category,
            "eventScopeCode": scope, "communicationId": "1a2b3c", "startTime": "Thu, 05 Mar 2026 08:55:00 GMT",
            "lastUpdatedTime": updated, "statusCode": status, "eventRegion": region,
            "eventDescription": [{"language": "en_US", "latestDescription":
                "We are investigating increased invocation error rates for <!channel> functions in US-EAST-1."}],
            "affectedEntities": [{"entityValue": e} for e in entities], "affectedAccount": "123456789012",
            "page": page, "totalPages": pages,
        },
    }  # fmt: skip


def finding_of(event: dict[str, Any]) -> Finding:
    parsed = eventbridge_event(event)
    assert parsed is not None
    finding = health_finding(parsed)
    assert finding is not None
    return finding


async def test_an_open_issue_of_the_account_posts_a_critical_incident_and_closed_resolves_it(
    bot: RunningBot, sns: FakeSns
) -> None:
    assert await deliver(bot, sns.notification(health_event("open"))) == 200
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

    assert "AWS Health: LAMBDA operational issue in us-east-1" in message.text
    text = str(message.blocks)
    assert "orders-api" in text and "increased invocation error rates" in text
    assert "<!channel>" not in text  # AWS's words are escaped like any other text
    assert (await stored(bot)).alerts[0][:2] == (FINGERPRINT, "firing")

    closed = health_event("closed", updated="Thu, 05 Mar 2026 10:30:00 GMT")
    assert await deliver(bot, sns.notification(closed)) == 200
    bot.clock.advance(seconds=30)
    await bot.wait_for(
        lambda: [m for m in bot.slack.channel_messages("#alerts") if "RESOLVED" in m.blocks[0]["text"]["text"]]
    )
    recorded = await stored(bot)
    assert recorded.alerts[0][:2] == (FINGERPRINT, "resolved")
    assert recorded.deliveries == [
        ("event: AWS Health Event", "AWS Health: LAMBDA operational issue in us-east-1: open"),
        ("event: AWS Health Event", "AWS Health: LAMBDA operational issue in us-east-1: closed"),
    ]


async def test_the_pages_of_one_event_are_one_alert_and_one_message(bot: RunningBot, sns: FakeSns) -> None:
    first = health_event(entities=("orders-api", "payments"), page="1", pages="2")
    second = health_event(entities=("refunds",), page="2", pages="2")
    assert await deliver(bot, sns.notification(first)) == 200
    assert await deliver(bot, sns.notification(second)) == 200
    bot.clock.advance(seconds=30)
    await bot.drain()

    assert len(bot.slack.calls_to("chat.postMessage")) == 1
    assert [alert[:2] for alert in (await stored(bot)).alerts] == [(FINGERPRINT, "firing")]


async def test_events_of_a_region_or_account_the_bot_does_not_watch_are_recorded_and_ignored(
    bot: RunningBot, sns: FakeSns
) -> None:
    elsewhere = health_event(region="ap-southeast-2")
    stranger = health_event()
    stranger["detail"]["affectedAccount"] = "999999999999"
    no_arn = health_event()
    del no_arn["detail"]["eventArn"]
    for event in (elsewhere, stranger, no_arn):
        assert await deliver(bot, sns.notification(event)) == 200
    await bot.drain()

    recorded = await stored(bot)
    assert recorded.alerts == [] and bot.slack.calls_to("chat.postMessage") == []
    assert [outcome.split(":")[0] for _, outcome in recorded.deliveries] == ["ignored"] * 3
    assert "region ap-southeast-2 is not one of aws.regions" in recorded.deliveries[0][1]
    assert "account 999999999999 is not one of aws.accounts" in recorded.deliveries[1][1]


def test_severity_follows_what_aws_says_of_the_event() -> None:
    assert finding_of(health_event()).severity is Severity.CRITICAL
    assert finding_of(health_event(scope="PUBLIC", entities=())).severity is Severity.WARNING
    assert finding_of(health_event(category="investigation")).severity is Severity.WARNING
    scheduled = finding_of(health_event(
        "upcoming", category="scheduledChange", code="AWS_LAMBDA_PLANNED_LIFECYCLE_EVENT"
    ))  # fmt: skip
    assert scheduled.severity is Severity.INFO and scheduled.firing
    assert scheduled.title == "AWS Health: LAMBDA planned lifecycle event in us-east-1"
    abuse = finding_of(health_event(detail_type="AWS Health Abuse Event", category="accountNotification"))
    assert abuse.severity is Severity.CRITICAL and abuse.title == "AWS Health: LAMBDA abuse report in us-east-1"


def test_the_finding_carries_the_affected_entities_times_and_the_console_link() -> None:
    finding = finding_of(health_event(entities=tuple(f"fn-{n}" for n in range(12))))

    assert finding.evidence["Affected"].endswith("fn-9 and 2 more")
    assert finding.evidence["Starts"] == "2026-03-05 08:55 UTC"
    assert finding.started_at == datetime.fromisoformat("2026-03-05T09:10:00+00:00")
    assert finding.resource == "LAMBDA" and finding.labels["category"] == "issue"
    assert finding.links["AWS Health"].startswith(
        "https://health.aws.amazon.com/health/home#/account/event-log?eventID="
    )
    assert finding.tag_arns[0] == "arn:aws:lambda:us-east-1:123456789012:function:fn-0"
