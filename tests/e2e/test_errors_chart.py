"""`/errors` with charts on, through the real Bolt path: the answer keeps its text sparklines, and gets one small
multiples chart of its top groups, uploaded once and added under its headline."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image

from bot.charts.small_multiples import height_px
from tests.harness import FakeClock, RunningBot, base_config, running_bot
from tests.readonly_estate import SeededEstate


@pytest.fixture
async def bot(seeded_estate_readonly: SeededEstate, database_url: str):  # type: ignore[no-untyped-def]
    clock = FakeClock(seeded_estate_readonly.seeded_at)
    config = base_config(charts={"enabled": True})
    async with running_bot(moto=seeded_estate_readonly, database_url=database_url, clock=clock, config=config) as bot:
        yield bot


def chart_of(message: Any) -> dict[str, Any] | None:
    return next((b for b in message.blocks if str(b.get("block_id", "")).startswith("chart-")), None)


async def test_errors_shows_the_top_groups_as_one_small_multiples_chart(bot: RunningBot) -> None:
    await bot.command("/errors", "orders-api 2h")
    answer = await bot.wait_for(lambda: next((m for m in bot.slack.channel_messages("#alerts") if chart_of(m)), None))
    await bot.drain()

    groups = [b for b in answer.blocks if b.get("accessory", {}).get("action_id") == "errors_samples"]
    assert len(groups) >= 2
    assert all(re.search(r"· `[▁▂▃▄▅▆▇█ ]{12}`", b["text"]["text"]) for b in groups), "the sparklines stay"
    chart = chart_of(answer)
    assert chart is not None and answer.blocks.index(chart) == 1, "right under the headline"
    png = bot.slack.file_content(chart["slack_file"]["id"])
    assert png is not None
    assert Image.open(io.BytesIO(png)).size == (800, height_px(min(len(groups), 6)))
    alt = chart["alt_text"]
    assert alt.startswith("Chart of Errors in /aws/lambda/orders-api, last 2h")
    for rank, block in enumerate(groups[:6], 1):
        count = int(block["text"]["text"].split("×", 1)[0].strip("*"))
        assert re.search(rf"\b{rank}\. .+?: {count} errors, peak \d+ at \d\d:\d\d", alt), (rank, count, alt)
    assert len(bot.slack.calls_to("files.getUploadURLExternal")) == 1
    assert len(bot.slack.channel_messages("#alerts")) == 1, "added to the answer, not posted beside it"
