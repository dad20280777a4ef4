"""Digests through the whole bot: incidents answered by real clicks, then the digest with their MTTA and MTTR;
one digest per period across a restart and between replicas; `/boltwatch digest`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import SIGNING_SECRET, FakeClock, RunningBot, base_config, running_bot

# A Monday in the past: alarms' own timestamps (moto's wall clock) never predate the bot's clock.
MONDAY_6_UTC = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
DIGEST = {"channel": "#alerts", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris"}


def config() -> dict:  # type: ignore[type-arg]
    return base_config(digests=[DIGEST])


async def click(bot: RunningBot, action: str, message_ts: str, replies: int) -> None:
    await bot.click(action_id=action, channel="#alerts", message_ts=message_ts, user="U0BOB")
    await bot.drain_until(lambda: len(bot.slack.thread("#alerts", message_ts)) >= replies)


async def scheduled_digest(bot: RunningBot) -> str | None:
    """Run the digest job; the ts of the digest it posted, or None when it posted none."""
    [digest] = bot.app.digests.digests
    before = {m.ts for m in digests_in(bot.slack)}
    if not await bot.app.digests.run_scheduled(digest):
        return None
    new = await bot.wait_for(lambda: [m for m in digests_in(bot.slack) if m.ts not in before])
    return new[0].ts


def digests_in(slack: LocalSlack) -> list:  # type: ignore[type-arg]
    return [m for m in slack.channel_messages("#alerts") if "digest" in m.text or "Quiet" in m.text]


async def test_the_digest_reports_incidents_and_response_times_from_the_clicks(
    moto: MotoHandle, database_url: str
) -> None:
    clock = FakeClock(MONDAY_6_UTC)
    async with running_bot(moto=moto, database_url=database_url, config=config(), clock=clock) as bot:
        await asyncio.to_thread(put_alarm, moto, "orders-api-errors")
        await asyncio.to_thread(set_state, moto, "orders-api-errors", "ALARM")
        await bot.run_checks()
        await bot.drain()
        first = bot.slack.channel_messages("#alerts")[-1]
        clock.advance(minutes=4)
        await click(bot, "incident_ack", first.ts, replies=1)
        clock.advance(minutes=20)
        await click(bot, "incident_resolve", first.ts, replies=2)  # MTTA 4m, MTTR 24m

        clock.advance(minutes=10)
        await bot.run_checks()  # still in alarm: a fresh incident
        await bot.drain()
        second = bot.slack.channel_messages("#alerts")[-1]
        assert second.ts != first.ts
        clock.advance(minutes=10)
        await click(bot, "incident_ack", second.ts, replies=1)
        clock.advance(minutes=50)
        await asyncio.to_thread(set_state, moto, "orders-api-errors", "OK", reason="back to normal")
        await bot.run_checks()  # resolved by the alarm, not a person: MTTA 10m, MTTR 1h
        await bot.drain()

        await asyncio.to_thread(put_alarm, moto, "payments-errors", function="payments")
        await asyncio.to_thread(set_state, moto, "payments-errors", "ALARM")
        await bot.run_checks()  # nobody answers this one
        await bot.drain()

        clock.now = datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)  # 09:00:30 in Paris
        ts = await scheduled_digest(bot)
        assert ts is not None
        digest = bot.slack.message("#alerts", ts)
        rendered = str(digest.blocks)
        assert "*Incidents:* 3 opened · 2 resolved · 1 still open" in rendered
        assert "*MTTA*\\nmedian 7m · p90 10m\\n(2 incidents acknowledged)" in rendered
        assert "*MTTR*\\nmedian 42m · p90 1h\\n(2 incidents resolved)" in rendered
        assert "until <!date^1795420800^{date_short_pretty} {time}|2026-11-23 08:00 UTC>" in rendered
        assert "#3 Alarm payments-errors" in rendered
        assert "*Noisiest resources*\\n• `orders-api` — 1 alert\\n• `payments` — 1 alert" in rendered

        assert await scheduled_digest(bot) is None, "the period has its digest"
        assert len(digests_in(bot.slack)) == 1


async def test_one_digest_per_period_across_a_restart_and_between_replicas(moto: MotoHandle, database_url: str) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 8, 0, 5, tzinfo=UTC))
    async with LocalSlack(signing_secret=SIGNING_SECRET, clock=clock.timestamp) as slack:
        common = {"moto": moto, "database_url": database_url, "config": config(), "clock": clock, "slack": slack}
        async with running_bot(**common, holder="first") as first:
            assert await scheduled_digest(first) is not None
        clock.advance(minutes=10)  # a restart, later: the record of the period outlives the process
        async with running_bot(**common, holder="second") as second:
            assert await scheduled_digest(second) is None
            assert len(digests_in(slack)) == 1

            clock.advance(days=1)  # Tuesday's period: two replicas race for it
            async with running_bot(**common, holder="third") as third:
                [digest] = second.app.digests.digests
                queued = await asyncio.gather(
                    second.app.digests.run_scheduled(digest), third.app.digests.run_scheduled(digest)
                )
                assert sum(queued) == 1
                await second.drain()
                await third.drain()
        tuesday = digests_in(slack)[-1]
        assert len(digests_in(slack)) == 2
        monday_digest = int(datetime(2026, 11, 23, 8, 0, tzinfo=UTC).timestamp())
        assert tuesday.text.startswith(f":sunny: Quiet since <!date^{monday_digest}^"), "since the last digest"


async def test_boltwatch_digest_posts_one_now_in_the_channel_it_was_run_in(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config()) as bot:
        await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
        await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
        await bot.run_checks()
        await bot.drain()
        await bot.command("/boltwatch", "digest", channel="#alerts")
        [digest] = await bot.wait_for(lambda: digests_in(bot.slack))
        assert "1 opened, 0 resolved, 1 still open" in digest.text

        await bot.command("/boltwatch", "digest", channel="#ops")  # no digest configured there: all resources
        [other] = await bot.wait_for(lambda: bot.slack.channel_messages("#ops"))
        assert "1 still open" in other.text
        assert bot.app.digests.digests[0].channel == "#alerts"


async def test_a_running_app_schedules_each_configured_digest(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url, config=config(), background=True) as bot:
        job = bot.app.scheduler.get_job("digest:#alerts:")
        assert job is not None and job.next_run_time is not None
        local = job.next_run_time.astimezone(ZoneInfo("Europe/Paris"))
        assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5


async def test_the_digest_counts_flapping_alerts(moto: MotoHandle, database_url: str) -> None:
    clock = FakeClock(MONDAY_6_UTC)
    async with running_bot(moto=moto, database_url=database_url, config=config(), clock=clock) as bot:
        await asyncio.to_thread(put_alarm, moto, "orders-api-errors")
        for state in "1010101":  # the seventh run is the sixth change: 35.5%, flapping
            state_now = "ALARM" if state == "1" else "OK"
            await asyncio.to_thread(set_state, moto, "orders-api-errors", state_now, reason="flip")
            await bot.run_checks()
            clock.advance(minutes=1)
            await bot.drain()

        clock.now = datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)  # 09:00:30 in Paris
        ts = await scheduled_digest(bot)
        assert ts is not None
        rendered = str(bot.slack.message("#alerts", ts).blocks)
        assert "*Incidents:* 4 opened · 3 resolved · 1 still open" in rendered
        assert ":repeat: *Flapping:* 1 alert flapping now · alerts started flapping 1 time since" in rendered


async def test_a_digest_time_the_clocks_repeat_goes_out_once_and_one_they_skip_goes_out(
    moto: MotoHandle, database_url: str
) -> None:
    """A digest at 02:30 in Paris. On 25 October 2026 the clocks go back from 03:00 to 02:00: APScheduler 3 fires the
    job at both 02:30s, and the second finds the period claimed. On 28 March 2027 they jump from 02:00 to 03:00: the
    job fires once, and that day's digest goes out."""
    digest = {"channel": "#alerts", "cron": "30 2 * * *", "timezone": "Europe/Paris"}
    clock = FakeClock(datetime(2026, 10, 24, 22, 0, tzinfo=UTC))
    async with running_bot(moto=moto, database_url=database_url, config=base_config(digests=[digest]),
                           clock=clock) as bot:  # fmt: skip
        [settings] = bot.app.digests.digests
        trigger = settings.trigger()

        async def runs(count: int) -> list[tuple[datetime, bool]]:
            """The job's next `count` runs, at the times the scheduler computes: (when, whether a digest went out)."""
            done, fired = [], None
            for _ in range(count):
                fired = trigger.get_next_fire_time(fired, clock.now)
                assert fired is not None
                clock.now = fired.astimezone(UTC) + timedelta(seconds=1)
                done.append((fired.astimezone(UTC), await scheduled_digest(bot) is not None))
            return done

        assert await runs(3) == [
            (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), True),  # 02:30 summer time
            (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), False),  # 02:30 winter time
            (datetime(2026, 10, 26, 1, 30, tzinfo=UTC), True),
        ]
        clock.now = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
        assert await runs(2) == [
            (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), True),  # 03:30 summer time: 02:30 never shows
            (datetime(2027, 3, 29, 0, 30, tzinfo=UTC), True),
        ]
        assert len(digests_in(bot.slack)) == 4
