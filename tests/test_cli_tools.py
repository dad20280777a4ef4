"""`boltwatch iam-policy` and `boltwatch check TYPE --once` against moto."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from bot.cli import main
from sandbox.aws.server import MotoHandle

CONFIG = """\
slack:
  channel: "#alerts"
aws:
  regions: [us-east-1]
  accounts:
    - name: prod
    - name: payments
      role_arn: arn:aws:iam::222222222222:role/boltwatch
checks:
  - type: cloudwatch_alarms
  - type: log_errors
    log_groups: ["/aws/lambda/*"]
"""


def test_iam_policy_lists_what_the_configured_checks_and_commands_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "b.yml"
    config.write_text(CONFIG)
    assert main(["iam-policy", "--config", str(config), "--wait-services", "ec2"]) == 0
    document = json.loads(capsys.readouterr().out)
    checks, waits, roles = document["Statement"]
    assert checks["Action"] == [
        "cloudwatch:DescribeAlarmHistory",  # an alarm's chart shades its states
        "cloudwatch:DescribeAlarms",
        "cloudwatch:GetMetricData",  # incident charts and /boltwatch chart
        "cloudwatch:ListMetrics",
        "ec2:DescribeInstances",  # /boltwatch chart finds its TARGET
        "ecs:DescribeServices",
        "lambda:GetFunction",
        "lambda:ListFunctions",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:FilterLogEvents",
        "logs:StartLiveTail",
        "sqs:GetQueueUrl",
        "sqs:ListQueues",
        "tag:GetResources",
    ]
    assert "ec2:DescribeInstances" in waits["Action"] and "ec2:DescribeImages" in waits["Action"]
    assert roles == {
        "Sid": "BoltwatchAssumeRoles",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": ["arn:aws:iam::222222222222:role/boltwatch"],
    }


@pytest.mark.parametrize("enabled", [[], ["ec2_start"]], ids=["no action", "an action"])
def test_the_bot_may_assume_the_responder_roles_only_when_an_action_is_enabled(
    enabled: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "b.yml"
    responder = "arn:aws:iam::222222222222:role/boltwatch-responder"
    with_responder = CONFIG.replace("role/boltwatch\n", f"role/boltwatch\n      responder_role_arn: {responder}\n")
    config.write_text(with_responder + f"actions:\n  enabled: {enabled}\n")
    assert main(["iam-policy", "--config", str(config)]) == 0
    *_, roles = json.loads(capsys.readouterr().out)["Statement"]
    expected = ["arn:aws:iam::222222222222:role/boltwatch"] + ([responder] if enabled else [])
    assert (roles["Action"], roles["Resource"]) == ("sts:AssumeRole", expected)


def test_readme_lists_the_actions_iam_policy_grants_its_smallest_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    smallest = re.search(r"The smallest useful file:\n\n```yaml\n(.*?)```", readme, re.DOTALL)
    listed = re.search(r"<!-- iam-policy of the smallest config.*?-->(.*?)<!-- /iam-policy -->", readme, re.DOTALL)
    assert smallest and listed
    config = tmp_path / "smallest.yml"
    config.write_text(smallest.group(1))
    assert main(["iam-policy", "--config", str(config)]) == 0
    [statement] = json.loads(capsys.readouterr().out)["Statement"]
    assert re.findall(r"`([^`]+)`", listed.group(1)) == statement["Action"]


def test_check_once_prints_the_findings_and_the_message_it_would_post(
    moto: MotoHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    cloudwatch = boto3.client("cloudwatch", endpoint_url=moto.endpoint, region_name="us-east-1")
    cloudwatch.put_metric_alarm(
        AlarmName="queue-depth",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=100,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName="queue-depth", StateValue="ALARM", StateReason="150 > 100")
    assert main(["check", "cloudwatch_alarms", "--once"]) == 1  # something fires
    out = capsys.readouterr().out
    assert "cloudwatch_alarms: 1 firing, 0 not firing, 0 targets failed" in out
    assert "FIRING warning: Alarm queue-depth" in out
    assert '"action_id": "incident_ack"' in out


def test_check_exits_0_when_nothing_fires_and_needs_no_once_flag(
    moto: MotoHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    assert main(["check", "cloudwatch_alarms"]) == 0
    assert "cloudwatch_alarms: 0 firing, 0 not firing, 0 targets failed" in capsys.readouterr().out


def test_check_exits_3_when_a_target_cannot_be_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    config = tmp_path / "b.yml"
    config.write_text('slack:\n  channel: "#a"\naws:\n  max_attempts: 1\n  connect_timeout: 1\n')
    assert main(["check", "cloudwatch_alarms", "--config", str(config)]) == 3
    assert "0 firing, 0 not firing, 1 targets failed" in capsys.readouterr().out


def test_check_help_documents_its_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "exit codes: 0 nothing fires; 1 something fires; 2 a usage or config error" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv", [["--help"], ["iam-policy", "--config", "missing.yml"], ["run", "--config", "missing.yml"]]
)
def test_help_and_config_errors_answer_without_loading_the_app(argv: list[str]) -> None:
    """What makes them answer in a tenth of a second instead of a second or two: no Slack, database or app."""
    code = f"import sys\nfrom bot.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
    code += "print(sorted(m for m in ('bot.app', 'slack_bolt', 'sqlalchemy', 'boto3', 'aiohttp') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.splitlines()[-1] == "[]"


def test_check_once_of_an_unknown_type_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "cloudwatch_alarm", "--once"]) == 2
    assert "unknown check type 'cloudwatch_alarm' (known: " in capsys.readouterr().err
