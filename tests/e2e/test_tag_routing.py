"""Findings carry their resource's tags, read in one scan per account and region, so routes can use them."""

from __future__ import annotations

import boto3

from bot.aws.tags import TagCache
from tests.harness import FakeClock, base_config, running_bot
from tests.readonly_estate import SeededEstate


async def test_a_route_on_the_team_tag_sends_that_teams_alerts_to_its_channel(
    seeded_estate_readonly: SeededEstate, database_url: str
) -> None:
    config = base_config(
        checks=[{"type": "log_errors", "every": "1h", "log_groups": ["/aws/lambda/*"], "first_look_back": "2h"}],
        routes=[{"name": "payments", "match": {"team": "payments"}, "channel": "#ops"}],
    )
    clock = FakeClock(seeded_estate_readonly.seeded_at)
    async with running_bot(moto=seeded_estate_readonly, database_url=database_url, config=config, clock=clock) as bot:
        await bot.run_checks()
        await bot.drain()
        ops = bot.slack.channel_messages("#ops")
        assert ops and all("payments-worker" in m.text for m in ops)
        alerts = " ".join(m.text for m in bot.slack.channel_messages("#alerts"))
        assert "payments-worker" not in alerts and "orders-api" in alerts


def test_tags_are_scanned_once_per_ttl_not_once_per_resource(seeded_estate_readonly: SeededEstate) -> None:
    endpoint = seeded_estate_readonly.endpoint
    client = boto3.client("resourcegroupstaggingapi", endpoint_url=endpoint, region_name="us-east-1")
    calls: list[str] = []
    client.meta.events.register("before-call.resource-groups-tagging-api.GetResources", lambda **_: calls.append("x"))
    now = [0.0]
    cache = TagCache(ttl=300, clock=lambda: now[0])
    tags = cache.tags("default", "us-east-1", client)
    assert tags["arn:aws:lambda:us-east-1:123456789012:function:payments-worker"]["team"] == "payments"
    cache.tags("default", "us-east-1", client)
    assert len(calls) == 1
    now[0] = 301
    cache.tags("default", "us-east-1", client)
    assert len(calls) == 2
