"""A bot that takes SNS deliveries for one topic, with certificates from the fake SNS on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.aws.server import MotoHandle
from tests.harness import RunningBot, running_bot
from tests.push.fake_sns import FakeSns, Keys, fake_sns, make_keys
from tests.push.sns_bot import push_config


@pytest.fixture(scope="session")
def keys() -> Keys:
    return make_keys()


@pytest.fixture
async def sns(keys: Keys, tmp_path: Path) -> AsyncIterator[FakeSns]:
    async with fake_sns(keys, tmp_path) as running:
        yield running


@pytest.fixture
async def bot(moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(moto=moto, database_url=database_url, config=push_config(tmp_path)) as running:
        yield running
