"""EventBridge events about EC2 instances run the check that watches them, now: a pushed state change resolves (or
opens) what that check finds, with the check's own fingerprints, and the incident timeline credits push with it.
ECS events: tests/push/test_sns_ecs_events.py."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text

from bot.config import settings_from_mapping
from bot.core.findings import CheckResult
from bot.core.incidents import observe
from bot.enums import Source
from bot.worker import WorkerProcess
from sandbox.aws.ec2_events import launch, state_change, stop_for_retirement
from sandbox.aws.fake_sns import FakeSns
from sandbox.aws.server import MotoHandle
from sandbox.slack import Message
from scheduler.checks.ec2_status import instance_findings
from scheduler.push.rechecks import PushedRechecks
from scheduler.registry import CheckContext
from tests.harness import RunningBot, running_bot
from tests.push.sns_bot import deliver, push_config, stored, timeline


async def stopped_alert(bot: RunningBot, instance: str) -> None:
    """The ec2_status alert of `instance` stopped by an EC2 error, posted (moto cannot stop one that way)."""
    ctx = CheckContext("default", "123456789012", "us-east-1", bot.clock.now, client_for=lambda _s: None)  # type: ignore[arg-type,return-value]
    described = {"InstanceId": instance, "State": {"Name": "stopped"},
                 "StateReason": {"Code": "Server.InternalError", "Message": "internal error"}}  # fmt: skip
    findings = [
        replace(f, labels={**f.labels, "account_name": "default"}) for f in instance_findings(ctx, described, None)
    ]
    result = CheckResult.of(findings)
    services = bot.app.services
    await services.db.run(
        lambda s: observe(s, check="ec2_status", result=result, routes=services.routes, now=bot.clock.now)
    )
    await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))


async def check_jobs_over(bot: RunningBot) -> None:
    """Wait until no check job is queued or running (30 s at most)."""
    pending = text(
        "SELECT count(*) FROM procrastinate_jobs"
        " WHERE status IN ('todo', 'doing') AND task_name LIKE 'boltwatch.check_%'"
    )
    for _ in range(300):
        if not await bot.app.services.db.run(lambda s: s.scalar(pending)):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the worker's check jobs did not end within 30 s")


async def scheduled_catch_up_over(bot: RunningBot) -> None:
    """A worker that starts within 10 minutes of a tick its check missed runs that tick at once (Procrastinate's
    periodic deferrer catches up, `MAX_DELAY`): with `every: 1h`, in the first minutes of each hour. Such a scheduled
    job, queued or running, would see the change before the event's: the test waits for it to end first."""
    await asyncio.sleep(2)  # the worker's periodic deferrer makes its first pass as it starts
    await check_jobs_over(bot)


@asynccontextmanager
async def worker_caught_up(
    web: RunningBot, config: dict[str, Any], database_url: str, endpoint: str
) -> AsyncIterator[int]:
    """A `boltwatch worker` beside the web replica `web`, on its clock, once the scheduled runs it catches up as it
    starts have ended; its port (/metrics)."""
    env = web.slack.environment() | {"BOLTWATCH_DATABASE_URL": database_url}
    settings = await asyncio.to_thread(settings_from_mapping, config, env)
    worker = WorkerProcess(settings, name="worker-1", concurrency=2, aws_endpoint_url=endpoint, clock=web.clock)
    port = await worker.start(host="127.0.0.1", port=0)
    try:
        await scheduled_catch_up_over(web)
        yield port
    finally:
        await worker.stop()


async def alert_resolved(web: RunningBot) -> datetime:
    """When the worker's run resolved the one alert (30 s at most)."""
    for _ in range(300):
        if [status for _fp, status, _seen, _n in (await stored(web)).alerts] == ["resolved"]:
            break
        await asyncio.sleep(0.1)
    return datetime.now(UTC)


async def resolved_post(web: RunningBot) -> Message:
    """The alert's message once it says RESOLVED (the clock moved past the resolve's hold)."""
    web.clock.advance(seconds=30)
    [message] = await web.wait_for(
        lambda: [m for m in web.slack.channel_messages("#alerts") if "RESOLVED" in m.blocks[0]["text"]["text"]],
        timeout=30,
    )
    return message


async def succeeded_jobs(worker_port: int) -> float:
    """The worker's count of ec2_status jobs that succeeded, from its /metrics."""
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{worker_port}/metrics") as got:
        metrics = await got.text()
    found = re.search(r'^boltwatch_check_jobs_total\{check="ec2_status",event="succeeded"\} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


def resolved_by_push(instance: str) -> str:
    """The timeline's entry when a run an event asked for resolved the alert `stopped_alert` opened."""
    return f"all alerts cleared, the last ({instance}: stopped by an internal EC2 error) seen first by push"


async def test_an_instance_running_again_resolves_its_stopped_alert_on_the_event(
    moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path
) -> None:
    config = push_config(tmp_path, checks=[{"type": "ec2_status", "every": "1h"}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        instance = await asyncio.to_thread(launch, moto.endpoint)
        await stopped_alert(bot, instance)

        assert await deliver(bot, sns.notification(state_change(instance, "running"))) == 200
        await bot.app.sns.rechecks.wait()
        bot.clock.advance(seconds=30)
        [message] = await bot.wait_for(
            lambda: [m for m in bot.slack.channel_messages("#alerts") if "RESOLVED" in m.blocks[0]["text"]["text"]]
        )

        assert instance in message.text
        assert (await stored(bot)).deliveries == [
            ("event: EC2 Instance State-change Notification", "running ec2_status now")
        ]
        assert (await timeline(bot))[-1] == ("resolved", resolved_by_push(instance))


async def test_an_instance_aws_stopped_opens_its_alert_on_the_event_credited_to_push(
    moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path
) -> None:
    """No poll runs here (ec2_status every hour, the scheduler off): the event alone makes the check run."""
    config = push_config(tmp_path, checks=[{"type": "ec2_status", "every": "1h"}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        instance = await asyncio.to_thread(launch, moto.endpoint)
        await asyncio.to_thread(stop_for_retirement, moto.endpoint, instance)

        assert await deliver(bot, sns.notification(state_change(instance, "stopped"))) == 200
        await bot.app.sns.rechecks.wait()
        [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))

        assert f"{instance}: stopped by a scheduled retirement" in message.text
        assert [(fp, status) for fp, status, _seen, _n in (await stored(bot)).alerts] == [
            (f"ec2_status:123456789012:us-east-1:{instance}:stopped", "firing")
        ]
        assert await timeline(bot) == [("opened", f"{instance}: stopped by a scheduled retirement, seen first by push")]


async def test_a_burst_of_events_runs_the_check_once_more_after_the_run_in_progress() -> None:
    runs: list[tuple[str, str, str]] = []
    gate = asyncio.Event()

    async def recheck(check: str, account: str, region: str, /, *, source: Source) -> bool:
        assert source is Source.PUSH
        runs.append((check, account, region))
        await gate.wait()
        return True

    rechecks = PushedRechecks(recheck)
    assert rechecks.request("ec2_status", "default", "us-east-1")
    await asyncio.sleep(0)  # the first run starts and waits at the gate
    again = [rechecks.request("ec2_status", "default", "us-east-1") for _ in range(5)]
    assert again == [True, False, False, False, False]
    assert rechecks.request("ec2_status", "default", "eu-west-1")
    gate.set()
    await rechecks.wait()

    assert sorted(runs) == [
        ("ec2_status", "default", "eu-west-1"), ("ec2_status", "default", "us-east-1"),
        ("ec2_status", "default", "us-east-1"),
    ]  # fmt: skip


async def test_on_a_web_replica_the_event_runs_the_check_as_a_job_a_worker_takes(
    moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path
) -> None:
    """Under the distributed engine a `--role web` replica runs no check: the event defers the target's run to the
    queue, a `boltwatch worker` runs it, and its resolution reaches Slack through the web replica's outbox."""
    if not database_url.startswith("postgresql"):
        pytest.skip("Procrastinate keeps its queue in PostgreSQL")
    config = push_config(
        tmp_path, checks=[{"type": "ec2_status", "every": "1h"}], scheduler={"engine": "procrastinate"}
    )
    async with running_bot(moto=moto, database_url=database_url, config=config, background=True, role="web") as web:
        instance = await asyncio.to_thread(launch, moto.endpoint)
        async with worker_caught_up(web, config, database_url, moto.endpoint) as worker_port:
            caught_up = await succeeded_jobs(worker_port)
            await stopped_alert(web, instance)
            assert await deliver(web, sns.notification(state_change(instance, "running"))) == 200
            await web.app.sns.rechecks.wait()
            await alert_resolved(web)
            message = await resolved_post(web)
            succeeded = await succeeded_jobs(worker_port)
        assert instance in message.text
        assert succeeded == caught_up + 1, "one job, the event's, ran after the catch-up"
        assert (await timeline(web))[-1] == ("resolved", resolved_by_push(instance))


async def test_an_event_brings_forward_the_scheduled_job_its_target_has_waiting(
    moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path
) -> None:
    """A tick spreads its targets' jobs over up to 30 s, and a target has one waiting job at most. An event about a
    target whose job waits does not queue another behind it: that job runs now, for the event, and the timeline
    credits push."""
    if not database_url.startswith("postgresql"):
        pytest.skip("Procrastinate keeps its queue in PostgreSQL")
    config = push_config(
        tmp_path, checks=[{"type": "ec2_status", "every": "1h"}], scheduler={"engine": "procrastinate"},
        aws={"regions": ["ap-southeast-2", "eu-west-1", "us-east-1"], "max_attempts": 1},
    )  # fmt: skip
    async with running_bot(moto=moto, database_url=database_url, config=config, background=True, role="web") as web:
        distributed = web.app.distributed
        assert distributed is not None
        instance = await asyncio.to_thread(launch, moto.endpoint)
        async with worker_caught_up(web, config, database_url, moto.endpoint) as worker_port:
            caught_up = await succeeded_jobs(worker_port)
            await stopped_alert(web, instance)
            # The tick's jobs, as its periodic task queues them: us-east-1, the last of three, is due 20 s on.
            assert await distributed.check_tick(int(time.time()), "ec2_status") == 3
            waiting = text(
                "SELECT id, scheduled_at, args->>'source' FROM procrastinate_jobs"
                " WHERE queueing_lock = 'check:ec2_status:default:us-east-1' AND status = 'todo'"
            )
            [(job, due, source)] = await web.app.services.db.run(lambda s: s.execute(waiting).all())
            assert source is None and due > datetime.now(UTC) + timedelta(seconds=2), "the job waits"

            assert await deliver(web, sns.notification(state_change(instance, "running"))) == 200
            await web.app.sns.rechecks.wait()
            resolved_at = await alert_resolved(web)
            message = await resolved_post(web)
            left = await web.app.services.db.run(lambda s: s.execute(waiting).all())
            await check_jobs_over(web)  # eu-west-1's job, due 10 s on, too
            succeeded = await succeeded_jobs(worker_port)
        assert instance in message.text
        assert resolved_at < due, f"resolved at {resolved_at:%T.%f}, when the waiting job {job} was due ({due:%T.%f})"
        assert left == [], "the event's run was the waiting job: none is left behind it"
        assert succeeded == caught_up + 3, "the tick's three jobs ran, and no other"
        assert (await timeline(web))[-1] == ("resolved", resolved_by_push(instance))
