"""The sqs_dead_letters check against moto: dead-letter queues found through RedrivePolicy, ages from one
GetMetricData call.

moto publishes no AWS/SQS metrics, so the tests put ApproximateAgeOfOldestMessage datapoints themselves.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from bot.core.findings import CheckResult, Finding
from sandbox.aws.queues import seed_queues
from sandbox.aws.server import MotoHandle, use_lambda_without_docker
from scheduler.checks.sqs_dead_letters import SqsDeadLettersParams, sqs_dead_letters
from scheduler.registry import CheckContext
from tests.checks.moto_clients import Clients, create_function

ACCOUNT_ID = "123456789012"
NOW = datetime.now(UTC).replace(second=30, microsecond=0)


@pytest.fixture
def clients(moto: MotoHandle) -> Clients:
    return Clients(moto)


def create_queue(clients: Clients, name: str, *, dead_letters_to: str | None = None, messages: int = 0) -> str:
    sqs = clients("sqs")
    attributes = {}
    if dead_letters_to:
        target = f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{dead_letters_to}"
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": "5"})
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    for index in range(messages):
        sqs.send_message(QueueUrl=url, MessageBody=f"message {index}")
    return url


def put_age(clients: Clients, queue: str, at: datetime, seconds: float) -> None:
    clients("cloudwatch").put_metric_data(
        Namespace="AWS/SQS",
        MetricData=[
            {
                "MetricName": "ApproximateAgeOfOldestMessage",
                "Dimensions": [{"Name": "QueueName", "Value": queue}],
                "Timestamp": at,
                "Value": seconds,
                "Unit": "Seconds",
            }
        ],
    )


def run(clients: Clients, **params: Any) -> CheckResult:
    ctx = CheckContext(account="default", account_id=ACCOUNT_ID, region="us-east-1", now=NOW, client_for=clients)
    clients.calls.clear()
    return sqs_dead_letters(ctx, SqsDeadLettersParams.model_validate(params))


def by_problem(result: CheckResult) -> dict[tuple[str, str], Finding]:
    return {(f.labels["queue"], f.labels["problem"]): f for f in result.findings}


def test_a_dead_letter_queue_with_messages_fires_and_names_its_source_queue(clients: Clients) -> None:
    seed_queues(clients("sqs"), random.Random(1), dead_letters=2)

    finding = by_problem(run(clients))["orders-dlq", "dlq"]

    assert finding.firing
    assert finding.title == "orders-dlq: 2 dead letters from orders-queue"
    assert finding.fingerprint == f"sqs_dead_letters:{ACCOUNT_ID}:us-east-1:orders-dlq:dlq"
    assert finding.resource == "orders-dlq"
    assert finding.labels == {
        "queue": "orders-dlq",
        "problem": "dlq",
        "queue_arn": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:orders-dlq",
        "source_queues": "orders-queue",
        "dead_letters": "2",
    }
    assert finding.evidence["Messages"] == "2 waiting, 0 in flight"
    assert finding.evidence["Source queues"] == "orders-queue (after 3 receives)"
    expected_queue = quote(f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/orders-dlq", safe="")
    assert finding.links["console"].endswith(f"/sqs/v3/home?region=us-east-1#/queues/{expected_queue}")


def test_messages_in_flight_count_towards_min_messages(clients: Clients) -> None:
    create_queue(clients, "jobs-dlq", messages=3)
    create_queue(clients, "jobs", dead_letters_to="jobs-dlq")
    dlq_url = clients("sqs").get_queue_url(QueueName="jobs-dlq")["QueueUrl"]
    clients("sqs").receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=2, VisibilityTimeout=300)

    finding = by_problem(run(clients, min_messages=3))["jobs-dlq", "dlq"]

    assert finding.firing
    assert finding.evidence["Messages"] == "1 waiting, 2 in flight"
    assert not by_problem(run(clients, min_messages=4))["jobs-dlq", "dlq"].firing


def test_an_empty_dead_letter_queue_is_reported_but_does_not_fire(clients: Clients) -> None:
    create_queue(clients, "jobs-dlq")
    create_queue(clients, "jobs", dead_letters_to="jobs-dlq")

    finding = by_problem(run(clients))["jobs-dlq", "dlq"]

    assert not finding.firing
    assert finding.title == "jobs-dlq: 0 dead letters from jobs"


def test_a_queue_no_redrive_policy_targets_is_not_a_dead_letter_queue(clients: Clients) -> None:
    create_queue(clients, "work-dlq", messages=4)

    assert ("work-dlq", "dlq") not in by_problem(run(clients, max_age=None))


def test_a_dead_letter_queue_fed_by_two_queues_names_both(clients: Clients) -> None:
    create_queue(clients, "shared-dlq", messages=1)
    create_queue(clients, "orders", dead_letters_to="shared-dlq")
    create_queue(clients, "billing", dead_letters_to="shared-dlq")

    finding = by_problem(run(clients))["shared-dlq", "dlq"]

    assert finding.title == "shared-dlq: 1 dead letter from billing, orders"


def test_a_queue_whose_oldest_message_is_older_than_max_age_fires(clients: Clients) -> None:
    create_queue(clients, "slow-queue", messages=1)
    create_queue(clients, "fast-queue", messages=1)
    put_age(clients, "slow-queue", NOW - timedelta(minutes=3), 7_200)
    put_age(clients, "fast-queue", NOW - timedelta(minutes=3), 90)

    findings = by_problem(run(clients))

    slow = findings["slow-queue", "age"]
    assert slow.firing
    assert slow.title == "slow-queue: oldest message 2h old"
    assert slow.fingerprint == f"sqs_dead_letters:{ACCOUNT_ID}:us-east-1:slow-queue:age"
    assert slow.evidence["Fires at"] == "oldest message 1h old"
    assert slow.started_at == (NOW - timedelta(minutes=3, seconds=30)) - timedelta(hours=1)
    assert not findings["fast-queue", "age"].firing
    assert not by_problem(run(clients, max_age="3h"))["slow-queue", "age"].firing


def test_the_newest_age_datapoint_counts_so_a_drained_queue_stops_firing(clients: Clients) -> None:
    create_queue(clients, "drained")
    put_age(clients, "drained", NOW - timedelta(minutes=6), 7_200)
    put_age(clients, "drained", NOW - timedelta(minutes=2), 0)

    assert not by_problem(run(clients))["drained", "age"].firing


def test_a_queue_without_recent_age_data_does_not_fire(clients: Clients) -> None:
    create_queue(clients, "quiet")
    put_age(clients, "quiet", NOW - timedelta(minutes=30), 7_200)

    finding = by_problem(run(clients))["quiet", "age"]

    assert not finding.firing
    assert finding.title == "quiet: no message age reported in 10m"


def test_only_queues_matching_the_globs_are_reported(clients: Clients) -> None:
    create_queue(clients, "orders-dlq", messages=1)
    create_queue(clients, "orders", dead_letters_to="orders-dlq")
    create_queue(clients, "billing-dlq", messages=1)
    create_queue(clients, "billing", dead_letters_to="billing-dlq")

    result = run(clients, queues=["orders*"])

    assert set(by_problem(result)) == {("orders-dlq", "dlq"), ("orders-dlq", "age"), ("orders", "age")}


def test_a_dead_letter_queue_is_recognised_even_when_its_source_queue_is_outside_the_globs(clients: Clients) -> None:
    create_queue(clients, "orders-dlq", messages=1)
    create_queue(clients, "orders", dead_letters_to="orders-dlq")

    result = run(clients, queues=["*-dlq"], max_age=None)

    assert [f.title for f in result.findings] == ["orders-dlq: 1 dead letter from orders"]


def test_every_page_of_queues_is_read_and_all_ages_come_from_one_get_metric_data_call(moto: MotoHandle) -> None:
    clients = Clients(moto, page_sizes={"sqs.ListQueues": 2})
    for index in range(5):
        create_queue(clients, f"queue-{index}")

    result = run(clients)

    assert {f.labels["queue"] for f in result.findings} == {f"queue-{index}" for index in range(5)}
    assert clients.calls["ListQueues"] == 3
    assert clients.calls["GetQueueAttributes"] == 5
    assert clients.calls["GetMetricData"] == 1


def test_max_age_null_turns_the_age_check_and_its_metric_call_off(clients: Clients) -> None:
    create_queue(clients, "jobs")

    result = run(clients, max_age=None)

    assert result.findings == []
    assert clients.calls["GetMetricData"] == 0


def test_a_queue_deleted_between_listing_and_reading_is_left_out(clients: Clients, moto: MotoHandle) -> None:
    create_queue(clients, "orders-dlq", messages=1)
    create_queue(clients, "orders", dead_letters_to="orders-dlq")
    doomed = create_queue(clients, "doomed")
    other = boto3.client("sqs", endpoint_url=moto.endpoint, region_name="us-east-1")

    def delete_first(params: dict[str, Any], **_: Any) -> None:
        if params["QueueUrl"] == doomed:
            other.delete_queue(QueueUrl=doomed)

    clients("sqs").meta.events.register("provide-client-params.sqs.GetQueueAttributes", delete_first)
    result = run(clients, max_age=None)

    assert [f.title for f in result.findings] == ["orders-dlq: 1 dead letter from orders"]
    assert clients.calls["GetQueueAttributes"] == 3


def test_the_run_covers_every_queue_of_the_region_so_a_deleted_queues_alerts_resolve(clients: Clients) -> None:
    result = run(clients)

    assert result.findings == []
    assert clients.calls["GetMetricData"] == 0
    assert result.covers(f"sqs_dead_letters:{ACCOUNT_ID}:us-east-1:deleted-dlq:dlq")
    assert not result.covers(f"sqs_dead_letters:{ACCOUNT_ID}:eu-west-1:deleted-dlq:dlq")


def test_params_reject_unknown_keys_and_a_zero_min_messages() -> None:
    with pytest.raises(ValueError, match="max_messages"):
        SqsDeadLettersParams.model_validate({"max_messages": 1})
    with pytest.raises(ValueError, match="min_messages"):
        SqsDeadLettersParams.model_validate({"min_messages": 0})
    assert SqsDeadLettersParams.model_validate({"max_age": "30m"}).max_age == timedelta(minutes=30)


def test_a_dead_letter_alert_names_the_function_that_consumes_its_source_queue(
    clients: Clients, moto: MotoHandle
) -> None:
    use_lambda_without_docker(moto.endpoint)
    seed_queues(clients("sqs"), random.Random(1), dead_letters=2)
    create_function(clients, "orders-consumer")
    source = f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:orders-queue"
    clients("lambda").create_event_source_mapping(EventSourceArn=source, FunctionName="orders-consumer")

    finding = by_problem(run(clients))["orders-dlq", "dlq"]

    assert finding.labels["function"] == "orders-consumer"
    assert finding.evidence["Consumed by"] == "orders-consumer"
    assert clients.calls["ListEventSourceMappings"] == 1
