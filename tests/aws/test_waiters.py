"""boto3 waiters one poll at a time, against moto; a waiter or ids that do not fit are an AWS-layer error."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.client import BaseClient

from bot.aws.waiters import WaiterInputError, WaiterSpec, paced, poll_once, waiter_spec
from sandbox.aws.server import MotoHandle


def client(moto: MotoHandle, service: str) -> BaseClient:
    return boto3.client(service, endpoint_url=moto.endpoint, region_name="us-east-1")


def test_an_unknown_waiter_names_the_service_and_carries_its_real_waiters(moto: MotoHandle) -> None:
    ec2 = client(moto, "ec2")
    with pytest.raises(WaiterInputError) as caught:
        waiter_spec(ec2, "ec2", "instance_runing", ("i-1",))
    assert caught.value.problem == "`ec2` has no waiter `instance_runing`."
    assert "instance_running" in caught.value.waiter_names and "instance_stopped" in caught.value.waiter_names


def test_ids_that_do_not_fit_the_operation_say_what_it_needs(moto: MotoHandle) -> None:
    with pytest.raises(WaiterInputError) as caught:
        waiter_spec(client(moto, "s3"), "s3", "object_exists", ("my-bucket",))
    assert caught.value.problem == "`s3 object_exists` needs 2 value(s): BUCKET KEY."
    assert caught.value.waiter_names == ()


def test_ids_fill_the_operation_input_and_one_poll_reads_the_state(moto: MotoHandle) -> None:
    ec2 = client(moto, "ec2")
    instance = ec2.run_instances(ImageId="ami-0c02fb55956c7d316", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    spec = waiter_spec(ec2, "ec2", "instance_running", (instance,))

    assert (spec.operation, spec.params) == ("DescribeInstances", {"InstanceIds": [instance]})
    result = poll_once(ec2, spec.waiter, spec.params)
    assert (result.state, result.detail) == ("success", "state: running")


@pytest.mark.parametrize(
    ("service", "waiter", "ids", "detail"),
    [
        ("ec2", "instance_stopped", ("i-1",), "state: "),  # Reservations[].Instances[].State.Name
        ("cloudformation", "stack_create_complete", ("orders",), "stack status: "),
    ],
)
def test_what_a_poll_saw_is_named_in_words(
    moto: MotoHandle, service: str, waiter: str, ids: tuple[str, ...], detail: str
) -> None:
    aws = client(moto, service)
    if service == "ec2":
        launched = aws.run_instances(ImageId="ami-0c02fb55956c7d316", MinCount=1, MaxCount=1)
        ids = (launched["Instances"][0]["InstanceId"],)
    else:
        aws.create_stack(StackName=ids[0], TemplateBody='{"Resources": {}}')
    spec = waiter_spec(aws, service, waiter, ids)
    assert poll_once(aws, spec.waiter, spec.params).detail.startswith(detail)


EC2_RUNNING = WaiterSpec("ec2", "instance_running", "DescribeInstances", 15, 40, {"InstanceIds": ["i-1"]})


def test_a_timeout_of_several_delays_keeps_the_waiters_pace_and_polls_until_it_is_up() -> None:
    spec = paced(EC2_RUNNING, timedelta(minutes=1))
    assert (spec.delay_seconds, spec.max_attempts) == (15, 5)  # at 0, 15, 30, 45 and 60 s


def test_a_timeout_shorter_than_a_few_delays_polls_faster_instead_of_giving_up_at_once() -> None:
    spec = paced(EC2_RUNNING, timedelta(seconds=20))
    assert (spec.delay_seconds, spec.max_attempts) == (6, 4)  # at 0, 6, 12 and 18 s
    assert paced(EC2_RUNNING, timedelta(seconds=1)).delay_seconds == 1
