"""`/boltwatch status|checks|incidents|mute|unmute` through the real request path."""

from __future__ import annotations

import asyncio

import boto3
import pytest
from sqlalchemy import func, select

from bot.ids import ActionId
from bot.store.models import Silence
from sandbox.aws.server import MotoHandle
from tests.e2e.test_incident_flow import put_alarm, set_state
from tests.harness import RunningBot, base_config, running_bot


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
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    answer = await reply(bot, "status")
    text = str(answer.blocks)
    assert "*1 open* and *0 acknowledged* incidents" in text
    assert "*cloudwatch_alarms*" in text and "1 firing" in text


async def test_incidents_lists_open_ones_with_their_buttons(bot: RunningBot) -> None:
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
    await bot.run_checks()
    answer = await reply(bot, "incidents")
    assert "#1 Alarm orders-api-errors" in str(answer.blocks)
    assert "incident_ack" in str(answer.blocks)


async def confirmed(bot: RunningBot, text: str, channel: str = "#alerts"):  # type: ignore[no-untyped-def]
    """`/boltwatch TEXT` (a mute or a maintenance window), its preview confirmed: the notice in `channel`."""
    question = await reply(bot, text)
    confirm = buttons(question)[ActionId.MUTE_CONFIRM]
    before = len(bot.slack.channel_messages(channel))
    await bot.click(action_id=confirm["action_id"], value=confirm["value"], channel=channel)
    notices = await bot.wait_for(lambda: bot.slack.channel_messages(channel)[before:])
    return notices[-1]


async def test_mute_silences_new_alerts_about_the_target_and_unmute_lifts_it(bot: RunningBot) -> None:
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")  # orders-api is known: an alarm watches it
    answer = await confirmed(bot, "mute orders-api 2h deploying")
    assert "muted alerts about `orders-api`" in answer.text
    status = await reply(bot, "status")
    assert "`resource=orders-api` until" in str(status.blocks) and "deploying" in str(status.blocks)
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
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


async def silences(bot: RunningBot) -> int:
    return await bot.app.services.db.run(lambda s: s.scalar(select(func.count()).select_from(Silence)))


def buttons(message) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {el["action_id"]: el for block in message.blocks if block["type"] == "actions" for el in block["elements"]}


async def test_a_target_that_matches_nothing_asks_its_author_privately_with_a_did_you_mean(bot: RunningBot) -> None:
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    answer = await reply(bot, "mute orders-apii 2h deploying")

    assert answer in bot.slack.ephemerals(user="U0ALICE")
    assert answer.text.startswith("`orders-apii` matches nothing Boltwatch knows; did you mean `orders-api`")
    assert "Mute it anyway for 2h?" in str(answer.blocks)
    assert set(buttons(answer)) == {ActionId.MUTE_CONFIRM, ActionId.MUTE_CANCEL}
    assert bot.slack.channel_messages("#alerts") == []
    assert await silences(bot) == 0


async def test_confirming_mutes_the_target_as_asked_and_says_so_in_the_channel(bot: RunningBot) -> None:
    question = await reply(bot, "mute new-service 2h first deploy")
    confirm = buttons(question)[ActionId.MUTE_CONFIRM]
    await bot.click(action_id=confirm["action_id"], value=confirm["value"], channel="#alerts")

    [notice] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "<@U0ALICE> muted alerts about `new-service` until" in notice.text and "first deploy" in notice.text
    status = await reply(bot, "status")
    assert "`resource=new-service` until" in str(status.blocks)


async def test_cancelling_mutes_nothing(bot: RunningBot) -> None:
    question = await reply(bot, "mute new-service 2h")
    await bot.click(action_id=ActionId.MUTE_CANCEL.value, channel="#alerts")

    await bot.wait_for(lambda: [e for e in bot.slack.ephemerals() if e.text == "Nothing was muted."])
    assert bot.slack.channel_messages("#alerts") == []
    assert await silences(bot) == 0
    assert question.text.startswith("`new-service` matches nothing")


async def test_a_forged_confirmation_value_mutes_nothing(bot: RunningBot) -> None:
    forged = '["mute","x",99999999,""]'  # longer than 30 days
    delivery = await bot.click(action_id=ActionId.MUTE_CONFIRM.value, value=forged, channel="#alerts")
    assert delivery.status == 200
    await asyncio.sleep(0.5)  # time for the listener to mute, had it accepted the value
    assert bot.slack.channel_messages("#alerts") == []
    assert await silences(bot) == 0


async def test_a_glob_matching_known_resources_mutes_each_of_them(bot: RunningBot) -> None:
    logs = boto3.client("logs", endpoint_url=bot.moto.endpoint, region_name="us-east-1")
    # orders-worker is known by its log group
    await asyncio.to_thread(logs.create_log_group, logGroupName="/aws/lambda/orders-worker")
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await asyncio.to_thread(put_alarm, bot.moto, "orders-worker-errors", function="orders-worker")

    answer = await confirmed(bot, "mute orders-* 1h")
    assert "muted alerts about `orders-*`" in answer.text
    await asyncio.to_thread(set_state, bot.moto, "orders-api-errors", "ALARM")
    await asyncio.to_thread(set_state, bot.moto, "orders-worker-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    assert len(bot.slack.channel_messages("#alerts")) == 1  # only the mute notice itself

    await reply(bot, "unmute orders-*")
    await bot.run_checks()
    await bot.drain()
    assert "Alarm orders-" in bot.slack.channel_messages("#alerts")[-1].text


async def test_a_mute_made_in_another_channel_is_announced_in_the_alerts_channel_too(bot: RunningBot) -> None:
    await asyncio.to_thread(put_alarm, bot.moto, "orders-api-errors")
    await bot.command("/boltwatch", "mute orders-api 2h", channel=bot.slack.channel_id("#ops"))
    [question] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    confirm = buttons(question)[ActionId.MUTE_CONFIRM]
    await bot.click(action_id=confirm["action_id"], value=confirm["value"], channel="#ops")

    [here] = await bot.wait_for(lambda: bot.slack.channel_messages("#ops"))
    [there] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "muted alerts about `orders-api`" in here.text
    assert "muted alerts about `orders-api`" in there.text and "(in <#C0OPS>)" in there.text


async def test_a_confirmation_is_refused_to_someone_the_rules_do_not_allow_to_mute(
    moto: MotoHandle, database_url: str
) -> None:
    config = base_config(access=[{"actions": ["mute"], "users": ["U0ALICE"]}])
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        question = await reply(bot, "mute new-service 2h")
        confirm = buttons(question)[ActionId.MUTE_CONFIRM]
        await bot.click(action_id=confirm["action_id"], value=confirm["value"], channel="#alerts", user="U0BOB")

        [refusal] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0BOB"))
        assert "only <@U0ALICE> may mute" in refusal.text
        assert await silences(bot) == 0


async def test_a_mute_previews_what_it_would_mute_and_creates_nothing_until_confirmed(bot: RunningBot) -> None:
    for n in range(12):
        await asyncio.to_thread(put_alarm, bot.moto, f"orders-api-{n:02}", function="orders-api")
        await asyncio.to_thread(set_state, bot.moto, f"orders-api-{n:02}", "ALARM")
    await asyncio.to_thread(put_alarm, bot.moto, "billing-errors", function="billing")
    await asyncio.to_thread(set_state, bot.moto, "billing-errors", "ALARM")
    await bot.run_checks()
    await bot.drain()
    posted = len(bot.slack.channel_messages("#alerts"))

    question = await reply(bot, "mute orders-api 2h deploying")

    assert question in bot.slack.ephemerals(user="U0ALICE")
    text = str(question.blocks)
    assert "Muting `orders-api` for 2h would mute 12 alerts firing now:" in text
    assert text.count("Alarm orders-api-") == 10 and "…and 2 more" in text and "billing" not in text
    assert "Nothing is muted until you confirm." in text
    assert set(buttons(question)) == {ActionId.MUTE_CONFIRM, ActionId.MUTE_CANCEL}
    assert await silences(bot) == 0
    assert len(bot.slack.channel_messages("#alerts")) == posted

    await bot.click(action_id=ActionId.MUTE_CANCEL.value, channel="#alerts")
    await bot.wait_for(lambda: [e for e in bot.slack.ephemerals() if e.text == "Nothing was muted."])
    assert await silences(bot) == 0

    notice = await confirmed(bot, "mute orders-api 2h deploying")
    assert "<@U0ALICE> muted alerts about `orders-api`" in notice.text
    assert await silences(bot) == 1
