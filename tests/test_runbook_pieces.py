"""The pure parts of runbook actions: access denied by default, the button's payload, a failure's reply naming the
missing IAM action, the responder policy of the enabled actions, Lambda's restore and rollback calls, a pause's
length, the confirmation's metadata, and where actions apply."""

from __future__ import annotations

import json

import pytest

from bot.aws.iam_policy import responder_policy
from bot.aws.runbook import planned_call
from bot.blocks.runbook import failure_reply
from bot.core.access import AccessRule, may_run
from bot.ids import ActionConfirmModal, BadPayload, RunButton
from scheduler.registry import load_action_types


def test_write_actions_are_denied_unless_a_rule_names_them() -> None:
    everything = [AccessRule(actions=["*"])]
    assert not may_run(everything, action_name="ec2_start", user="U1", channel="C1", home_channels={"C1"}).allowed
    named = [AccessRule(actions=["run:ec2_start"], users=["U1"])]
    assert may_run(named, action_name="ec2_start", user="U1", channel="C1", home_channels={"C1"}).allowed
    assert not may_run(named, action_name="ec2_reboot", user="U1", channel="C1", home_channels={"C1"}).allowed
    assert not may_run(named, action_name="ec2_start", user="U2", channel="C1", home_channels={"C1"}).allowed


def test_the_run_button_payload_round_trips_and_refuses_forgeries() -> None:
    assert RunButton.parse(RunButton(42, "ec2_reboot").encode()) == RunButton(42, "ec2_reboot")
    for forged in ("run:1:EC2", "run:x:ec2_start", "incident:1", "run:1:ec2_start;drop"):
        with pytest.raises(BadPayload):
            RunButton.parse(forged)


def test_a_failure_for_want_of_a_permission_names_the_iam_action() -> None:
    text = failure_reply({"action": "ec2_start", "resource": "i-1", "user": "U1",
                          "error": "Access denied: the bot's AWS identity needs the IAM permission ec2:StartInstances.",
                          "iam_action": "ec2:StartInstances"})  # fmt: skip
    assert text.startswith(":x: <@U1> `ec2_start` on `i-1` failed: Access denied")
    assert text.endswith("The responder role needs `ec2:StartInstances`.")


def test_the_responder_policy_grants_the_enabled_actions_and_their_waiters_reads() -> None:
    actions = load_action_types()
    document = responder_policy([actions["ec2_start"]])
    assert document["Statement"][0]["Action"] == ["ec2:StartInstances"]
    assert document["Statement"][1]["Action"] == ["ec2:DescribeInstances"]
    assert responder_policy([])["Statement"] == []


def test_the_redrive_asks_for_what_aws_documents_and_its_poll_reads_the_move_tasks() -> None:
    document = responder_policy([load_action_types()["sqs_redrive"]])
    writes, reads = (set(statement["Action"]) for statement in document["Statement"])
    assert writes == {
        "sqs:StartMessageMoveTask", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
        "sqs:SendMessage",
    }  # fmt: skip
    assert reads == {"sqs:ListMessageMoveTasks"}


def test_the_redrive_applies_to_a_dead_letter_queue_not_to_an_old_message() -> None:
    redrive = load_action_types()["sqs_redrive"]
    labels = {"queue": "orders-dlq", "queue_arn": "arn:aws:sqs:us-east-1:123456789012:orders-dlq",
              "source_queues": "orders", "dead_letters": "2"}  # fmt: skip
    assert redrive.applies("sqs_dead_letters", labels | {"problem": "dlq"})
    assert not redrive.applies("sqs_dead_letters", labels | {"problem": "age"})
    assert not redrive.applies("sqs_dead_letters", {"queue": "orders", "problem": "dlq"})


def test_lambda_restore_deletes_the_reservation_when_there_was_none_and_puts_back_one_that_was() -> None:
    restore = load_action_types()["lambda_restore"]
    none = restore.params_from({"function": "orders", "reserved": None})
    assert planned_call(restore, none).shown() == "lambda.DeleteFunctionConcurrency(FunctionName='orders')"
    seven = restore.params_from({"function": "orders", "reserved": 7})
    shown = planned_call(restore, seven).shown()
    assert shown == "lambda.PutFunctionConcurrency(FunctionName='orders', ReservedConcurrentExecutions=7)"


def test_lambda_actions_apply_to_log_errors_alerts_only_when_they_name_a_function() -> None:
    throttle = load_action_types()["lambda_throttle"]
    assert throttle.applies("log_errors", {"log_group": "/aws/lambda/orders", "function": "orders"})
    assert not throttle.applies("log_errors", {"log_group": "/ecs/web"})
    assert throttle.applies("lambda_errors", {"function": "orders", "problem": "errors"})
    assert not load_action_types()["ecs_force_deployment"].applies("ecs_services", {"cluster": "web"})


def test_a_refusal_says_which_rule_decides_or_which_rule_would_allow_it() -> None:
    named = [AccessRule(actions=["acknowledge"]), AccessRule(actions=["run:ec2_start"], users=["U1"])]
    verdict = may_run(named, action_name="ec2_start", user="U2", channel="C1", home_channels={"C1"})
    assert verdict.remedy == "`access[1]` (`run:ec2_start`) decides: adding `U2` to its `users` would allow you."
    verdict = may_run([], action_name="ec2_start", user="U2", channel="C1", home_channels={"C1"})
    assert verdict.remedy == 'An `access:` rule like `{actions: ["run:ec2_start"], users: [U2]}` would allow you.'
    assert may_run(named, action_name="ec2_start", user="U1", channel="C1", home_channels={"C1"}).remedy == ""


def test_the_responder_policy_grants_what_rollback_and_pause_read_call_and_verify_with() -> None:
    actions = load_action_types()
    rollback = responder_policy([actions["lambda_rollback_alias"]])["Statement"]
    assert rollback[0]["Action"] == ["lambda:GetAlias", "lambda:ListVersionsByFunction", "lambda:UpdateAlias"]
    assert rollback[1]["Action"] == ["lambda:GetFunctionConfiguration"]  # function_updated
    pause = responder_policy([actions["alarm_actions_pause"]])["Statement"]
    assert pause[0]["Action"] == [
        "cloudwatch:DescribeAlarms", "cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions"
    ]  # fmt: skip
    assert pause[1]["Action"] == ["cloudwatch:DescribeAlarms"]  # Boltwatch's own waiters poll DescribeAlarms


def test_the_confirmation_s_digest_of_what_it_read_round_trips_and_refuses_forgeries() -> None:
    modal = ActionConfirmModal(RunButton(4, "lambda_rollback_alias"), "C1", "alerts", "0123456789abcdef")
    assert ActionConfirmModal.parse(modal.encode()) == modal
    plain = ActionConfirmModal(RunButton(4, "ec2_start"), "C1")
    assert ActionConfirmModal.parse(plain.encode()) == plain and "looked" not in plain.encode()
    for looked in ("0123", 7, "0123456789ABCDEF", "0123456789abcdef0"):
        forged = json.dumps({"run": "run:4:ec2_start", "channel": "C1", "looked": looked})
        with pytest.raises(BadPayload):
            ActionConfirmModal.parse(forged)


def test_a_pause_lasts_from_five_minutes_to_a_day_and_only_alarms_get_one() -> None:
    pause = load_action_types()["alarm_actions_pause"]
    assert pause.edit_problems({"duration": "90m"}) == {}
    assert pause.edit_problems({"duration": "4m"}) == {"duration": "a pause lasts from 5m to 24h, not 4m"}
    assert pause.edit_problems({"duration": "soon"}) == {"duration": '"soon" is not a duration like 30s, 5m, 1h'}
    assert pause.applies("cloudwatch_alarms", {"alarm": "orders-errors"})
    assert not pause.applies("metric_threshold", {"rule": "orders-latency", "metric": "Duration"})
    with pytest.raises(ValueError, match="alarm"):  # its name shows in Slack text
        pause.params_from({"alarm": "<!channel>", "actions": "on ALARM: x"})


def test_rollback_is_offered_on_alerts_naming_a_function_and_its_call_clears_a_weighted_shift() -> None:
    rollback = load_action_types()["lambda_rollback_alias"]
    assert rollback.applies("lambda_errors", {"function": "orders", "problem": "errors"})
    assert rollback.applies("log_errors", {"log_group": "/aws/lambda/orders", "function": "orders"})
    assert not rollback.applies("log_errors", {"log_group": "/ecs/web"})
    shifted = rollback.params_from({"function": "orders", "alias": "prod", "from_version": "6", "to_version": "6",
                                    "canary": {"7": 0.1}, "revision": "r1"})  # fmt: skip
    assert planned_call(rollback, shifted).shown() == (
        "lambda.UpdateAlias(FunctionName='orders', Name='prod', FunctionVersion='6', RevisionId='r1', "
        "RoutingConfig={'AdditionalVersionWeights': {}})"
    )
    assert rollback.filled(rollback.change, shifted) == "alias prod: 6 + 7 at 10% → 6"
    assert rollback.reversal(shifted).endswith(
        "aws lambda update-alias --function-name orders --name prod --function-version 6 "
        "--routing-config AdditionalVersionWeights={7=0.1}"
    )
