"""Runbook actions end to end: a signed click on the incident's button, the confirmation modal submitted, the call
in moto with the responder role, the verifying waiter's one message in the incident's thread, and the audit.

moto never reports an impaired status check nor a stop nobody asked for, so the alert comes from the ec2_status
check's own classifier fed an instance as AWS describes it (the instance itself is real, in moto)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest
from sqlalchemy import select

from bot.core.findings import CheckResult, Severity
from bot.core.incidents import observe
from bot.ids import RunButton
from bot.store.models import ActionRun, AuditEvent, IncidentEvent
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from scheduler.checks.ec2_status import instance_findings
from scheduler.checks.ecs_services import EcsServicesParams, service_finding
from scheduler.checks.lambda_errors import LambdaErrorsParams, Problem, Subject, Window
from scheduler.registry import CheckContext
from tests.harness import RunningBot, running_bot
from tests.runbook import RESPONDER, lambda_client, orders_function, responder_config

DRY_RUN = {"dry_run": {"choice": {"type": "checkboxes", "selected_options": [{"value": "dry_run"}]}}}


def config() -> dict[str, Any]:
    enabled = ["ec2_reboot", "ec2_start", "ecs_force_deployment", "lambda_throttle", "lambda_restore"]
    return responder_config({"enabled": enabled}, checks=[{"type": "ec2_status", "every": "1h"}])


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url, config=config()) as running:
        yield running


def ec2(moto: MotoHandle):  # type: ignore[no-untyped-def]
    return boto3.client("ec2", endpoint_url=moto.endpoint, region_name="us-east-1")


def launch(moto: MotoHandle, *, stopped: bool = False) -> str:
    client = ec2(moto)
    instance = client.run_instances(ImageId="ami-0c02fb55956c7d316", MinCount=1, MaxCount=1)["Instances"][0]
    if stopped:
        client.stop_instances(InstanceIds=[instance["InstanceId"]])
    return str(instance["InstanceId"])


def state_of(moto: MotoHandle, instance: str) -> str:
    reservations = ec2(moto).describe_instances(InstanceIds=[instance])["Reservations"]
    return str(reservations[0]["Instances"][0]["State"]["Name"])


async def alert(bot: RunningBot, instance: str, problem: str) -> Any:
    """The ec2_status finding about `instance` (stopped by an EC2 error, or impaired) observed; its message."""
    ctx = CheckContext("default", "123456789012", "us-east-1", bot.clock.now, client_for=lambda _s: None)  # type: ignore[arg-type,return-value]
    if problem == "stopped":
        described = {"InstanceId": instance, "State": {"Name": "stopped"},
                     "StateReason": {"Code": "Server.InternalError", "Message": "internal error"}}  # fmt: skip
        status = None
    else:
        described = {"InstanceId": instance, "State": {"Name": "running"}}
        status = {"InstanceStatus": {"Status": "impaired", "Details": [{"Name": "reachability", "Status": "failed"}]}}
    findings = [replace(f, labels={**f.labels, "account_name": "default"})
                for f in instance_findings(ctx, described, status)]  # fmt: skip
    result = CheckResult.of(findings, scope="ec2_status:123456789012:us-east-1:")
    services = bot.app.services
    await services.db.run(
        lambda s: observe(s, check="ec2_status", result=result, routes=services.routes, now=bot.clock.now)
    )
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    return message


def run_button(message: Any) -> dict[str, Any]:
    elements = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    [button] = [e for e in elements if e["action_id"] == "incident_run"]
    return button


async def confirm_modal(bot: RunningBot, message: Any, user: str = "U0ALICE") -> dict[str, Any]:
    before = len(bot.slack.open_views(user))
    await bot.click(action_id="incident_run", channel="#alerts", message_ts=message.ts, user=user)
    views = await bot.wait_for(lambda: (v := bot.slack.open_views(user)) and len(v) > before and v)
    return views[-1]


async def submit(bot: RunningBot, modal: dict[str, Any], user: str = "U0ALICE", **values: Any) -> None:
    delivery = await bot.slack.send_view_submission(bot.events_url, view=modal["id"], user=user, values=values)
    assert delivery.status == 200


async def audit_results(bot: RunningBot) -> list[str]:
    rows = await bot.app.services.db.run(lambda s: list(s.scalars(select(AuditEvent).order_by(AuditEvent.id))))
    return [row.action for row in rows if row.action.startswith("action_")]


async def verify_until_done(bot: RunningBot, message: Any, polls: int = 40) -> list[Any]:
    """Poll the verifying wait job until the thread holds its outcome; the thread's replies."""
    for _ in range(polls):
        await bot.app.waits.poll_due()
        await bot.drain()
        replies = bot.slack.thread("#alerts", message.ts)
        if any("worked" in r.text or "did not work" in r.text or "unverified" in r.text for r in replies):
            return replies
        bot.clock.advance(seconds=15)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no outcome in the thread: {[r.text for r in bot.slack.thread('#alerts', message.ts)]}")


async def test_start_runs_from_the_incident_and_the_thread_proves_the_instance_runs(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto, stopped=True)
    message = await alert(bot, instance, "stopped")
    assert run_button(message)["text"]["text"] == "Start instance…"

    modal = await confirm_modal(bot, message)
    assert modal["callback_id"] == "action_confirm"
    assert f"ec2.StartInstances(InstanceIds=['{instance}'])" in str(modal["blocks"])
    assert RESPONDER in str(modal["blocks"])
    await submit(bot, modal)

    replies = await verify_until_done(bot, message)
    assert await asyncio.to_thread(state_of, bot.moto, instance) == "running"
    progress, outcome = replies[0], replies[-1]
    assert "Done" in str(progress.blocks) and "StartInstances" in str(progress.blocks)
    assert "attempt 1 of 20" in str(progress.blocks)
    assert outcome.text.startswith("<@U0ALICE> `ec2_start`") and "worked" in outcome.text
    assert len(bot.slack.channel_messages("#alerts")) == 1  # the progress is in the thread, not the channel
    assert await audit_results(bot) == ["action_called", "action_succeeded"]
    kinds = await bot.app.services.db.run(lambda s: [e.kind for e in s.scalars(select(IncidentEvent))])
    assert "action_started" in kinds and "action_succeeded" in kinds

    await bot.command("/boltwatch", "audit 1h")
    [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert f"ec2_start:{instance}" in str(answer.blocks) and "succeeded" in str(answer.blocks)


async def test_reboot_is_verified_by_the_instance_status_ok_waiter(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto)
    message = await alert(bot, instance, "impaired")
    assert run_button(message)["text"]["text"] == "Reboot instance…"
    await submit(bot, await confirm_modal(bot, message))
    replies = await verify_until_done(bot, message)
    assert "ec2 instance_status_ok" in str(replies[0].blocks)
    assert "`ec2_reboot`" in replies[-1].text and "worked" in replies[-1].text
    run = await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).one())
    assert run.status == "succeeded" and run.request["operation"] == "RebootInstances"


async def test_a_user_no_rule_allows_is_refused_at_the_click_and_sees_no_confirmation(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto, stopped=True)
    message = await alert(bot, instance, "stopped")
    await bot.click(action_id="incident_run", channel="#alerts", message_ts=message.ts, user="U0BOB")
    [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0BOB"))
    assert refusal.text.startswith("You can't run ec2_start here: only <@U0ALICE> may run ec2_start.")
    assert "`access[0]` (`run:*`) decides: adding `U0BOB` to its `users` would allow you." in refusal.text
    assert bot.slack.open_views("U0BOB") == []
    assert await asyncio.to_thread(state_of, bot.moto, instance) == "stopped"
    assert await audit_results(bot) == ["action_refused"]


async def test_the_confirmation_checks_access_again_whoever_submits_it(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto, stopped=True)
    message = await alert(bot, instance, "stopped")
    await submit(bot, await confirm_modal(bot, message), user="U0BOB")  # Alice's confirmation, submitted by Bob
    [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0BOB"))
    assert "You can't run ec2_start here: only <@U0ALICE> may run ec2_start." in refusal.text
    assert await asyncio.to_thread(state_of, bot.moto, instance) == "stopped"
    assert await audit_results(bot) == ["action_refused"]


async def test_a_dry_run_shows_the_call_and_calls_nothing(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto, stopped=True)
    message = await alert(bot, instance, "stopped")
    await submit(bot, await confirm_modal(bot, message), **DRY_RUN)
    [shown] = await bot.wait_for(lambda: [v for v in bot.slack.open_views("U0ALICE") if "Dry run" in str(v)])
    assert f"ec2.StartInstances(InstanceIds=['{instance}'])" in str(shown["blocks"])
    assert await asyncio.to_thread(state_of, bot.moto, instance) == "stopped"
    for _ in range(100):
        if await audit_results(bot) == ["action_dry_run"]:
            break
        await asyncio.sleep(0.02)
    assert await audit_results(bot) == ["action_dry_run"]


async def test_the_same_action_on_the_same_resource_waits_for_its_cooldown(bot: RunningBot) -> None:
    instance = await asyncio.to_thread(launch, bot.moto)
    message = await alert(bot, instance, "impaired")
    await submit(bot, await confirm_modal(bot, message))
    await verify_until_done(bot, message)
    await submit(bot, await confirm_modal(bot, message))
    [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert f"ec2_reboot ran on {instance}" in refusal.text and "may run there again in" in refusal.text
    assert (await audit_results(bot))[-1] == "action_refused"
    runs = await bot.app.services.db.run(lambda s: len(list(s.scalars(select(ActionRun)))))
    assert runs == 1


async def test_a_failed_call_says_why_in_the_thread(bot: RunningBot) -> None:
    message = await alert(bot, "i-0123456789abcdef0", "stopped")  # no such instance in moto
    await submit(bot, await confirm_modal(bot, message))
    [reply] = await bot.wait_for(lambda: bot.slack.thread("#alerts", message.ts))
    assert reply.text.startswith(":x: <@U0ALICE> `ec2_start` on `i-0123456789abcdef0` failed:")
    assert "InvalidInstanceID.NotFound" in reply.text
    assert await audit_results(bot) == ["action_failed"]
    run = await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).one())
    assert run.status == "failed"


async def test_no_action_is_offered_unless_enabled(moto: MotoHandle, database_url: str) -> None:
    without = config() | {"actions": {"enabled": []}}
    async with LocalSlack(signing_secret="e2e-signing-secret") as slack:
        async with running_bot(moto=moto, database_url=database_url, config=without, slack=slack) as running:
            instance = await asyncio.to_thread(launch, moto, stopped=True)
            message = await alert(running, instance, "stopped")
            assert "incident_run" not in str(message.blocks)


def ecs_service(moto: MotoHandle) -> str:
    """A service in moto, its cluster's and its own name; moto never runs its tasks, so it wants none."""
    client = boto3.client("ecs", endpoint_url=moto.endpoint, region_name="us-east-1")
    client.create_cluster(clusterName="web")
    container = {"name": "api", "image": "nginx", "memory": 128}
    client.register_task_definition(family="api", containerDefinitions=[container])
    client.create_service(cluster="web", serviceName="api", taskDefinition="api", desiredCount=0)
    return "web/api"


def deployments_of(moto: MotoHandle) -> list[dict[str, Any]]:
    client = boto3.client("ecs", endpoint_url=moto.endpoint, region_name="us-east-1")
    return list(client.describe_services(cluster="web", services=["api"])["services"][0]["deployments"])


async def ecs_alert(bot: RunningBot) -> Any:
    """The ecs_services finding about web/api (as AWS would describe it short of tasks) observed; its message."""
    ctx = CheckContext("default", "123456789012", "us-east-1", bot.clock.now, client_for=lambda _s: None)  # type: ignore[arg-type,return-value]
    described = {"serviceName": "api", "status": "ACTIVE", "runningCount": 0, "desiredCount": 2, "pendingCount": 0}
    finding = service_finding(ctx, "web", described, EcsServicesParams())
    finding = replace(finding, labels={**finding.labels, "account_name": "default"})
    result = CheckResult.of([finding], scope="ecs_services:123456789012:us-east-1:")
    services = bot.app.services
    await services.db.run(
        lambda s: observe(s, check="ecs_services", result=result, routes=services.routes, now=bot.clock.now)
    )
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    return message


async def test_force_deployment_of_a_short_ecs_service_is_verified_by_services_stable(bot: RunningBot) -> None:
    resource = await asyncio.to_thread(ecs_service, bot.moto)
    before = await asyncio.to_thread(deployments_of, bot.moto)
    message = await ecs_alert(bot)
    assert run_button(message)["text"]["text"] == "Force new deployment…"

    modal = await confirm_modal(bot, message)
    assert "ecs.UpdateService(cluster='web', service='api', forceNewDeployment=True)" in str(modal["blocks"])
    await submit(bot, modal)

    replies = await verify_until_done(bot, message)
    after = await asyncio.to_thread(deployments_of, bot.moto)
    assert after[0]["id"] != before[0]["id"]  # a new primary deployment
    assert "ecs services_stable" in str(replies[0].blocks)
    assert replies[-1].text.startswith("<@U0ALICE> `ecs_force_deployment`") and "worked" in replies[-1].text
    assert await audit_results(bot) == ["action_called", "action_succeeded"]
    run = await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).one())
    assert run.status == "succeeded" and run.resource == resource
    assert run.request["params"] == {"cluster": "web", "service": "api", "forceNewDeployment": True}

    await bot.command("/boltwatch", "audit 1h")
    [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert f"ecs_force_deployment:{resource}" in str(answer.blocks) and "succeeded" in str(answer.blocks)


def lambda_function(moto: MotoHandle, reserved: int) -> None:
    """The function `orders` in moto, with `reserved` concurrency reserved."""
    client = orders_function(moto)
    client.put_function_concurrency(FunctionName="orders", ReservedConcurrentExecutions=reserved)


def reserved_of(moto: MotoHandle) -> int | None:
    return lambda_client(moto).get_function_concurrency(FunctionName="orders").get("ReservedConcurrentExecutions")


async def lambda_alert(bot: RunningBot) -> Any:
    """The lambda_errors finding about `orders` (failing) observed; its message."""
    ctx = CheckContext("default", "123456789012", "us-east-1", bot.clock.now, client_for=lambda _s: None)  # type: ignore[arg-type,return-value]
    window = Window.for_function(bot.clock.now, timedelta(seconds=3), LambdaErrorsParams())
    finding = Subject(ctx, {"FunctionName": "orders"}, window).finding(
        Problem.ERRORS, firing=True, severity=Severity.CRITICAL, title="12 errors in 5m", evidence={}
    )
    finding = replace(finding, labels={**finding.labels, "account_name": "default"})
    result = CheckResult.of([finding], scope="lambda_errors:123456789012:us-east-1:")
    services = bot.app.services
    await services.db.run(
        lambda s: observe(s, check="lambda_errors", result=result, routes=services.routes, now=bot.clock.now)
    )
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    return message


def offered(message: Any) -> list[str]:
    """The titles of the runbook actions the incident's message offers (a button, or an overflow of several)."""
    elements = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "incident_run"]  # fmt: skip
    return [o["text"]["text"] for e in elements for o in e.get("options") or [{"text": e["text"]}]]


async def choose(bot: RunningBot, message: Any, title: str) -> dict[str, Any]:
    """Pick `title` among the incident's actions (its button, or its option in the overflow); the confirmation."""
    [element] = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == "incident_run"]  # fmt: skip
    options = element.get("options") or [{"text": {"text": element["text"]["text"].removesuffix("…")},
                                           "value": element["value"]}]  # fmt: skip
    [value] = [o["value"] for o in options if o["text"]["text"] == title]
    before = len(bot.slack.open_views("U0ALICE"))
    await bot.click(action_id="incident_run", channel="#alerts", message_ts=message.ts, user="U0ALICE",
                    selected_option=value if "options" in element else None)  # fmt: skip
    views = await bot.wait_for(lambda: (v := bot.slack.open_views("U0ALICE")) and len(v) > before and v)
    return views[-1]


async def test_throttle_remembers_the_reserved_concurrency_and_restore_puts_it_back(bot: RunningBot) -> None:
    await asyncio.to_thread(lambda_function, bot.moto, 7)
    message = await lambda_alert(bot)
    assert offered(message) == ["Throttle function…"]  # nothing to restore yet

    modal = await choose(bot, message, "Throttle function")
    assert "lambda.PutFunctionConcurrency(FunctionName='orders', ReservedConcurrentExecutions=0)" in str(
        modal["blocks"]
    )
    await submit(bot, modal)
    replies = await verify_until_done(bot, message)
    assert "`lambda_throttle`" in replies[-1].text and "worked" in replies[-1].text
    assert await asyncio.to_thread(reserved_of, bot.moto) == 0
    run = await bot.app.services.db.run(lambda s: s.scalars(select(ActionRun)).one())
    assert run.status == "succeeded" and run.request["before"] == {"reserved": 7}
    [message] = bot.slack.channel_messages("#alerts")
    assert offered(message) == ["Restore function…"]  # a second throttle would remember the first one's 0

    modal = await choose(bot, message, "Restore function")
    assert "lambda.PutFunctionConcurrency(FunctionName='orders', ReservedConcurrentExecutions=7)" in str(
        modal["blocks"]
    )
    await submit(bot, modal)
    for _ in range(40):
        replies = bot.slack.thread("#alerts", message.ts)
        if any("`lambda_restore`" in r.text and "worked" in r.text for r in replies):
            break
        await bot.app.waits.poll_due()
        await bot.drain()
        bot.clock.advance(seconds=15)
        await asyncio.sleep(0.02)
    assert any("`lambda_restore`" in r.text and "worked" in r.text for r in replies)
    assert await asyncio.to_thread(reserved_of, bot.moto) == 7
    assert await audit_results(bot) == ["action_called", "action_succeeded", "action_called", "action_succeeded"]
    [message] = bot.slack.channel_messages("#alerts")
    assert offered(message) == ["Throttle function…"]

    await bot.command("/boltwatch", "audit 1h")
    [answer] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert "lambda_throttle:orders" in str(answer.blocks) and "lambda_restore:orders" in str(answer.blocks)


async def test_restore_is_refused_at_the_click_when_no_throttle_is_in_effect(bot: RunningBot) -> None:
    await asyncio.to_thread(lambda_function, bot.moto, 7)
    message = await lambda_alert(bot)
    forged = RunButton(1, "lambda_restore").encode()  # an older message's option, or a forged one
    await bot.click(action_id="incident_run", channel="#alerts", message_ts=message.ts, user="U0ALICE", value=forged)
    [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert refusal.text == (
        "Nothing for `lambda_restore` to put back on `orders`: `lambda_throttle` has not run there since it was last"
        " put back."
    )
    assert bot.slack.open_views("U0ALICE") == [] and await audit_results(bot) == []
    assert await asyncio.to_thread(reserved_of, bot.moto) == 7
