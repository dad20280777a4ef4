"""Two replicas behind one load balancer, on one database: a signed request replayed to the other replica, or an
event Slack retries there, is answered with a plain 200 and runs once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.store.models import Silence
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.e2e.test_request_verification import signed
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, running_bot

Replicas = tuple[RunningBot, RunningBot]


@pytest.fixture
async def replicas(moto: MotoHandle, database_url: str) -> AsyncIterator[Replicas]:
    clock = FakeClock()
    slack = await LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp).start()
    async with AsyncExitStack() as stack:
        a, b = [
            await stack.enter_async_context(
                running_bot(moto=moto, database_url=database_url, clock=clock, slack=slack, holder=name)
            )
            for name in ("replica-a", "replica-b")
        ]
        yield a, b
    await slack.stop()


async def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(url, data=body.encode(), headers=headers) as response:
        return response.status, await response.text()


async def silences(bot: RunningBot) -> int:
    return await bot.app.services.db.run(lambda s: s.scalar(select(func.count()).select_from(Silence)))


async def test_a_command_replayed_to_the_other_replica_runs_once(replicas: Replicas) -> None:
    a, b = replicas
    await asyncio.to_thread(put_alarm, a.moto, "orders-api-errors")
    await asyncio.to_thread(set_state, a.moto, "orders-api-errors", "ALARM")
    await a.run_checks()

    sent = await a.command("/boltwatch", "mute orders-api 2h deploying")
    assert await post(b.events_url, sent.sent_body, sent.sent_headers) == (200, "")

    # The mute answers privately first with what it would mute (nothing is muted before Confirm): one preview.
    await a.wait_for(lambda: [e for e in a.slack.ephemerals() if "would mute" in str(e.blocks)])
    await asyncio.sleep(0.5)  # time for a second run, had there been one
    await a.drain()
    assert len([e for e in a.slack.ephemerals() if "would mute" in str(e.blocks)]) == 1
    assert await silences(a) == 0


async def test_an_event_slack_retries_on_the_other_replica_is_handled_once(replicas: Replicas) -> None:
    a, b = replicas
    sent = await a.slack.send_event(a.events_url, event={"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
    assert sent.status == 200 and json.loads(sent.sent_body)["event_id"]

    await a.wait_for(lambda: a.slack.calls_to("views.publish"))  # published, so a second run could not coalesce

    # Slack's retry: the same event, signed anew, with the retry headers.
    retry = signed(SIGNING_SECRET, sent.sent_body, str(int(time.time()) + 1)) | {
        "Content-Type": "application/json", "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout",
    }  # fmt: skip
    assert await post(b.events_url, sent.sent_body, retry) == (200, "")

    await asyncio.sleep(0.5)
    await a.drain()
    assert len(a.slack.calls_to("views.publish")) == 1


async def test_a_fresh_request_to_the_other_replica_still_runs(replicas: Replicas) -> None:
    a, b = replicas
    await a.slack.send_event(a.events_url, event={"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
    await b.slack.send_event(b.events_url, event={"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
    await a.wait_for(lambda: len(a.slack.calls_to("views.publish")) == 2)
