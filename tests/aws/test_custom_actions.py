"""Custom runbook actions from the config, judged by botocore's service model before anything runs: each mistake is
one line naming its path; a valid one fills its placeholders from an alert's labels into the exact request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from policy_sentry.querying.all import get_all_actions

from bot.aws.custom_action_settings import CustomActionSettings
from bot.aws.custom_actions import (
    InvalidCustomAction,
    custom_action,
    custom_action_problems,
    service_model,
)
from bot.aws.runbook import planned_call
from bot.cli import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "boltwatch.yml"

SCALE_OUT: dict[str, Any] = {
    "name": "ecs_scale_out",
    "title": "Scale out to 4 tasks",
    "applies_to": ["ecs_services"],
    "service": "ecs",
    "operation": "UpdateService",
    "params": {
        "cluster": "{label.cluster}",
        "service": "{label.service}",
        "desiredCount": 4,
        "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 200},
    },
    "confirm": "Scale {label.cluster}/{label.service} out to 4 tasks",
    "verify": {"waiter": "services_stable", "params": {"cluster": "{label.cluster}", "services": ["{label.service}"]}},
}
LABELS = {"resource": "web/api", "cluster": "web", "service": "api", "check": "ecs_services"}


def problems(**changes: Any) -> list[str]:
    return custom_action_problems(CustomActionSettings.model_validate(SCALE_OUT | changes))


def test_a_valid_entry_has_no_problems_and_fills_its_request_from_the_labels() -> None:
    assert problems() == []
    action = custom_action(CustomActionSettings.model_validate(SCALE_OUT))
    params = action.params_from(LABELS)
    assert planned_call(action, params).shown() == (
        "ecs.UpdateService(cluster='web', service='api', desiredCount=4, "
        "deploymentConfiguration={'minimumHealthyPercent': 100, 'maximumPercent': 200})"
    )
    assert action.verify is not None and action.verify.params(params) == {"cluster": "web", "services": ["api"]}
    assert action.confirmation(params) == "Scale web/api out to 4 tasks"
    assert action.resource(params) == "web/api"


def test_a_misspelt_parameter_names_its_path_and_the_closest_real_name() -> None:
    params = {"FunctionNam": "{label.function}", "ReservedConcurrentExecutions": 5}
    found = problems(service="lambda", operation="PutFunctionConcurrency", params=params, verify=None)
    assert found == [
        "params.FunctionNam: not a parameter of lambda PutFunctionConcurrency (did you mean FunctionName?)",
        "params: FunctionName is required by lambda PutFunctionConcurrency",
    ]


def test_nested_members_are_checked_against_their_own_shape() -> None:
    params = SCALE_OUT["params"] | {"deploymentConfiguration": {"maximumPercen": 200}}
    assert problems(params=params) == [
        "params.deploymentConfiguration.maximumPercen: not a member of DeploymentConfiguration "
        "(did you mean maximumPercent?)"
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"service": "lamda"}, "service: unknown AWS service 'lamda' (did you mean lambda?)"),
        ({"operation": "UpdateServices"},
         "operation: ecs has no operation 'UpdateServices' (did you mean UpdateService?)"),
        ({"operation": "update_service"}, "operation: write it as AWS names it: UpdateService"),
        ({"params": SCALE_OUT["params"] | {"desiredCount": "four"}},
         "params.desiredCount: expected an integer, got 'four'"),
        ({"params": SCALE_OUT["params"] | {"cluster": 7}}, "params.cluster: expected a string, got 7 (quote it)"),
        ({"params": SCALE_OUT["params"] | {"service": "{lable.service}"}},
         "params.service: unknown placeholder {lable.service} (use {resource}, {account}, {region} or {label.NAME})"),
        ({"confirm": "Scale {cluster} out"},
         "confirm: unknown placeholder {cluster} (use {resource}, {account}, {region} or {label.NAME})"),
        ({"verify": {"waiter": "services_stabl", "params": {}}},
         "verify.waiter: ecs has no waiter 'services_stabl' (did you mean services_stable?)"),
        ({"verify": {"waiter": "services_stable", "params": {"services": "{label.service}"}}},
         "verify.params.services: expected a list, got '{label.service}'"),
        ({"permissions": ["UpdateService"]},
         "permissions[0]: 'UpdateService' is not an IAM action like lambda:PutFunctionConcurrency"),
    ],
)  # fmt: skip
def test_each_mistake_is_one_line_naming_its_path(change: dict[str, Any], problem: str) -> None:
    assert problems(**change) == [problem]


def test_a_service_without_waiters_cannot_be_verified_by_one() -> None:
    found = problems(service="sqs", operation="PurgeQueue", params={"QueueUrl": "{label.queue_url}"})
    assert found == ["verify.waiter: sqs has no waiters; leave `verify` out"]


def test_a_placeholder_for_a_number_is_converted_and_a_label_that_is_no_number_is_refused() -> None:
    entry = SCALE_OUT | {"params": SCALE_OUT["params"] | {"desiredCount": "{label.want}"}}
    action = custom_action(CustomActionSettings.model_validate(entry))
    assert action.call(action.params_from(LABELS | {"want": "6"}))["desiredCount"] == 6
    with pytest.raises(ValueError, match=r"desiredCount \(\{label.want\}\) needs an integer; the alert gives 'six'"):
        action.params_from(LABELS | {"want": "six"})


def test_an_alert_without_a_label_a_placeholder_reads_is_not_offered_the_action() -> None:
    action = custom_action(CustomActionSettings.model_validate(SCALE_OUT))
    assert action.applies("ecs_services", LABELS)
    assert not action.applies("ecs_services", {"resource": "web/api", "cluster": "web"})
    assert not action.applies("lambda_errors", LABELS)
    with pytest.raises(ValueError, match="the alert has no service label"):
        action.params_from({"resource": "web/api", "cluster": "web"})


def test_an_invalid_entry_cannot_become_an_action() -> None:
    with pytest.raises(InvalidCustomAction) as caught:
        custom_action(CustomActionSettings.model_validate(SCALE_OUT | {"operation": "Nope"}))
    assert caught.value.problems == ["operation: ecs has no operation 'Nope'"]


@pytest.mark.parametrize(
    ("service", "operation", "permission"),
    [
        ("ecs", "UpdateService", "ecs:UpdateService"),
        ("stepfunctions", "StartExecution", "states:StartExecution"),
        ("cloudwatch", "SetAlarmState", "cloudwatch:SetAlarmState"),
        ("elbv2", "ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroup"),
    ],
)
def test_the_default_permission_is_the_iam_action_of_the_operation_not_the_boto3_name(
    service: str, operation: str, permission: str
) -> None:
    entry = {"name": "x", "title": "X", "applies_to": ["a"], "service": service, "operation": operation,
             "params": {}, "confirm": "x"}  # fmt: skip
    settings = CustomActionSettings.model_validate(entry)
    action = custom_action(settings.model_copy(update={"params": _required(settings)}))
    assert action.permissions == (permission,)
    assert permission.lower() in {a.lower() for a in get_all_actions()}


def _required(settings: CustomActionSettings) -> dict[str, Any]:
    """A placeholder for every required member, so that the entry is valid."""
    shape = service_model(settings.service).operation_model(settings.operation).input_shape
    return {name: "{resource}" for name in (shape.required_members if shape else [])}


def test_the_responder_policy_grants_a_custom_action_and_its_waiter_s_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = yaml.safe_load(EXAMPLE.read_text())
    config = {"slack": {"channel": "#alerts"}, "actions": {"custom": example["actions"]["custom"]}}
    path = tmp_path / "boltwatch.yml"
    path.write_text(yaml.safe_dump(config))
    assert main(["iam-policy", "--config", str(path), "--responder"]) == 0
    statements = {s["Sid"]: s["Action"] for s in json.loads(capsys.readouterr().out)["Statement"]}
    assert statements == {"BoltwatchRunbookActions": ["ecs:UpdateService"], "BoltwatchVerify": ["ecs:DescribeServices"]}
