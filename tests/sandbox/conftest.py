"""Fixtures for the local Slack's own tests: a Slack on a clock the test moves, and a Web API client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack import LocalSlack

SECRET = "s3cret"


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[LocalSlack]:
    """Slack's state runs on the fake clock; signatures keep the wall clock Bolt verifies against."""
    async with LocalSlack(signing_secret=SECRET, clock=clock) as local:
        yield local


@pytest.fixture
def client(slack: LocalSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
