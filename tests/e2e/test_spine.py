"""The path from a signed request to a reply, over HTTP and Socket Mode; health and metrics."""

from __future__ import annotations

import aiohttp
import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.store.models import CheckHealth
from sandbox.aws.server import MotoHandle
from tests.harness import FakeClock, RunningBot, running_bot
from tests.readonly_estate import SeededEstate


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str):  # type: ignore[no-untyped-def]
    async with running_bot(moto=moto, database_url=database_url) as running:
        yield running


async def test_boltwatch_help_answers_over_http(bot: RunningBot) -> None:
    delivery = await bot.command("/boltwatch", "help")
    assert delivery.status == 200
    [reply] = bot.slack.ephemerals(user="U0ALICE")
    assert "/logs TARGET" in str(reply.blocks) and "/boltwatch help" in str(reply.blocks)


async def test_boltwatch_help_answers_over_socket_mode(moto: MotoHandle, database_url: str) -> None:
    async with running_bot(moto=moto, database_url=database_url, socket_mode=True) as bot:
        await bot.wait_for(lambda: bot.slack.socket_connections)
        delivery = await bot.slack.send_command(command="/boltwatch", text="help", via="socket")
        assert "/boltwatch help" in str(delivery.ack_body())


async def test_an_unknown_subcommand_gets_a_specific_private_reply(bot: RunningBot) -> None:
    await bot.command("/boltwatch", "dance")
    [reply] = await bot.wait_for(lambda: bot.slack.ephemerals(user="U0ALICE"))
    assert "`dance` is not a /boltwatch command" in reply.text
    assert bot.slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("tampering", [{"forge_signature": True}, {"stale_by": 360}])
async def test_forged_or_stale_requests_get_401_and_change_nothing(bot: RunningBot, tampering: dict) -> None:  # type: ignore[type-arg]
    delivery = await bot.slack.send_command(bot.events_url, command="/boltwatch", text="help", **tampering)
    assert delivery.status == 401
    assert bot.slack.ephemerals() == []


async def test_healthz_reports_version_database_and_scheduler(bot: RunningBot) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{bot.base_url}/healthz") as response:
        body = await response.json()
    assert response.status == 200
    assert body["database"] == "ok" and body["scheduler"] == "running" and body["mode"] == "http"
    assert body["version"]


async def test_metrics_count_requests_and_slack_calls(bot: RunningBot) -> None:
    await bot.command("/boltwatch", "help")
    await bot.command("/boltwatch", "nonsense")
    await bot.wait_for(lambda: len(bot.slack.ephemerals()) == 2)
    async with aiohttp.ClientSession() as http, http.get(f"{bot.base_url}/metrics") as response:
        text = await response.text()
    assert response.status == 200
    assert 'boltwatch_http_requests_total{path="/slack/events",status="200"} 2.0' in text
    assert "boltwatch_http_request_seconds_bucket" in text
    assert 'boltwatch_slack_api_calls_total{method="auth.test"}' in text


async def test_the_minimal_example_from_the_design_runs_its_three_checks(
    seeded_estate_readonly: SeededEstate, database_url: str
) -> None:
    from tests.test_config import MINIMAL

    config = yaml.safe_load(MINIMAL)
    clock = FakeClock(seeded_estate_readonly.seeded_at)
    async with running_bot(moto=seeded_estate_readonly, database_url=database_url, config=config, clock=clock) as bot:
        await bot.run_checks()
        await bot.drain()
        checks = await bot.app.services.db.run(lambda s: {h.name: h.last_error for h in s.query(CheckHealth)})
        assert checks == {"cloudwatch_alarms": None, "lambda_errors": None, "log_errors": None}
        titles = " ".join(m.text for m in bot.slack.channel_messages("#alerts"))
        assert "Alarm orders-api-errors" in titles


async def test_healthz_answers_503_while_transactions_fail_and_200_once_one_succeeds(bot: RunningBot) -> None:
    db = bot.app.services.db

    def rename_outbox(old: str, new: str) -> None:
        with db.transaction() as session:
            session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    async def health() -> tuple[int, dict]:  # type: ignore[type-arg]
        async with aiohttp.ClientSession() as http, http.get(f"{bot.base_url}/healthz") as response:
            return response.status, await response.json()

    rename_outbox("outbox", "outbox_away")
    with pytest.raises(DBAPIError):
        await bot.app.notifier.drain_once()
    status, body = await health()
    assert status == 503
    assert body["database"].startswith("transactions failing for") and "outbox" in body["database"]

    rename_outbox("outbox_away", "outbox")
    await bot.app.notifier.drain_once()
    status, body = await health()
    assert (status, body["database"]) == (200, "ok")
