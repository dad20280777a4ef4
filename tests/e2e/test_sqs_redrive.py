"""The sqs_redrive action end to end: the sqs_dead_letters check finds a dead-letter queue with messages in moto, a
signed click opens the confirmation saying what moves where, the confirmation starts a message move task (moto's
SQS taught it: sandbox/aws/message_moves.py), the messages are back in their queue, and the incident's thread shows
the task's progress and outcome from ListMessageMoveTasks."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from botocore.client import BaseClient
from sqlalchemy import select

from bot.store.models import ActionRun
from sandbox.aws.queues import DEAD_LETTER_QUEUE, QUEUE, seed_queues
from sandbox.aws.server import MotoHandle, sandbox_client
from scheduler.actions.sqs import move_progress
from tests.e2e.test_runbook_actions import (
    DRY_RUN,
    audit_results,
    confirm_modal,
    run_button,
    submit,
    verify_until_done,
)
from tests.harness import RunningBot, running_bot
from tests.runbook import responder_config

DLQ_ARN = f"arn:aws:sqs:us-east-1:123456789012:{DEAD_LETTER_QUEUE}"


def config() -> dict[str, Any]:
    checks = [{"type": "sqs_dead_letters", "every": "1h", "max_age": None}]
    return responder_config({"enabled": ["sqs_redrive"]}, allowed=["run:sqs_redrive"], checks=checks)


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url, config=config()) as running:
        yield running


def sqs(moto: MotoHandle) -> BaseClient:
    return sandbox_client(moto.endpoint, "sqs")


def seed(moto: MotoHandle, dead_letters: int) -> None:
    seed_queues(sqs(moto), random.Random(3), dead_letters=dead_letters)


def waiting(moto: MotoHandle, queue: str) -> int:
    client = sqs(moto)
    url = client.get_queue_url(QueueName=queue)["QueueUrl"]
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


async def dead_letters_alert(bot: RunningBot, dead_letters: int) -> Any:
    """orders-dlq holding `dead_letters` messages of orders-queue, found by the check; the incident's message."""
    await asyncio.to_thread(seed, bot.moto, dead_letters)
    await bot.run_checks()
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    return message


async def test_redrive_moves_the_dead_letters_back_and_the_thread_says_how_many(bot: RunningBot) -> None:
    message = await dead_letters_alert(bot, 3)
    assert run_button(message)["text"]["text"] == "Redrive…"

    modal = await confirm_modal(bot, message)
    shown = str(modal["blocks"])
    assert f"Redrive 3 messages from {DEAD_LETTER_QUEUE} back to {QUEUE}" in shown
    assert f"sqs.StartMessageMoveTask(SourceArn='{DLQ_ARN}')" in shown
    assert "polling `sqs ListMessageMoveTasks`" in shown
    await submit(bot, modal)

    replies = await verify_until_done(bot, message)
    assert await asyncio.to_thread(waiting, bot.moto, QUEUE) == 3
    assert await asyncio.to_thread(waiting, bot.moto, DEAD_LETTER_QUEUE) == 0
    progress, outcome = replies[0], replies[-1]
    assert "Done" in str(progress.blocks) and "last seen: moved 3, failed 0" in str(progress.blocks)
    assert outcome.text == (
        f"<@U0ALICE> `sqs_redrive` on `{DEAD_LETTER_QUEUE}` worked: `sqs ListMessageMoveTasks` is done "
        "(moved 3, failed 0)."
    )
    assert await audit_results(bot) == ["action_called", "action_succeeded"]
    run = await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).one())
    assert run.status == "succeeded" and run.request["params"] == {"SourceArn": DLQ_ARN}


async def test_a_dry_run_of_the_redrive_moves_nothing(bot: RunningBot) -> None:
    message = await dead_letters_alert(bot, 1)
    modal = await confirm_modal(bot, message)
    assert f"Redrive 1 message from {DEAD_LETTER_QUEUE}" in str(modal["blocks"])

    await submit(bot, modal, **DRY_RUN)

    [shown] = await bot.wait_for(lambda: [v for v in bot.slack.open_views("U0ALICE") if "Dry run" in str(v)])
    assert f"sqs.StartMessageMoveTask(SourceArn='{DLQ_ARN}')" in str(shown["blocks"])
    tasks = await asyncio.to_thread(lambda: sqs(bot.moto).list_message_move_tasks(SourceArn=DLQ_ARN)["Results"])
    assert tasks == []
    assert await asyncio.to_thread(waiting, bot.moto, DEAD_LETTER_QUEUE) == 1


def test_the_poll_tells_a_running_task_from_a_finished_one(moto: MotoHandle) -> None:
    """The verification's own reading of ListMessageMoveTasks, on a task slow enough to be seen running."""
    seed(moto, 5)
    client = sqs(moto)
    assert move_progress(client, {"SourceArn": DLQ_ARN}).text == "no message move task found"
    handle = client.start_message_move_task(SourceArn=DLQ_ARN, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]

    running = move_progress(client, {"SourceArn": DLQ_ARN})
    assert not running.done and running.text.startswith("moved ") and running.text.endswith(" of 5")

    moved = client.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    cancelled = move_progress(client, {"SourceArn": DLQ_ARN})
    assert cancelled.done and not cancelled.ok
    assert cancelled.text == f"moved {moved}, failed {5 - moved} (cancelled)"
