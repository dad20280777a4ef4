"""boto3 waiters one poll at a time, against moto; a waiter or ids that do not fit are an AWS-layer error."""

from __future__ import annotations

import boto3
import pytest
from botocore.client import BaseClient

from bot.aws.waiters import WaiterInputError, poll_once, waiter_spec
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
    assert (result.state, result.detail) == ("success", "Name: running")
