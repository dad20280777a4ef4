"""`boltwatch run --role all` with `scheduler.engine: procrastinate`: one process is web and worker at once (a small
HA setup's replica). Its own worker runs the checks, the alert reaches Slack, and `/boltwatch status` shows the
worker and the queue. Procrastinate's periodic deferral and per-target locks are all the coordination there is: no
lease row, no scheduler lock."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.store.models import Lease
from bot.store.scheduler_lock import lock_holder
from sandbox.aws.server import MotoHandle
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import base_config, running_bot

CHANNEL = "#alerts"


@pytest.fixture
def pg_database_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("Procrastinate keeps its queue in PostgreSQL")
    return database_url


async def test_a_role_all_replica_runs_the_checks_as_a_worker_and_shows_it_in_status(
    moto: MotoHandle, pg_database_url: str
) -> None:
    await asyncio.to_thread(put_alarm, moto, "orders-errors")
    await asyncio.to_thread(set_state, moto, "orders-errors", "ALARM")
    config = base_config(checks=[{"type": "cloudwatch_alarms", "every": "5s"}], scheduler={"engine": "procrastinate"})

    async with running_bot(moto=moto, database_url=pg_database_url, config=config, background=True) as bot:
        assert bot.app.distributed is not None and not bot.app.runs_checks, "the checks are Procrastinate jobs"
        [alert] = await bot.wait_for(
            lambda: [m for m in bot.slack.channel_messages(CHANNEL) if "orders-errors" in m.text], timeout=40
        )
        assert alert.thread_ts is None
        assert bot.app.leader is None and bot.app.services.metrics.scheduler_leader._value.get() == 0
        leases, holder = await bot.app.services.db.run(
            lambda s: (s.scalars(select(Lease.name)).all(), lock_holder(s))
        )
        assert (leases, holder) == ([], None), "the checks ran behind a lease or the scheduler lock"

        await bot.command("/boltwatch", "status")
        [status] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))

    text = "\n".join(b["text"]["text"] for b in status.blocks if b["type"] == "section")
    assert "*Workers*: 1 alive" in text
    assert "*Checks* run on" not in text and "scheduler lock" not in text
    assert "*1 open*" in text
