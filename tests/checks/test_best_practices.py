"""The best_practices check against moto: every rule firing on a resource that breaks it and not firing on one that
keeps it. Where moto cannot hold the state (it drops a function's DeadLetterConfig; metric-math alarms), the rule
function is tested on the response dicts AWS documents.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.findings import Finding
from bot.enums import Severity
from sandbox.aws.server import MotoHandle, use_lambda_without_docker
from scheduler.checks import best_practice_rules as rules
from scheduler.checks.best_practice_rules import Rule
from scheduler.checks.best_practices import BestPracticesParams, best_practices
from scheduler.registry import CheckContext
from tests.checks.moto_clients import Clients
from tests.checks.moto_clients import create_function as make_function

ACCOUNT_ID = "123456789012"
NOW = datetime.now(UTC).replace(second=30, microsecond=0)


@pytest.fixture
def clients(moto: MotoHandle) -> Clients:
    use_lambda_without_docker(moto.endpoint)
    return Clients(moto)


def run(clients: Clients, *only: Rule, **params: object) -> dict[str, Finding]:
    ctx = CheckContext("default", ACCOUNT_ID, "us-east-1", NOW, clients)
    result = best_practices(ctx, BestPracticesParams(rules=list(only or Rule), **params))
    return {f"{f.labels['rule']}:{f.resource}": f for f in result.findings}


def firing(findings: dict[str, Finding]) -> set[str]:
    return {key for key, f in findings.items() if f.firing}


def create_function(clients: Clients, name: str, *, runtime: str = "python3.12", timeout: int = 30, memory: int = 128):
    return make_function(clients, name, Runtime=runtime, Timeout=timeout, MemorySize=memory)


def put_metrics(clients: Clients, function: str, **values: float) -> None:
    clients("cloudwatch").put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                "Timestamp": NOW - timedelta(hours=2),
                "Value": value,
            }
            for metric, value in values.items()
        ],
    )


def test_an_async_function_without_a_dlq_fires_until_an_on_failure_destination_is_set(clients: Clients) -> None:
    create_function(clients, "thumbnails")
    create_function(clients, "api")
    clients("lambda").add_permission(
        FunctionName="thumbnails", StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
    )  # fmt: skip
    found = run(clients, Rule.ASYNC_NO_DLQ)
    assert firing(found) == {"async_no_dlq:thumbnails"}
    assert found["async_no_dlq:thumbnails"].evidence["Async triggers"] == "s3.amazonaws.com"
    assert not found["async_no_dlq:api"].firing  # no async trigger known

    destination = {"OnFailure": {"Destination": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:failed"}}
    clients("lambda").put_function_event_invoke_config(FunctionName="thumbnails", DestinationConfig=destination)
    assert firing(run(clients, Rule.ASYNC_NO_DLQ)) == set()


def test_a_dead_letter_config_also_keeps_failed_async_events() -> None:
    # moto drops DeadLetterConfig from CreateFunction/UpdateFunctionConfiguration: ListFunctions' shape instead.
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}}]})
    function = {"FunctionName": "fan-out"}
    assert rules.async_no_dlq(function, policy, None).firing
    function["DeadLetterConfig"] = {"TargetArn": "arn:aws:sqs:us-east-1:1:dlq"}  # type: ignore[assignment]
    assert not rules.async_no_dlq(function, policy, None).firing
    # An async invoke config alone (retries set, no destination) says the function is invoked asynchronously.
    assert rules.async_no_dlq({"FunctionName": "x"}, None, {"MaximumRetryAttempts": 0}).firing


def test_deprecated_runtimes_fire_and_current_ones_do_not(clients: Clients) -> None:
    create_function(clients, "legacy", runtime="python3.8")
    create_function(clients, "modern", runtime="python3.12")
    found = run(clients, Rule.DEPRECATED_RUNTIME)
    assert firing(found) == {"deprecated_runtime:legacy"}
    assert found["deprecated_runtime:legacy"].evidence["Deprecated"] == "since 2024-10-14"
    assert not rules.deprecated_runtime({"FunctionName": "x", "Runtime": "python3.8"}, date(2024, 10, 13)).firing


def test_timeouts_fire_at_the_default_when_runs_near_it_and_at_the_maximum(clients: Clients) -> None:
    create_function(clients, "close", timeout=3)
    create_function(clients, "roomy", timeout=3)
    create_function(clients, "forever", timeout=900)
    create_function(clients, "chosen", timeout=30)
    put_metrics(clients, "close", Duration=2600)
    put_metrics(clients, "roomy", Duration=900)
    put_metrics(clients, "chosen", Duration=29000)
    found = run(clients, Rule.LAMBDA_TIMEOUT)
    assert firing(found) == {"lambda_timeout:close", "lambda_timeout:forever"}
    assert found["lambda_timeout:close"].evidence["Slowest invocation (1 day)"] == "2600 ms"
    assert found["lambda_timeout:forever"].severity is Severity.INFO


def test_log_groups_without_retention_fire(clients: Clients) -> None:
    logs = clients("logs")
    logs.create_log_group(logGroupName="/app/forever")
    logs.create_log_group(logGroupName="/app/weekly")
    logs.put_retention_policy(logGroupName="/app/weekly", retentionInDays=7)
    logs.create_log_group(logGroupName="/other/forever")
    found = run(clients, Rule.LOG_RETENTION, log_groups=["/app/*"])
    assert firing(found) == {"log_retention:/app/forever"}
    assert set(found) == {"log_retention:/app/forever", "log_retention:/app/weekly"}


def test_queues_without_a_dead_letter_queue_fire_but_a_dead_letter_queue_itself_does_not(clients: Clients) -> None:
    sqs = clients("sqs")
    sqs.create_queue(QueueName="orders-dlq")
    policy = {"deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:orders-dlq", "maxReceiveCount": "5"}
    sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": json.dumps(policy)})
    sqs.create_queue(QueueName="emails")
    found = run(clients, Rule.SQS_NO_DLQ)
    assert firing(found) == {"sqs_no_dlq:emails"}
    assert set(found) == {"sqs_no_dlq:emails", "sqs_no_dlq:orders"}


def test_failing_functions_without_an_errors_alarm_fire(clients: Clients) -> None:
    for name in ("unwatched", "watched", "healthy"):
        create_function(clients, name)
    put_metrics(clients, "unwatched", Errors=4, Invocations=10)
    put_metrics(clients, "watched", Errors=2, Invocations=10)
    put_metrics(clients, "healthy", Errors=0, Invocations=10)
    clients("cloudwatch").put_metric_alarm(
        AlarmName="watched-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum", Period=60,
        Dimensions=[{"Name": "FunctionName", "Value": "watched"}], EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    found = run(clients, Rule.ERRORS_NO_ALARM)
    assert firing(found) == {"errors_no_alarm:unwatched"}
    assert found["errors_no_alarm:unwatched"].evidence["Errors (1 day)"] == "4"


def test_an_errors_alarm_in_metric_math_counts() -> None:
    # moto stores metric-math alarms but never evaluates them; DescribeAlarms' documented shape instead.
    stat = {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Errors",
                       "Dimensions": [{"Name": "FunctionName", "Value": "billing"}]}}  # fmt: skip
    alarms = [{"AlarmName": "rate", "Metrics": [{"Id": "e", "MetricStat": stat}, {"Id": "r", "Expression": "e/1"}]}]
    assert rules.errors_alarmed_functions(alarms) == {"billing"}


def test_buckets_without_a_public_access_block_or_default_encryption_fire(clients: Clients) -> None:
    s3 = clients("s3")
    s3.create_bucket(Bucket="open-bucket")
    s3.create_bucket(Bucket="tight-bucket")
    s3.create_bucket(Bucket="far-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_public_access_block(
        Bucket="tight-bucket",
        PublicAccessBlockConfiguration=dict.fromkeys(
            ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
        ),
    )
    encryption = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}
    s3.put_bucket_encryption(Bucket="tight-bucket", ServerSideEncryptionConfiguration=encryption)
    found = run(clients, Rule.S3_PUBLIC_ACCESS_BLOCK, Rule.S3_ENCRYPTION)
    assert firing(found) == {"s3_public_access_block:open-bucket", "s3_encryption:open-bucket"}
    assert "far-bucket" not in {f.resource for f in found.values()}  # judged by the eu-west-1 run
    partial = rules.s3_public_access_block("b", {"BlockPublicAcls": True, "BlockPublicPolicy": False})
    assert partial.firing and partial.evidence["Public access block"] == "off: BlockPublicPolicy"


def write_reports(clients: Clients, function: str, memory: int, used: list[int]) -> None:
    logs, group = clients("logs"), f"/aws/lambda/{function}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    start = int((NOW - timedelta(hours=3)).timestamp() * 1000)
    events = [
        {"timestamp": start + i * 1000, "message": f"START RequestId: r{i} Version: $LATEST"} for i in range(len(used))
    ] + [
        {"timestamp": start + i * 1000 + 500, "message": f"REPORT RequestId: r{i}\tDuration: 800.00 ms\tBilled "
         f"Duration: 800 ms\tMemory Size: {memory} MB\tMax Memory Used: {mb} MB"}
        for i, mb in enumerate(used)
    ]  # fmt: skip
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=sorted(events, key=lambda e: e["timestamp"]))


def test_memory_far_above_peak_use_fires_with_the_monthly_saving(clients: Clients) -> None:
    create_function(clients, "fat", memory=1024)
    create_function(clients, "snug", memory=256)
    write_reports(clients, "fat", 1024, [90, 100, 95])
    write_reports(clients, "snug", 256, [200, 210, 190])
    put_metrics(clients, "fat", Duration=3_600_000, Invocations=4500)
    found = run(clients, Rule.LAMBDA_MEMORY, min_reports=3)
    assert firing(found) == {"lambda_memory:fat"}
    fat = found["lambda_memory:fat"]
    # Suggested: ceil(100 × 1.3 / 64) × 64 = 192 MB; (1024 − 192) / 1024 GB × 3,600 s × 30 × $0.0000166667 = $1.46
    assert fat.evidence["Suggested"].startswith("192 MB")
    assert fat.evidence["Monthly saving"].startswith("$1.46")
    assert not run(clients, Rule.LAMBDA_MEMORY, min_reports=4)["lambda_memory:fat"].firing  # too few invocations


def test_findings_are_fingerprinted_per_rule_and_resource_and_scoped_per_rule(clients: Clients) -> None:
    create_function(clients, "legacy", runtime="python3.8")
    ctx = CheckContext("default", ACCOUNT_ID, "us-east-1", NOW, clients)
    result = best_practices(ctx, BestPracticesParams(rules=[Rule.DEPRECATED_RUNTIME]))
    [legacy] = result.findings
    assert legacy.fingerprint == f"best_practices:{ACCOUNT_ID}:us-east-1:deprecated_runtime:legacy"
    assert legacy.labels == {"rule": "deprecated_runtime", "fingerprint": legacy.fingerprint}
    assert legacy.notify is False
    assert legacy.summary == rules.WHY[Rule.DEPRECATED_RUNTIME]
    assert legacy.links["console"].startswith("https://us-east-1.console.aws.amazon.com/lambda/")
    # A removed resource resolves too: every rule's prefix is in the run's scope.
    assert result.covers(f"best_practices:{ACCOUNT_ID}:us-east-1:sqs_no_dlq:gone")
    assert not result.covers(f"best_practices:{ACCOUNT_ID}:eu-west-1:sqs_no_dlq:gone")
