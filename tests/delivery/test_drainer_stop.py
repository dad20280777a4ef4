"""`Notifier.stop()` at shutdown: nothing more is claimed, and a post whose Slack call is in flight keeps its claim,
so that no other replica posts it again while it may still land."""

from __future__ import annotations

import asyncio

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.delivery.drainer import Notifier
from bot.store import Database
from bot.store.models import OutboxItem
from sandbox.slack import LocalSlack
from tests.alerting import CHANNEL, NOW, finding, run_check
from tests.hanging_server import HangingServer
from tests.harness import FakeClock


def claims(db: Database) -> list[tuple[str, str | None, int]]:
    with db.transaction() as session:
        items = session.scalars(select(OutboxItem).order_by(OutboxItem.id))
        return [(item.status, item.claimed_by, item.attempts) for item in items]


async def test_a_post_in_flight_when_time_runs_out_keeps_its_claim(db: Database) -> None:
    clock = FakeClock(NOW)
    run_check(db, [finding("orders-api")], now=NOW)
    slack = HangingServer()
    async with slack.serving() as url:
        client = AsyncWebClient(token="xoxb-test", base_url=f"{url}/api/")
        notifier = Notifier(db=db, client=client, clock=clock, holder="stopping-replica")
        draining = asyncio.ensure_future(notifier.run())
        await asyncio.wait_for(slack.connected.wait(), 5)  # chat.postMessage is on its way, its answer never comes

        await notifier.stop(0.2)

        assert draining.done()
    assert claims(db) == [("pending", "stopping-replica", 0)]
    another = Notifier(db=db, client=client, clock=clock, holder="another-replica")
    assert await another.drain_once() == 0, "the post may still land: nobody sends it again while the claim holds"


async def test_after_stop_nothing_more_is_claimed(db: Database) -> None:
    clock = FakeClock(NOW)
    async with LocalSlack(clock=clock.timestamp) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        notifier = Notifier(db=db, client=client, clock=clock, holder="stopping-replica")
        draining = asyncio.ensure_future(notifier.run(poll_seconds=0.05))
        run_check(db, [finding("orders-api")], now=NOW)
        notifier.wake()
        await slack.wait_for(lambda: slack.channel_messages(CHANNEL))

        await notifier.stop(5)

        assert draining.done()
        run_check(db, [finding("payments-api")], now=NOW)
        notifier.wake()
        await asyncio.sleep(0.2)
        assert claims(db) == [("done", None, 0), ("pending", None, 0)]
