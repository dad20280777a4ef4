"""`/boltwatch status|checks|incidents|mute|unmute` through the real request path."""

from __future__ import annotations

import pytest

from sandbox.aws.server import MotoHandle
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import RunningBot, running_bot


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


async def reply(bot: RunningBot, text: str):  # type: ignore[no-untyped-def]
    await bot.drain()  # incidents already found are posted: the answer is what comes after
    before = len(bot.slack.ephemerals()) + len(bot.slack.channel_messages("#alerts"))
    await bot.command("/boltwatch", text)
    await bot.wait_for(lambda: len(bot.slack.ephemerals()) + len(bot.slack.channel_messages("#alerts")) > before)
    return max(bot.slack.ephemerals() + bot.slack.channel_messages("#alerts"), key=lambda m: float(m.ts))


async def test_status_counts_incidents_and_shows_each_check(bot: RunningBot) -> None:
    put_alarm(bot.moto, "orders-api-errors")
    set_state(bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    answer = await reply(bot, "status")
    text = str(answer.blocks)
    assert "*1 open* and *0 acknowledged* incidents" in text
    assert "*cloudwatch_alarms*" in text and "1 firing" in text


async def test_incidents_lists_open_ones_with_their_buttons(bot: RunningBot) -> None:
    put_alarm(bot.moto, "orders-api-errors")
    set_state(bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    answer = await reply(bot, "incidents")
    assert "#1 Alarm orders-api-errors" in str(answer.blocks)
    assert "incident_ack" in str(answer.blocks)


async def test_mute_silences_new_alerts_about_the_target_and_unmute_lifts_it(bot: RunningBot) -> None:
    answer = await reply(bot, "mute orders-api 2h deploying")
    assert "muted alerts about `orders-api`" in answer.text
    status = await reply(bot, "status")
    assert "`resource=orders-api` until" in str(status.blocks) and "deploying" in str(status.blocks)
    put_alarm(bot.moto, "orders-api-errors")
    set_state(bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    assert len(bot.slack.channel_messages("#alerts")) == 1  # only the mute notice itself

    await reply(bot, "unmute orders-api")
    await bot.run_checks()
    await bot.drain()
    assert "Alarm orders-api-errors" in bot.slack.channel_messages("#alerts")[-1].text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("statsu", "`statsu` is not a /boltwatch command. Did you mean `status`?"),
        ("mute orders-api", "TARGET and DURATION are needed."),
        ("mute orders-api forever", "`forever` is not a duration"),
        ("unmute nothing-muted", "Nothing about `nothing-muted` is muted."),
        ('mute "orders-api 1h', "A quote is not closed"),
        ("mute orders-api 99999999d", "`99999999d` is longer than 30 days, the longest mute."),
        ("mute orders-api 31d", "is longer than 30 days"),
    ],
)
async def test_mistakes_get_a_specific_private_reply(bot: RunningBot, text: str, problem: str) -> None:
    answer = await reply(bot, text)
    assert problem in answer.text
    assert bot.slack.channel_messages("#alerts") == []


async def test_a_command_that_cannot_even_be_split_is_acknowledged_at_once(bot: RunningBot) -> None:
    delivery = await bot.command("/boltwatch", 'mute "orders-api 1h')
    assert delivery.status == 200
    answer = await reply(bot, 'mute "orders-api 1h')
    assert "A quote is not closed" in answer.text
