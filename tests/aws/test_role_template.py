"""`boltwatch iam-policy --format cloudformation`: the role templates to deploy in each watched account, and
deploy/*.yaml, which are that command's output for everything registered: up to date, clean under cfn-lint (offline:
it ships the resource specifications and IAM's actions), trusting only the bot's principal with the external ID."""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.aws.credentials import ROLE_SESSION_SECONDS
from bot.cli import main

ROOT = Path(__file__).parents[2]
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
EXAMPLE_CONFIG = ROOT / "examples" / "boltwatch.yml"
COMMITTED = {
    "readonly-role.yaml": ["--all", "--wait-services", "cloudwatch,ec2,ecs,lambda", "--format", "cloudformation"],
    "responder-role.yaml": ["--all", "--responder", "--format", "cloudformation"],
}
"""deploy/NAME: the `boltwatch iam-policy` arguments that print it."""
NO_ACTIONS = """\
slack:
  channel: "#alerts"
aws:
  accounts:
    - name: payments
      role_arn: arn:aws:iam::222222222222:role/boltwatch
      external_id: s3cret-external-id-of-payments
checks:
  - type: cloudwatch_alarms
"""


def printed(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["iam-policy", *argv]) == 0
    return capsys.readouterr().out


def role(template: str) -> dict[str, Any]:
    properties: dict[str, Any] = yaml.safe_load(template)["Resources"]["Role"]["Properties"]
    return properties


def cfn_lint(templates: dict[str, str], folder: Path) -> dict[str, list[tuple[str, str]]]:
    """What `cfn-lint --include-checks I --regions ALL_REGIONS` reports (experimental rules aside) for each template,
    each message cut short. One run in a process of its own: its thousand modules (sympy among them) would slow down
    the `inspect.stack()` with which Bolt names each app the later tests make (the loop-stall guard noticed)."""
    for name, template in templates.items():
        (folder / name).write_text(template, encoding="utf-8")
    argv = [str(CFN_LINT), "--format", "json", "--include-checks", "I", "--regions", "ALL_REGIONS", "--"]
    run = subprocess.run([*argv, *(str(folder / name) for name in templates)], capture_output=True, text=True)
    found: dict[str, list[tuple[str, str]]] = {name: [] for name in templates}
    for match in json.loads(run.stdout or "[]"):
        assert match["Filename"], f"cfn-lint could not run: {match['Message']}"
        found[Path(match["Filename"]).name].append((match["Rule"]["Id"], match["Message"][:200]))
    assert run.returncode == 0 or any(found.values()), run.stderr
    return found


def output_of(argv: list[str]) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["iam-policy", *argv]) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    """cfn-lint's findings in the committed templates, the templates of the example config and a broken one."""
    committed = {name: (ROOT / "deploy" / name).read_text(encoding="utf-8") for name in COMMITTED}
    example = ["--config", str(EXAMPLE_CONFIG), "--format", "cloudformation"]
    broken = committed["responder-role.yaml"].replace("ec2:RebootInstances", "ec2:RebootInstancez")
    assert broken != committed["responder-role.yaml"]
    templates = {
        **committed,
        "example-read-only.yaml": output_of(example),
        "example-responder.yaml": output_of([*example, "--responder"]),
        "broken.yaml": broken,
    }
    return cfn_lint(templates, tmp_path_factory.mktemp("cfn-lint"))


@pytest.mark.parametrize("name", COMMITTED)
def test_the_committed_template_is_what_the_registries_give_now(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    committed = (ROOT / "deploy" / name).read_text(encoding="utf-8")
    assert committed == printed(COMMITTED[name], capsys), f"deploy/{name} is stale: run `make deploy-roles`"


@pytest.mark.parametrize("name", COMMITTED)
def test_the_committed_template_names_the_command_that_prints_it(name: str) -> None:
    header = (ROOT / "deploy" / name).read_text(encoding="utf-8").splitlines()[1]
    assert header == "#   " + shlex.join(["boltwatch", "iam-policy", *COMMITTED[name]])


def test_make_deploy_roles_runs_the_commands_the_test_compares_with() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^deploy-roles:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe
    lines = re.findall(r"\$\(BIN\)/boltwatch iam-policy (.*) > deploy/(\S+)", recipe.group(1))
    assert {name: shlex.split(args) for args, name in lines} == COMMITTED


@pytest.mark.parametrize("name", COMMITTED)
def test_cfn_lint_finds_nothing_in_the_committed_template(name: str, linted: dict[str, list[tuple[str, str]]]) -> None:
    assert linted[name] == []


@pytest.mark.parametrize("name", ["example-read-only.yaml", "example-responder.yaml"])
def test_cfn_lint_finds_nothing_in_the_templates_of_a_config(
    name: str, linted: dict[str, list[tuple[str, str]]]
) -> None:
    assert linted[name] == []


def test_cfn_lint_reads_the_inline_policy_so_an_action_iam_lacks_would_fail(
    linted: dict[str, list[tuple[str, str]]],
) -> None:
    assert [rule for rule, _ in linted["broken.yaml"]] == ["W3037"]


def test_the_read_only_role_holds_the_config_policy_without_the_bots_own_assume_role_statement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "b.yml"
    config.write_text(NO_ACTIONS)
    identity = json.loads(printed(["--config", str(config), "--wait-services", "ecs"], capsys))
    template = printed(["--config", str(config), "--wait-services", "ecs", "--format", "cloudformation"], capsys)
    [inline] = role(template)["Policies"]
    assert inline["PolicyDocument"]["Statement"] == [
        s for s in identity["Statement"] if s["Action"] != "sts:AssumeRole"
    ]
    assert "sts:AssumeRole" in json.dumps(identity) and "sts:AssumeRole" not in json.dumps(inline)


@pytest.mark.parametrize("name", COMMITTED)
def test_the_role_trusts_only_the_bots_principal_presenting_the_external_id(name: str) -> None:
    template = yaml.safe_load((ROOT / "deploy" / name).read_text(encoding="utf-8"))
    [trust] = template["Resources"]["Role"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "BotPrincipalArn"}}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    principal, external_id = template["Parameters"]["BotPrincipalArn"], template["Parameters"]["ExternalId"]
    assert "Default" not in principal and "Default" not in external_id
    assert external_id["NoEcho"] is True and external_id["MinLength"] >= 2
    pattern = re.compile(principal["AllowedPattern"])
    assert pattern.match("arn:aws:iam::111111111111:role/service-role/boltwatch")
    assert pattern.match("arn:aws-us-gov:iam::111111111111:user/boltwatch")
    assert not pattern.match("arn:aws:iam::111111111111:root") and not pattern.match("*")


def test_the_role_lets_the_bot_keep_the_sessions_it_asks_for() -> None:
    for name in COMMITTED:
        properties = role((ROOT / "deploy" / name).read_text(encoding="utf-8"))
        assert properties["MaxSessionDuration"] >= ROLE_SESSION_SECONDS


@pytest.mark.parametrize(
    ("name", "key"), [("readonly-role.yaml", "role_arn"), ("responder-role.yaml", "responder_role_arn")]
)
def test_the_output_is_the_role_arn_and_says_where_it_goes_in_the_config(name: str, key: str) -> None:
    template = yaml.safe_load((ROOT / "deploy" / name).read_text(encoding="utf-8"))
    output = template["Outputs"]["RoleArn"]
    assert output["Value"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert output["Description"].startswith(f"aws.accounts[].{key} ")


def test_the_role_name_is_cloudformations_unless_one_is_given() -> None:
    template = yaml.safe_load((ROOT / "deploy" / "readonly-role.yaml").read_text(encoding="utf-8"))
    assert template["Parameters"]["RoleName"]["Default"] == ""
    assert template["Conditions"]["RoleNameGiven"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "RoleName"}, ""]}]}
    assert template["Resources"]["Role"]["Properties"]["RoleName"] == {
        "Fn::If": ["RoleNameGiven", {"Ref": "RoleName"}, {"Ref": "AWS::NoValue"}]
    }


def test_no_external_id_of_the_config_reaches_the_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "b.yml"
    config.write_text(NO_ACTIONS)
    template = printed(["--config", str(config), "--format", "cloudformation"], capsys)
    assert "s3cret-external-id-of-payments" not in template
    example = printed(["--config", str(EXAMPLE_CONFIG), "--responder", "--format", "cloudformation"], capsys)
    assert "boltwatch-payments-responder" not in example


def test_a_responder_template_with_no_action_enabled_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "b.yml"
    config.write_text(NO_ACTIONS)
    assert main(["iam-policy", "--config", str(config), "--responder", "--format", "cloudformation"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "config error: actions.enabled: no runbook action is enabled" in captured.err


def test_the_responder_template_of_a_config_grants_its_enabled_actions_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "b.yml"
    config.write_text(NO_ACTIONS + "actions:\n  enabled: [ec2_start]\n")
    [inline] = role(printed(["--config", str(config), "--responder", "--format", "cloudformation"], capsys))["Policies"]
    assert [s["Action"] for s in inline["PolicyDocument"]["Statement"]] == [
        ["ec2:StartInstances"],
        ["ec2:DescribeInstances"],
    ]


def test_a_config_and_all_are_one_or_the_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["iam-policy", "--all", "--config", str(EXAMPLE_CONFIG)])
    with pytest.raises(SystemExit):
        main(["iam-policy"])
    assert "one of the arguments --config --all is required" in capsys.readouterr().err
