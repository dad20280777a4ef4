"""The digest's chart through the whole bot: the digest goes out, then its chart of the last weeks (incidents per day,
weekly MTTA and MTTR) is uploaded once and added to it in place, through the outbox, whatever Slack answers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Alert, Incident, OutboxItem
from sandbox.aws.server import MotoHandle
from sandbox.slack import LocalSlack
from sandbox.slack.faults import Fault
from tests.harness import FakeClock, RunningBot, base_config, running_bot

DIGEST = {"channel": "#alerts", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris"}
MONDAY_9_PARIS = datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)


def seed_weeks_of_incidents(session: Session) -> None:
    """Three incidents over three weeks: this morning's (acknowledged in 5 minutes, fixed in 40), last Friday's
    (10 minutes, an hour), and one two weeks ago that its alarm resolved after two hours, unanswered."""
    for id_, opened, ack, resolved, by in (
        (1, datetime(2026, 11, 23, 1, 0, tzinfo=UTC), 5, 40, "U0BOB"),
        (2, datetime(2026, 11, 20, 10, 0, tzinfo=UTC), 10, 60, "U0BOB"),
        (3, datetime(2026, 11, 10, 12, 0, tzinfo=UTC), None, 120, None),
    ):
        incident = Incident(id=id_, group_key=f"g{id_}", route="default", channel="#alerts", title=f"Incident {id_}",
                            status="resolved", opened_at=opened, updated_at=opened, resolved_by=by,
                            resolved_at=opened + timedelta(minutes=resolved))  # fmt: skip
        if ack is not None:
            incident.acknowledged_at = opened + timedelta(minutes=ack)
        session.add(incident)
        session.add(Alert(fingerprint=f"fp{id_}", check_name="alarms", resource="orders-api", labels={},
                          first_seen=opened, last_seen=opened, incident_id=id_))  # fmt: skip


def digests_in(slack: LocalSlack) -> list[Any]:
    return [m for m in slack.channel_messages("#alerts") if "digest" in m.text]


def chart_of(message: Any) -> dict[str, Any] | None:
    found = [b for b in message.blocks if str(b.get("block_id", "")).startswith("chart-")]
    return found[0] if found else None


async def digest_with_chart(bot: RunningBot) -> tuple[Any, dict[str, Any]]:
    [digest] = bot.app.digests.digests
    assert await bot.app.digests.run_scheduled(digest)

    def with_chart() -> Any:
        # Retries are due by the bot's clock, which only `drain` moves (a second a sent item): move it on here too,
        # so that a retry after a 503 (1 s ± 20 %) comes due.
        bot.clock.advance(seconds=0.5)
        return next((m for m in digests_in(bot.slack) if chart_of(m)), None)

    message = await bot.wait_for(with_chart)
    await bot.drain()
    chart = chart_of(message)
    assert chart is not None
    return message, chart


def started(moto: MotoHandle, database_url: str, charts: bool = True):  # type: ignore[no-untyped-def]
    config = base_config(digests=[DIGEST], charts={"enabled": charts})
    return running_bot(moto=moto, database_url=database_url, config=config, clock=FakeClock(MONDAY_9_PARIS))


async def test_the_digest_gets_its_chart_of_the_last_weeks_uploaded_once(moto: MotoHandle, database_url: str) -> None:
    async with started(moto, database_url) as bot:
        await bot.app.services.db.run(seed_weeks_of_incidents)

        message, chart = await digest_with_chart(bot)

        assert "*Incidents:* 1 opened · 1 resolved · 0 still open" in str(message.blocks), "the period is one day"
        ids = [b.get("block_id") for b in message.blocks]
        assert ids.index(chart["block_id"]) == ids.index("digest-times") + 1, "under the response times"
        assert chart["type"] == "image"
        png = bot.slack.file_content(chart["slack_file"]["id"])
        assert png is not None and Image.open(io.BytesIO(png)).size == (800, 460)
        alt = chart["alt_text"]
        assert "28 days to 23 Nov 08:00 UTC" in alt
        assert "Incidents opened 3, resolved 3." in alt
        assert "Per day: 10 Nov 1 opened 1 resolved; 20 Nov 1 opened 1 resolved; 23 Nov 1 opened 1 resolved." in alt
        assert "MTTA median by week: week of 16 Nov 7m (2 answered)." in alt  # 5 and 10 minutes
        assert "MTTR median by week: week of 09 Nov 2h (1 resolved); week of 16 Nov 50m (2 resolved)." in alt
        assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1
        assert len(bot.slack.calls_to("files.completeUploadExternal")) == 1
        assert len(digests_in(bot.slack)) == 1, "the chart is added to the digest, not posted again"


async def test_a_429_and_a_5xx_on_the_way_lose_no_chart_and_upload_none_twice(
    moto: MotoHandle, database_url: str
) -> None:
    refused: list[str] = []

    def refuse_once(method: str, params: dict[str, Any]) -> Fault | None:
        showing = method == "chat.update" and "chart-" in str(params.get("blocks"))
        if showing and "update" not in refused:
            refused.append("update")
            return Fault(429, "ratelimited", 1)
        if method == "files.getUploadURLExternal" and "url" not in refused:
            refused.append("url")
            return Fault(503)
        return None

    async with started(moto, database_url) as bot:
        await bot.app.services.db.run(seed_weeks_of_incidents)
        bot.slack.add_fault_hook(refuse_once)

        _message, chart = await digest_with_chart(bot)

        assert refused == ["url", "update"]
        assert len([c for c in bot.slack.calls_to("files.getUploadURLExternal") if c.ok]) == 1
        assert [c.params["files"][0]["id"] for c in bot.slack.calls_to("files.completeUploadExternal")] == [
            chart["slack_file"]["id"]
        ]
        assert len(digests_in(bot.slack)) == 1 and chart["alt_text"].startswith("Chart of Incidents, last 28 days")


async def test_with_charts_off_the_digest_has_no_chart_and_nothing_is_uploaded(
    moto: MotoHandle, database_url: str
) -> None:
    async with started(moto, database_url, charts=False) as bot:
        await bot.app.services.db.run(seed_weeks_of_incidents)
        [digest] = bot.app.digests.digests
        assert await bot.app.digests.run_scheduled(digest)
        [message] = await bot.wait_for(lambda: digests_in(bot.slack))
        await bot.drain()

        assert chart_of(bot.slack.message("#alerts", message.ts)) is None
        assert not [c for c in bot.slack.calls if c.method.startswith("files.")]


async def test_a_chart_slack_keeps_refusing_is_given_up_and_the_digest_stays_as_posted(
    moto: MotoHandle, database_url: str
) -> None:
    def refuse_the_chart(method: str, params: dict[str, Any]) -> Fault | None:
        showing = method == "chat.update" and "chart-" in str(params.get("blocks"))
        return Fault(200, "invalid_blocks") if showing else None

    async with started(moto, database_url) as bot:
        await bot.app.services.db.run(seed_weeks_of_incidents)
        bot.slack.add_fault_hook(refuse_the_chart)
        [digest] = bot.app.digests.digests
        assert await bot.app.digests.run_scheduled(digest)
        [message] = await bot.wait_for(lambda: digests_in(bot.slack))

        def figure_state(session: Session) -> tuple[str, int]:
            item = session.scalars(select(OutboxItem).where(OutboxItem.operation == "figure")).one()
            return item.status, item.attempts

        for _ in range(10):  # the tries are 2, 4 and 8 s apart
            bot.clock.advance(seconds=10)
            await bot.drain()
        status, attempts = await bot.app.services.db.run(figure_state)

        assert (status, attempts) == ("failed", 4)
        refused = [c for c in bot.slack.calls_to("chat.update") if not c.ok]
        assert len(refused) == 4
        assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1, "every try showed the same upload"
        assert chart_of(bot.slack.message("#alerts", message.ts)) is None
        assert "*Incidents:* 1 opened" in str(bot.slack.message("#alerts", message.ts).blocks)
