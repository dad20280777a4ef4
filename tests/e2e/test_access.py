"""The access rules cover reading as well as changing: /logs, /errors and /boltwatch status answer only whom and
where the rules say."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import FakeClock, RunningBot, base_config, running_bot
from tests.readonly_estate import SeededEstate


@pytest.fixture
async def bot(seeded_estate_readonly: SeededEstate, database_url: str) -> AsyncIterator[RunningBot]:
    config = base_config(
        access=[
            {"actions": ["logs"], "users": ["U0ALICE"], "channels": ["#alerts"]},
            {"actions": ["*"], "users": ["U0ALICE"]},
        ]
    )
    clock = FakeClock(seeded_estate_readonly.seeded_at)
    async with running_bot(moto=seeded_estate_readonly, database_url=database_url, config=config, clock=clock) as b:
        yield b


@pytest.mark.parametrize(("command", "text"), [("/logs", "orders-api 1h"), ("/errors", "orders-api 1h"),
                                               ("/boltwatch", "status")])  # fmt: skip
async def test_someone_the_rules_do_not_name_is_told_why_and_nothing_is_posted(
    bot: RunningBot, command: str, text: str
) -> None:
    delivery = await bot.command(command, text, user="U0BOB")

    assert delivery.status == 200
    assert "only <@U0ALICE> may" in delivery.json()["text"]
    assert bot.slack.channel_messages("#alerts") == []


async def test_log_lines_go_only_to_the_channels_the_rules_allow(bot: RunningBot) -> None:
    elsewhere = await bot.command("/logs", "orders-api 1h", channel=bot.slack.channel_id("#ops"))
    assert "this command only works in #alerts" in elsewhere.json()["text"]

    await bot.command("/logs", "orders-api 1h")
    [message] = await bot.wait_for(lambda: bot.slack.channel_messages("#alerts"))
    assert "/aws/lambda/orders-api" in str(message.blocks)
