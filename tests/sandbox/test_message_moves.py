"""moto taught SQS's message move tasks (sandbox/aws/message_moves.py), through boto3 over HTTP as a bot would call
them: a redrive moves a dead-letter queue's messages back to their source, at a rate if asked, with progress and
outcome in ListMessageMoveTasks, and the errors SQS gives."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from sandbox.aws.server import SANDBOX_ACCOUNT_ID, MotoHandle, sandbox_client

ARN = f"arn:aws:sqs:us-east-1:{SANDBOX_ACCOUNT_ID}:"


@pytest.fixture
def sqs(moto: MotoHandle) -> BaseClient:
    return sandbox_client(moto.endpoint, "sqs")


def queues(sqs: BaseClient, dead_letters: int = 0) -> tuple[str, str]:
    """orders (failing into orders-dlq after 1 receive) and orders-dlq holding `dead_letters` messages; their URLs."""
    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": ARN + "orders-dlq", "maxReceiveCount": 1})
    source = sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    for index in range(dead_letters):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"order {index}")
    return source, dlq


def bodies(sqs: BaseClient, url: str) -> list[str]:
    found: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found.extend(m["Body"] for m in messages)
    return sorted(found)


def waiting(sqs: BaseClient, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def until(condition: Callable[[], Any], seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.05)
    return result


def latest(sqs: BaseClient, source: str = "orders-dlq") -> dict[str, Any]:
    [task] = sqs.list_message_move_tasks(SourceArn=ARN + source)["Results"]
    return dict(task)


def finished(sqs: BaseClient) -> dict[str, Any]:
    """The latest task once it is no longer running."""
    return until(lambda: (task := latest(sqs))["Status"] != "RUNNING" and task)


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_redrive_moves_the_dead_letters_back_to_the_queue_they_failed_in(sqs: BaseClient) -> None:
    source, dlq = queues(sqs, dead_letters=2)
    sqs.send_message(QueueUrl=source, MessageBody="order 2", MessageAttributes={
        "tenant": {"DataType": "String", "StringValue": "acme"}})  # fmt: skip
    sqs.receive_message(QueueUrl=source, VisibilityTimeout=0)  # its one allowed receive
    assert sqs.receive_message(QueueUrl=source).get("Messages") is None  # moto moved it to the DLQ
    assert waiting(sqs, dlq) == 3
    started_ms = time.time() * 1000

    handle = sqs.start_message_move_task(SourceArn=ARN + "orders-dlq")["TaskHandle"]

    task = finished(sqs)
    assert task == {
        "Status": "COMPLETED",
        "SourceArn": ARN + "orders-dlq",
        "ApproximateNumberOfMessagesMoved": 3,
        "ApproximateNumberOfMessagesToMove": 3,
        "StartedTimestamp": task["StartedTimestamp"],
    }
    assert started_ms - 5000 < task["StartedTimestamp"] < started_ms + 5000
    assert json.loads(base64.b64decode(handle))["sourceArn"] == ARN + "orders-dlq"
    moved = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in moved) == ["order 0", "order 1", "order 2"]
    assert [m["MessageAttributes"] for m in moved if m["Body"] == "order 2"] == [
        {"tenant": {"DataType": "String", "StringValue": "acme"}}
    ]
    assert waiting(sqs, dlq) == 0


def test_a_destination_arn_takes_the_messages_instead(sqs: BaseClient) -> None:
    source, _ = queues(sqs, dead_letters=2)
    elsewhere = sqs.create_queue(QueueName="orders-replay")["QueueUrl"]

    sqs.start_message_move_task(SourceArn=ARN + "orders-dlq", DestinationArn=ARN + "orders-replay")

    task = finished(sqs)
    assert task["DestinationArn"] == ARN + "orders-replay"
    assert bodies(sqs, elsewhere) == ["order 0", "order 1"]
    assert bodies(sqs, source) == []


def test_a_rate_limited_move_shows_its_progress_and_stops_when_cancelled(sqs: BaseClient) -> None:
    _, dlq = queues(sqs, dead_letters=10)

    handle = sqs.start_message_move_task(SourceArn=ARN + "orders-dlq", MaxNumberOfMessagesPerSecond=2)["TaskHandle"]

    running = latest(sqs)
    assert running["Status"] == "RUNNING" and running["TaskHandle"] == handle
    assert running["MaxNumberOfMessagesPerSecond"] == 2 and running["ApproximateNumberOfMessagesToMove"] == 10
    assert running["ApproximateNumberOfMessagesMoved"] < 10
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    time.sleep(1)  # two more messages' worth at that rate: none moves any more
    cancelled = latest(sqs)
    assert cancelled["Status"] == "CANCELLED" and "TaskHandle" not in cancelled
    assert cancelled["ApproximateNumberOfMessagesMoved"] == moved < 10
    assert waiting(sqs, dlq) == 10 - moved
    assert error_of(lambda: sqs.cancel_message_move_task(TaskHandle=handle)) == (
        "ResourceNotFoundException",
        "Task does not exist.",
    )


def test_one_running_task_a_source_and_the_latest_listed_first(sqs: BaseClient) -> None:
    queues(sqs, dead_letters=4)
    first = sqs.start_message_move_task(SourceArn=ARN + "orders-dlq", MaxNumberOfMessagesPerSecond=1)["TaskHandle"]

    assert error_of(lambda: sqs.start_message_move_task(SourceArn=ARN + "orders-dlq")) == (
        "InvalidParameterValue",
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
    )
    sqs.cancel_message_move_task(TaskHandle=first)
    second = sqs.start_message_move_task(SourceArn=ARN + "orders-dlq")["TaskHandle"]
    until(lambda: latest(sqs)["Status"] == "COMPLETED")
    both = sqs.list_message_move_tasks(SourceArn=ARN + "orders-dlq", MaxResults=10)["Results"]
    assert [task["Status"] for task in both] == ["COMPLETED", "CANCELLED"]
    assert second != first


def test_what_sqs_refuses(sqs: BaseClient) -> None:
    queues(sqs, dead_letters=1)
    sqs.create_queue(QueueName="plain")
    start = sqs.start_message_move_task

    assert error_of(lambda: start(SourceArn=ARN + "plain", DestinationArn=ARN + "orders")) == (
        "InvalidParameterValue",
        "Source queue must be configured as a Dead Letter Queue.",
    )
    assert error_of(lambda: start(SourceArn=ARN + "missing")) == (
        "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.",
    )
    assert error_of(lambda: start(SourceArn=ARN + "orders-dlq", DestinationArn=ARN + "missing")) == (
        "ResourceNotFoundException",
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
    )
    assert error_of(lambda: start(SourceArn=ARN + "orders-dlq", MaxNumberOfMessagesPerSecond=501))[0] == (
        "InvalidParameterValue"
    )
    assert error_of(lambda: sqs.list_message_move_tasks(SourceArn=ARN + "missing"))[0] == "ResourceNotFoundException"
    assert error_of(lambda: sqs.cancel_message_move_task(TaskHandle="foobared")) == (
        "InvalidParameterValue",
        "Value for parameter TaskHandle is invalid.",
    )
    unknown = base64.b64encode(json.dumps({"taskId": "nope", "sourceArn": ARN + "orders-dlq"}).encode()).decode()
    assert error_of(lambda: sqs.cancel_message_move_task(TaskHandle=unknown)) == (
        "ResourceNotFoundException",
        "Task does not exist.",
    )
    assert sqs.list_message_move_tasks(SourceArn=ARN + "orders-dlq")["Results"] == []


def test_a_destination_deleted_while_moving_fails_the_task_and_the_rest_stay(sqs: BaseClient) -> None:
    _, dlq = queues(sqs, dead_letters=5)
    replay = sqs.create_queue(QueueName="orders-replay")["QueueUrl"]
    sqs.start_message_move_task(
        SourceArn=ARN + "orders-dlq", DestinationArn=ARN + "orders-replay", MaxNumberOfMessagesPerSecond=2
    )
    sqs.delete_queue(QueueUrl=replay)

    task = finished(sqs)

    assert task["Status"] == "FAILED" and task["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert waiting(sqs, dlq) == 5 - task["ApproximateNumberOfMessagesMoved"] > 0
