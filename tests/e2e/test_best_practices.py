"""Best-practice findings through the whole bot: recorded but kept out of the alert channel, listed by
`/boltwatch best-practices`, muted, accepted through the modal (audited), re-checked, and in the digest."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.store.models import Alert, AuditEvent, BestPracticeState, CheckHealth, LogCursor
from sandbox.aws.server import MotoHandle, sandbox_client, use_lambda_without_docker
from tests.checks.test_best_practices import create_function
from tests.harness import FakeClock, RunningBot, base_config, running_bot

LEGACY = "best_practices:123456789012:us-east-1:deprecated_runtime:legacy"
EMAILS = "best_practices:123456789012:us-east-1:sqs_no_dlq:emails"
RULES = ["deprecated_runtime", "sqs_no_dlq"]


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str) -> AsyncIterator[RunningBot]:
    def seed() -> None:
        use_lambda_without_docker(moto.endpoint)
        create_function(lambda service: sandbox_client(moto.endpoint, service), "legacy", runtime="python3.8")  # type: ignore[arg-type]
        sandbox_client(moto.endpoint, "sqs").create_queue(QueueName="emails")

    await asyncio.to_thread(seed)  # boto3 off the loop, as the bot does
    config = base_config(checks=[{"type": "best_practices", "every": "1h", "rules": RULES}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as running:
        await running.run_checks()
        await running.drain()
        yield running


async def best_practices_list(bot: RunningBot) -> Any:
    before = len(bot.slack.ephemerals(user="U0ALICE"))
    await bot.command("/boltwatch", "best-practices")
    await bot.wait_for(lambda: len(bot.slack.ephemerals(user="U0ALICE")) > before)
    return bot.slack.ephemerals(user="U0ALICE")[-1]


async def click(bot: RunningBot, action: str, fingerprint: str) -> Any:
    before = len(bot.slack.ephemerals(user="U0ALICE"))
    await bot.click(action_id=action, channel="#alerts", value=f"bp:{fingerprint}")
    await bot.wait_for(lambda: len(bot.slack.ephemerals(user="U0ALICE")) > before)
    return bot.slack.ephemerals(user="U0ALICE")[-1]


def buttons(message: Any) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


async def test_findings_are_listed_with_their_buttons_and_open_no_incident(bot: RunningBot) -> None:
    assert bot.slack.channel_messages("#alerts") == []
    listed = await best_practices_list(bot)
    text = json.dumps(listed.blocks)
    assert "deprecated_runtime" in text and "sqs_no_dlq" in text and "legacy: runtime python3.8 is deprecated" in text
    assert ("best_practice_mute", f"bp:{LEGACY}") in buttons(listed)
    assert {action for action, _ in buttons(listed)} == {
        "best_practice_mute", "best_practice_accept", "best_practice_recheck"
    }  # fmt: skip
    recorded = await bot.app.services.db.run(
        lambda s: s.execute(select(Alert.status, Alert.incident_id).where(Alert.fingerprint == LEGACY)).one()
    )
    assert tuple(recorded) == ("firing", None)  # recorded for the list and the digest, no incident


async def test_mute_shows_the_finding_muted_for_seven_days(bot: RunningBot) -> None:
    answer = await click(bot, "best_practice_mute", LEGACY)
    assert f"<@U0ALICE> muted `{LEGACY}`" in answer.blocks[0]["elements"][0]["text"]
    assert "Muted by <@U0ALICE> until" in json.dumps(answer.blocks)
    state = await bot.app.services.db.run(lambda s: s.get(BestPracticeState, LEGACY))
    assert state.status == "muted" and (state.until - bot.clock.now).days == 7


async def test_accept_risk_asks_why_in_a_modal_and_audits_it(bot: RunningBot) -> None:
    await bot.click(action_id="best_practice_accept", channel="#alerts", value=f"bp:{EMAILS}")
    [view] = await bot.wait_for(lambda: bot.slack.open_views())
    assert view["callback_id"] == "best_practice_accept_modal"
    empty = await bot.slack.send_view_submission(bot.events_url, view=view["id"], values={"reason": {"value": " "}})
    assert empty.json()["response_action"] == "errors"

    before = len(bot.slack.ephemerals(user="U0ALICE"))
    reason = {"reason": {"value": "Fire-and-forget notifications <!channel>"}}
    await bot.slack.send_view_submission(bot.events_url, view=view["id"], values=reason)
    await bot.wait_for(lambda: len(bot.slack.ephemerals(user="U0ALICE")) > before)
    shown = json.dumps(bot.slack.ephemerals(user="U0ALICE")[-1].blocks)
    assert "Risk accepted by <@U0ALICE>" in shown and "Fire-and-forget notifications &lt;!channel&gt;" in shown
    audit = await bot.app.services.db.run(
        lambda s: s.scalars(select(AuditEvent).where(AuditEvent.action == "best_practice_accepted")).one().detail
    )
    assert audit["reason"] == "Fire-and-forget notifications <!channel>" and audit["until"] is None


async def test_recheck_after_a_fix_drops_the_finding_from_the_list(bot: RunningBot, moto: MotoHandle) -> None:
    sqs = sandbox_client(moto.endpoint, "sqs")
    sqs.create_queue(QueueName="emails-dlq")
    target = "arn:aws:sqs:us-east-1:123456789012:emails-dlq"
    url = sqs.get_queue_url(QueueName="emails")["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": 3})}
    )
    answer = await click(bot, "best_practice_recheck", EMAILS)
    text = json.dumps(answer.blocks)
    assert "Re-checked default/us-east-1" in text
    assert "emails: no dead-letter queue" not in text and "legacy" in text
    status = await bot.app.services.db.run(
        lambda s: s.scalars(select(Alert.status).where(Alert.fingerprint == EMAILS)).one()
    )
    assert status == "resolved"


async def test_recheck_is_a_run_of_the_check_that_keeps_the_failures_of_targets_it_did_not_run(
    moto: MotoHandle, database_url: str
) -> None:
    sandbox_client(moto.endpoint, "sqs").create_queue(QueueName="emails")
    accounts = [{"name": "default"}, {"name": "broken", "profile": "no-such-profile"}]
    config = base_config(
        checks=[{"type": "best_practices", "every": "1h", "rules": ["sqs_no_dlq"]}],
        aws={"regions": ["us-east-1"], "max_attempts": 1, "accounts": accounts},
    )
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        await bot.run_checks()
        bot.clock.advance(minutes=30)
        await click(bot, "best_practice_recheck", EMAILS)
        health = await bot.app.services.db.run(lambda s: s.get(CheckHealth, "best_practices"))
        assert health.last_run_at == bot.clock.now
        assert health.consecutive_failures == 1 and "broken/us-east-1" in health.last_error


async def test_recheck_reads_and_saves_log_cursors_as_a_scheduled_run_does(moto: MotoHandle, database_url: str) -> None:
    """The button re-checks best-practice findings, whose check reads no logs: this drives the runner's `recheck`,
    which the composition root hands the button, with a check that does."""
    group = "/aws/lambda/orders-api"
    logs = sandbox_client(moto.endpoint, "logs")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="a")
    # An hour back, so that the clock can move on and stay in the past: CloudWatch Logs refuses future events.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1))

    def error_at(at: datetime) -> int:
        stamp = int(at.timestamp() * 1000)
        logs.put_log_events(
            logGroupName=group, logStreamName="a", logEvents=[{"timestamp": stamp, "message": "ERROR charge failed"}]
        )
        return stamp

    def state(session: Any) -> tuple[Any, ...]:
        alert = session.scalars(select(Alert).where(Alert.check_name == "log_errors")).one()
        cursor = session.scalars(select(LogCursor).where(LogCursor.log_group == group)).one()
        return dict(alert.evidence), session.get(CheckHealth, "log_errors").last_run_at, cursor.timestamp_ms

    error_at(clock.now - timedelta(seconds=30))
    config = base_config(
        checks=[{"type": "log_errors", "every": "1h", "log_groups": ["/aws/lambda/*"]}],
        aws={"regions": ["us-east-1", "eu-west-1"], "max_attempts": 1},
    )
    async with running_bot(moto=moto, database_url=database_url, config=config, clock=clock) as bot:
        await bot.run_checks()
        clock.advance(minutes=5)
        second = error_at(clock.now - timedelta(seconds=30))
        assert await bot.app.runner.recheck("log_errors", "default", "us-east-1")
        evidence, last_run_at, cursor_at = await bot.app.services.db.run(state)
        assert last_run_at == clock.now
        assert cursor_at == second  # read on from the cursor the scheduled run saved, and saved again
        assert (evidence["Group"], evidence["Count in this scan"]) == ("ongoing", 1)  # the first error not re-read


async def test_the_digest_shows_what_appeared_and_what_was_fixed(bot: RunningBot, moto: MotoHandle) -> None:
    bot.clock.advance(minutes=1)
    await bot.command("/boltwatch", "digest")
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    first = json.dumps(bot.slack.channel_messages("#alerts")[-1].blocks)
    assert "*Best practices*" in first and "_2 appeared_" in first and "legacy: runtime python3.8" in first
    assert "Noisiest" not in first  # standing findings are not noise

    await click(bot, "best_practice_mute", LEGACY)  # muted: no longer news
    sqs = sandbox_client(moto.endpoint, "sqs")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="emails")["QueueUrl"])
    bot.clock.advance(hours=1)
    await bot.run_checks()
    bot.clock.advance(minutes=1)
    await bot.command("/boltwatch", "digest")
    await bot.wait_for(lambda: len(bot.slack.channel_messages("#alerts")) > 1)
    second = json.dumps(bot.slack.channel_messages("#alerts")[-1].blocks)
    assert "_1 fixed_" in second and "emails: no dead-letter queue" in second
    assert "appeared" not in second


async def test_a_forged_value_is_ignored_and_access_rules_apply(moto: MotoHandle, database_url: str) -> None:
    use_lambda_without_docker(moto.endpoint)
    sandbox_client(moto.endpoint, "sqs").create_queue(QueueName="emails")
    config = base_config(
        checks=[{"type": "best_practices", "every": "1h", "rules": ["sqs_no_dlq"]}],
        access=[{"actions": ["mute"], "users": ["U0BOB"]}],
    )
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        await bot.run_checks()
        await bot.click(action_id="best_practice_mute", channel="#alerts", value="bp:incident:1")
        refusal = await click(bot, "best_practice_mute", EMAILS)
        assert "You can't mute or accept best-practice findings here" in refusal.text
        states = await bot.app.services.db.run(lambda s: s.scalars(select(BestPracticeState)).all())
        assert states == []


async def test_with_incidents_all_a_finding_opens_an_incident(moto: MotoHandle, database_url: str) -> None:
    sandbox_client(moto.endpoint, "sqs").create_queue(QueueName="emails")
    check = {"type": "best_practices", "every": "1h", "rules": ["sqs_no_dlq"], "incidents": "all"}
    async with running_bot(moto=moto, database_url=database_url, config=base_config(checks=[check])) as bot:
        await bot.run_checks()
        await bot.drain()
        [message] = bot.slack.channel_messages("#alerts")
        assert "emails: no dead-letter queue" in json.dumps(message.blocks)


async def test_a_long_list_fits_in_one_message(moto: MotoHandle, database_url: str) -> None:
    def thirty_queues() -> None:
        sqs = sandbox_client(moto.endpoint, "sqs")
        for index in range(30):
            sqs.create_queue(QueueName=f"queue-{index:02}")

    await asyncio.to_thread(thirty_queues)
    check = {"type": "best_practices", "every": "1h", "rules": ["sqs_no_dlq"]}
    async with running_bot(moto=moto, database_url=database_url, config=base_config(checks=[check])) as bot:
        await bot.run_checks()
        listed = await best_practices_list(bot)
        assert len(listed.blocks) <= 50
        assert listed.text.startswith("Best practices: 30 findings")
        assert "…and 7 more findings than fit in one message." in json.dumps(listed.blocks, ensure_ascii=False)
