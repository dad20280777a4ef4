"""The delivery tests' shared parts: a fake clock at the alerting tests' NOW, and a local Slack on that clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.slack import LocalSlack
from tests.alerting import NOW
from tests.harness import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[LocalSlack]:
    async with LocalSlack(clock=clock.timestamp) as local:
        yield local
