"""Seed moto with a small, realistic estate.

Four Lambda functions in four runtimes, each with an hour of logs and metrics; an alarm firing and one quiet;
a tagged EC2 instance; an order queue whose dead-letter queue holds messages. A quiet estate (the sandbox's) had
its troubles earlier: nothing failed in its last `QUIET_FOR` and its dead-letter queue is empty, so only the
firing alarm says something is wrong until someone breaks something.
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.client import BaseClient

from sandbox.aws.alarms import FIRING_ALARM, QUIET_ALARM, put_sandbox_alarms
from sandbox.aws.functions import WORKLOADS
from sandbox.aws.lambda_logs import FAILED, Invocation, new_request_id, new_stream, write_invocation
from sandbox.aws.lambda_metrics import LambdaMetrics
from sandbox.aws.queues import seed_queues
from sandbox.aws.server import SANDBOX_ACCOUNT_ID, sandbox_client, use_lambda_without_docker
from sandbox.aws.workload import Story, Workload

STREAMS_PER_FUNCTION = 2
LAMBDA_ROLE = "storefront-lambda"
INSTANCE_IMAGE_ID = "ami-0c02fb55956c7d316"
QUIET_FOR = timedelta(minutes=20)
"""Longer than the sandbox checks look back (lambda_errors' 15-minute window, log_errors' first 5 minutes)."""


@dataclass(frozen=True)
class SeededFunction:
    name: str
    arn: str
    runtime: str
    log_group: str
    log_streams: tuple[str, ...]
    invocations: int
    errors: int
    """Invocations that Lambda counts as errors (also the sum of the seeded `Errors` metric)."""


@dataclass(frozen=True)
class Estate:
    endpoint: str
    region: str
    account_id: str
    role_arn: str
    functions: tuple[SeededFunction, ...]
    alarm_firing: str
    alarm_ok: str
    instance_id: str
    queue_url: str
    dlq_url: str
    dlq_arn: str
    dlq_messages: int

    def function(self, name: str) -> SeededFunction:
        for function in self.functions:
            if function.name == name:
                return function
        raise LookupError(f"no seeded function {name!r}")


def seed_estate(
    endpoint: str, region: str = "us-east-1", *, now: datetime | None = None, seed: int = 7, quiet: bool = False
) -> Estate:
    """Create the estate through boto3 against `endpoint`; the logs and metrics cover the hour before `now`.

    `quiet`: failures, logged errors and throttles all happened before the last `QUIET_FOR`, and the dead-letter
    queue is empty.
    """
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    use_lambda_without_docker(endpoint)

    def client(service: str) -> BaseClient:
        return sandbox_client(endpoint, service, region)

    role_arn = _lambda_role(client("iam"))
    lambda_client, logs, cloudwatch = client("lambda"), client("logs"), client("cloudwatch")
    functions = tuple(
        _seed_function(lambda_client, logs, cloudwatch, workload, role_arn, region, now=now, quiet=quiet, rng=rng)
        for workload in WORKLOADS
    )
    put_sandbox_alarms(cloudwatch, now=now)
    queues = seed_queues(client("sqs"), rng, dead_letters=0 if quiet else 2)
    return Estate(
        endpoint=endpoint,
        region=region,
        account_id=SANDBOX_ACCOUNT_ID,
        role_arn=role_arn,
        functions=functions,
        alarm_firing=FIRING_ALARM,
        alarm_ok=QUIET_ALARM,
        instance_id=_run_instance(client("ec2")),
        queue_url=queues.queue_url,
        dlq_url=queues.dlq_url,
        dlq_arn=queues.dlq_arn,
        dlq_messages=queues.dlq_messages,
    )


def _lambda_role(iam: BaseClient) -> str:
    """The functions' execution role; IAM is global, so a second region's seeding finds it made."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    try:
        return iam.create_role(RoleName=LAMBDA_ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        return iam.get_role(RoleName=LAMBDA_ROLE)["Role"]["Arn"]


def _seed_function(
    lambda_client: BaseClient,
    logs: BaseClient,
    cloudwatch: BaseClient,
    workload: Workload,
    role_arn: str,
    region: str,
    *,
    now: datetime,
    quiet: bool,
    rng: random.Random,
) -> SeededFunction:
    created = lambda_client.create_function(
        FunctionName=workload.name,
        Runtime=workload.runtime,
        Role=role_arn,
        Handler=workload.handler,
        Description=workload.description,
        Code={"ZipFile": _placeholder_package()},
        MemorySize=workload.platform.memory_mb,
        Timeout=workload.platform.timeout_s,
        Tags=workload.tags,
    )
    log_group = f"/aws/lambda/{workload.name}"
    logs.create_log_group(logGroupName=log_group, tags=workload.tags)
    stories = [story for story, times in workload.hour for _ in range(times)]
    rng.shuffle(stories)
    hour_ago = now - timedelta(hours=1)
    hour = _quiet_hour(stories, hour_ago, workload, rng) if quiet else _hour(stories, hour_ago, rng)
    streams = [new_stream(hour_ago, rng) for _ in range(STREAMS_PER_FUNCTION)]
    metrics = LambdaMetrics(workload.name)
    for start, story in hour.timeline:
        invocation = story(rng)
        stream = rng.choice(streams)
        write_invocation(
            stream, workload.platform, invocation, request_id=new_request_id(rng), start=start, region=region, rng=rng
        )
        metrics.record(start, invocation)
    for _ in range(workload.throttles_per_hour):
        metrics.throttle(rng.choice(hour.throttle_times))
    used = [stream for stream in streams if stream.events]
    for stream in used:
        stream.upload(logs, log_group)
    metrics.put(cloudwatch)
    return SeededFunction(
        name=workload.name,
        arn=created["FunctionArn"],
        runtime=workload.runtime,
        log_group=log_group,
        log_streams=tuple(stream.name for stream in used),
        invocations=metrics.invocations.total(),
        errors=metrics.errors.total(),
    )


@dataclass(frozen=True)
class _Hour:
    timeline: list[tuple[datetime, Story]]
    """When each invocation starts, oldest first, and what it does."""
    throttle_times: list[datetime]


def _hour(stories: list[Story], hour_ago: datetime, rng: random.Random) -> _Hour:
    starts = sorted(hour_ago + timedelta(seconds=rng.uniform(60, 3480)) for _ in stories)
    return _Hour(list(zip(starts, stories, strict=True)), starts)


def _quiet_hour(stories: list[Story], hour_ago: datetime, workload: Workload, rng: random.Random) -> _Hour:
    """As `_hour`, but a troubled invocation ends (at its timeout at the latest) before the last `QUIET_FOR`."""
    quiet_from = 3600.0 - QUIET_FOR.total_seconds() - workload.platform.timeout_s
    timeline: list[tuple[datetime, Story]] = []
    for story in stories:
        invocation = story(rng)
        latest = min(quiet_from, 3480.0) if _troubled(invocation) else 3480.0
        timeline.append((hour_ago + timedelta(seconds=rng.uniform(60, latest)), _replay(invocation)))
    timeline.sort(key=lambda entry: entry[0])
    return _Hour(timeline, [start for start, _ in timeline if start <= hour_ago + timedelta(seconds=quiet_from)])


def _replay(invocation: Invocation) -> Story:
    return lambda _rng: invocation


def _troubled(invocation: Invocation) -> bool:
    """Whether the checks would see it: Lambda counts it as an error, or it logged an error."""
    return invocation.outcome in FAILED or any(level in (None, "ERROR") for level, _ in invocation.lines)


def _run_instance(ec2: BaseClient) -> str:
    tags = [
        {"Key": "Name", "Value": "reporting-batch"},
        {"Key": "team", "Value": "data"},
        {"Key": "project", "Value": "reporting"},
    ]
    reservation = ec2.run_instances(
        ImageId=INSTANCE_IMAGE_ID,
        InstanceType="t3.medium",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )
    instance_id = reservation["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    return instance_id


def _placeholder_package() -> bytes:
    """A deployment package moto accepts; the sandbox never runs the code."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("README", "sandbox function: its logs are seeded, its code never runs\n")
    return buffer.getvalue()
