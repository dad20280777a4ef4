from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.grouping import is_error
from sandbox.aws import (
    Estate,
    MotoHandle,
    break_function,
    sandbox_client,
    seed_estate,
    set_alarm_state,
    start_moto,
)
from sandbox.aws.estate import QUIET_FOR

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def estate(moto_session: MotoHandle) -> Estate:
    moto_session.reset()  # moto's state belongs to the process: start from empty whatever ran before
    return seed_estate(moto_session.endpoint, now=NOW)


def _messages(estate: Estate, function: str, phrase: str, *, start: datetime | None = None) -> list[str]:
    logs = sandbox_client(estate.endpoint, "logs")
    kwargs: dict[str, Any] = {"logGroupName": f"/aws/lambda/{function}", "filterPattern": f'"{phrase}"'}
    if start:
        kwargs["startTime"] = int(start.timestamp() * 1000)
    pages = logs.get_paginator("filter_log_events").paginate(interleaved=True, **kwargs)
    return [event["message"] for page in pages for event in page["events"]]


def test_moto_listens_on_loopback_at_a_free_port() -> None:
    with start_moto() as moto:
        host, port = moto.endpoint.removeprefix("http://").split(":")

        assert host == "127.0.0.1"
        assert port != "5000"


def test_environment_points_boto3_at_moto(moto_session: MotoHandle) -> None:
    environment = moto_session.environment("eu-west-1")

    assert environment["AWS_ENDPOINT_URL"] == moto_session.endpoint
    assert environment["AWS_DEFAULT_REGION"] == "eu-west-1"


def test_seeded_functions_exist_in_four_runtimes(estate: Estate) -> None:
    functions = sandbox_client(estate.endpoint, "lambda").list_functions()["Functions"]

    assert {(f["FunctionName"], f["Runtime"]) for f in functions} == {
        ("orders-api", "python3.12"),
        ("payments-worker", "nodejs20.x"),
        ("invoice-renderer", "java21"),
        ("image-resizer", "provided.al2023"),
    }
    assert {f["Role"] for f in functions} == {estate.role_arn}


def test_every_invocation_has_start_end_and_report_lines(estate: Estate) -> None:
    for function in estate.functions:
        starts = _messages(estate, function.name, "START RequestId")
        reports = _messages(estate, function.name, "REPORT RequestId")

        assert len(starts) == len(reports) == function.invocations
        assert all("Billed Duration:" in report and "Max Memory Used:" in report for report in reports)


def test_seeded_logs_cover_the_last_hour(estate: Estate) -> None:
    logs = sandbox_client(estate.endpoint, "logs")
    events = logs.filter_log_events(logGroupName="/aws/lambda/orders-api", interleaved=True)["events"]
    stamps = [datetime.fromtimestamp(event["timestamp"] / 1000, UTC) for event in events]

    assert NOW - timedelta(hours=1) <= min(stamps) < max(stamps) <= NOW


def test_python_errors_are_tracebacks_with_error_lines(estate: Estate) -> None:
    unhandled = _messages(estate, "orders-api", "[ERROR] KeyError: 'customer_id'")
    logged = _messages(estate, "orders-api", "Could not reserve stock")
    bad_values = _messages(estate, "orders-api", "[ERROR] ValueError: invalid quantity")

    assert len(unhandled) == 3
    assert all("Traceback (most recent call last):" in message for message in unhandled + logged)
    assert logged[0].startswith("[ERROR]\t")
    assert len(set(bad_values)) > 1, "repeated errors should differ in their values"


def test_node_errors_use_the_invoke_error_json_shape(estate: Estate) -> None:
    errors = _messages(estate, "payments-worker", "Invoke Error")
    shape = json.loads(errors[0].split("\tInvoke Error \t", 1)[1])

    assert "\tERROR\tInvoke Error \t" in errors[0]
    assert {"errorType", "errorMessage", "stack"} <= shape.keys()


def test_java_errors_carry_stack_traces_with_causes(estate: Estate) -> None:
    errors = _messages(estate, "invoice-renderer", "Caused by:")

    assert len(errors) == 3
    assert "\tat com.acme.invoices.PdfRenderer.render(PdfRenderer.java:88)" in errors[0]


def test_go_panics_and_out_of_memory_kills_end_the_runtime(estate: Estate) -> None:
    panics = _messages(estate, "image-resizer", "panic: runtime error")
    exits = _messages(estate, "image-resizer", "Runtime exited with error")

    assert len(panics) == 2
    assert "goroutine" in panics[0]
    assert sorted(exit.split("error: ")[1].split("\n")[0] for exit in exits) == [
        "exit status 2",
        "exit status 2",
        "signal: killed",
    ]


def test_timeouts_are_logged_as_lambda_does(estate: Estate) -> None:
    assert len(_messages(estate, "orders-api", "Task timed out after 3.00 seconds")) == 2


def test_retry_warnings_are_warnings_not_errors(estate: Estate) -> None:
    warnings = _messages(estate, "payments-worker", "retrying after transient error")

    assert warnings
    assert all("\tWARN\t" in message and "ERROR" not in message for message in warnings)


def test_one_alarm_fires_and_one_is_ok(estate: Estate) -> None:
    cloudwatch = sandbox_client(estate.endpoint, "cloudwatch")

    firing = cloudwatch.describe_alarms(StateValue="ALARM")["MetricAlarms"]
    quiet = cloudwatch.describe_alarms(AlarmNames=[estate.alarm_ok])["MetricAlarms"]

    assert [alarm["AlarmName"] for alarm in firing] == [estate.alarm_firing]
    assert firing[0]["Dimensions"] == [{"Name": "FunctionName", "Value": "orders-api"}]
    assert quiet[0]["StateValue"] == "OK"


def test_errors_metric_counts_the_failed_invocations(estate: Estate) -> None:
    cloudwatch = sandbox_client(estate.endpoint, "cloudwatch")
    for function in estate.functions:
        datapoints = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[{"Name": "FunctionName", "Value": function.name}],
            StartTime=NOW - timedelta(hours=2),
            EndTime=NOW + timedelta(minutes=1),
            Period=7200,
            Statistics=["Sum", "SampleCount"],
        )["Datapoints"]

        assert sum(point["Sum"] for point in datapoints) == function.errors
        assert sum(point["SampleCount"] for point in datapoints) == function.invocations


def test_running_instance_is_tagged(estate: Estate) -> None:
    reservations = sandbox_client(estate.endpoint, "ec2").describe_instances(InstanceIds=[estate.instance_id])
    instance = reservations["Reservations"][0]["Instances"][0]

    assert instance["State"]["Name"] == "running"
    assert {tag["Key"] for tag in instance["Tags"]} >= {"Name", "team", "project"}


def test_orders_queue_redrives_to_the_dlq_which_holds_messages(estate: Estate) -> None:
    sqs = sandbox_client(estate.endpoint, "sqs")

    attributes = sqs.get_queue_attributes(QueueUrl=estate.queue_url, AttributeNames=["RedrivePolicy"])["Attributes"]
    depth = sqs.get_queue_attributes(QueueUrl=estate.dlq_url, AttributeNames=["ApproximateNumberOfMessages"])

    assert json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"] == estate.dlq_arn
    assert int(depth["Attributes"]["ApproximateNumberOfMessages"]) == estate.dlq_messages == 2


def test_resources_carry_team_and_project_tags(estate: Estate) -> None:
    orders = estate.function("orders-api")

    function_tags = sandbox_client(estate.endpoint, "lambda").list_tags(Resource=orders.arn)["Tags"]
    group_tags = sandbox_client(estate.endpoint, "logs").list_tags_log_group(logGroupName=orders.log_group)["tags"]
    queue_tags = sandbox_client(estate.endpoint, "sqs").list_queue_tags(QueueUrl=estate.queue_url)["Tags"]

    for tags in (function_tags, group_tags, queue_tags):
        assert {"team", "project"} <= tags.keys()


def test_break_function_appends_fresh_errors_and_metrics(estate: Estate) -> None:
    now = datetime.now(UTC)

    broken = break_function(estate.endpoint, "orders-api", failures=2, now=now)

    fresh = _messages(estate, "orders-api", "[ERROR] KeyError", start=now - timedelta(seconds=30))
    assert len(fresh) == 2
    stream = sandbox_client(estate.endpoint, "logs").get_log_events(
        logGroupName=broken.log_group, logStreamName=broken.log_stream, startFromHead=True
    )["events"]
    assert [e["message"] for e in stream if e["message"].startswith("START")] == [
        f"START RequestId: {request_id} Version: $LATEST\n" for request_id in broken.request_ids
    ]
    errors = sandbox_client(estate.endpoint, "cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "orders-api"}],
        StartTime=now - timedelta(minutes=2),
        EndTime=now + timedelta(minutes=1),
        Period=180,
        Statistics=["Sum"],
    )["Datapoints"]
    assert sum(point["Sum"] for point in errors) >= 2


def test_break_function_refuses_functions_the_sandbox_does_not_know(estate: Estate) -> None:
    with pytest.raises(LookupError, match="'billing-api' is not a sandbox function"):
        break_function(estate.endpoint, "billing-api")


def test_set_alarm_state_moves_the_alarm(estate: Estate) -> None:
    set_alarm_state(estate.endpoint, estate.alarm_ok, "ALARM", "Threshold Crossed: test")

    alarm = sandbox_client(estate.endpoint, "cloudwatch").describe_alarms(AlarmNames=[estate.alarm_ok])
    assert alarm["MetricAlarms"][0]["StateValue"] == "ALARM"
    set_alarm_state(estate.endpoint, estate.alarm_ok, "OK", "back to normal")


def test_a_second_region_can_be_seeded_in_seconds(estate: Estate) -> None:
    started = time.monotonic()
    second = seed_estate(estate.endpoint, "eu-west-1", now=NOW)

    assert time.monotonic() - started < 30
    assert second.role_arn == estate.role_arn
    assert second.function("orders-api").arn.startswith("arn:aws:lambda:eu-west-1:")


def test_a_quiet_estate_had_its_troubles_before_the_quiet_stretch_and_has_no_dead_letters(estate: Estate) -> None:
    quiet = seed_estate(estate.endpoint, "us-west-2", now=NOW, quiet=True)
    stretch = NOW - QUIET_FOR
    logs = sandbox_client(estate.endpoint, "logs", "us-west-2")
    cloudwatch = sandbox_client(estate.endpoint, "cloudwatch", "us-west-2")

    for function in quiet.functions:
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=function.log_group, interleaved=True)
        events = [event for page in pages for event in page["events"]]
        recent = [event["message"] for event in events if event["timestamp"] >= stretch.timestamp() * 1000]
        assert recent and all(is_error(message) is False for message in recent), function.name
        assert any(is_error(event["message"]) for event in events), function.name
        for metric in ("Errors", "Throttles"):
            datapoints = cloudwatch.get_metric_statistics(
                Namespace="AWS/Lambda", MetricName=metric, StartTime=stretch, EndTime=NOW + timedelta(minutes=1),
                Dimensions=[{"Name": "FunctionName", "Value": function.name}], Period=60, Statistics=["Sum"],
            )["Datapoints"]  # fmt: skip
            assert sum(point["Sum"] for point in datapoints) == 0, (function.name, metric)
    depth = sandbox_client(estate.endpoint, "sqs", "us-west-2").get_queue_attributes(
        QueueUrl=quiet.dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert int(depth["Attributes"]["ApproximateNumberOfMessages"]) == quiet.dlq_messages == 0


# moto's state belongs to the process, so resetting empties the estate too: this test runs last.
def test_reset_forgets_every_resource(moto_session: MotoHandle) -> None:
    sqs = sandbox_client(moto_session.endpoint, "sqs")
    assert sqs.list_queues().get("QueueUrls")

    moto_session.reset()

    assert sqs.list_queues().get("QueueUrls", []) == []
