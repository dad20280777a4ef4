"""The browser view's routes without a browser: loopback only, JSON posts only, and a clear word without a bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sandbox.slack import LocalSlack
from sandbox.slack.emoji import EMOJI
from sandbox.slack.web_view import Scenario


@pytest.fixture
async def slack() -> AsyncIterator[LocalSlack]:
    scenarios = {"fire_alarm": Scenario("Fire alarm", lambda name: f"alarm {name} is now ALARM.", ("a", "b"))}
    async with LocalSlack(scenarios=scenarios) as local:
        yield local


async def test_the_page_and_its_assets_are_served_with_a_strict_policy(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(slack.url + "/") as page:
            assert page.status == 200 and "text/html" in page.headers["Content-Type"]
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            assert '<script src="/static/app.js"' in await page.text()
        for name in ("app.js", "style.css"):
            async with http.get(f"{slack.url}/static/{name}") as asset:
                assert asset.status == 200
        async with http.get(slack.url + "/static/../server.py") as missing:
            assert missing.status == 404


async def test_another_host_name_is_refused(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(slack.url + "/sandbox/state", headers={"Host": "evil.example"}) as answer:
            assert answer.status == 403


async def test_a_form_post_from_another_page_is_refused(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(slack.url + "/sandbox/command", data={"text": "/boltwatch help"}) as answer:
            assert answer.status == 415


async def test_a_command_without_a_bot_says_where_to_point_it(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(slack.url + "/sandbox/command", json={"text": "/logs x", "channel": "C0ALERTS"}) as answer:
            assert answer.status == 409
            assert "slack.app_url" in await answer.text()


async def test_the_feed_answers_unchanged_until_something_happens(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(slack.url + "/sandbox/state") as first:
            state = await first.json()
        assert state["channels"] == [{"id": "C0ALERTS", "name": "alerts"}] and state["messages"] == []
        query = {"version": str(state["version"]), "channel": "C0ALERTS"}
        async with http.get(slack.url + "/sandbox/state", params=query) as same:
            assert (await same.json())["unchanged"] is True
        slack.post_user_message("#alerts", "hello")
        async with http.get(slack.url + "/sandbox/state", params=query) as changed:
            assert [m["text"] for m in (await changed.json())["messages"]] == ["hello"]


async def test_a_scenario_runs_with_the_chosen_target(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(slack.url + "/sandbox/scenarios") as listed:
            assert (await listed.json())["scenarios"] == [
                {"name": "fire_alarm", "label": "Fire alarm", "targets": ["a", "b"]}
            ]
        async with http.post(slack.url + "/sandbox/scenario", json={"name": "fire_alarm", "target": "b"}) as ran:
            assert await ran.json() == {"ok": True, "result": "alarm b is now ALARM."}
        async with http.post(slack.url + "/sandbox/scenario", json={"name": "nope"}) as unknown:
            assert unknown.status == 404
        async with http.post(slack.url + "/sandbox/scenario", json={"name": "fire_alarm", "target": "c"}) as wrong:
            assert wrong.status == 400 and "pick one of a, b" in (await wrong.json())["error"]


async def test_the_emoji_table_the_page_draws_with_is_the_terminals(slack: LocalSlack) -> None:
    async with aiohttp.ClientSession() as http, http.get(slack.url + "/sandbox/emoji") as answer:
        table = (await answer.json())["emoji"]

    assert table == EMOJI
    assert (table["alarm_clock"], table["new"]) == ("⏰", "🆕")
