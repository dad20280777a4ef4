"""AWS settings for tests against moto (the server itself is the root conftest's `moto_session`)."""

from __future__ import annotations

from bot.aws.settings import AccountSettings, AwsSettings


def fast_settings(*accounts: AccountSettings, regions: list[str] | None = None) -> AwsSettings:
    """Settings that fail fast against moto: one attempt (moto answers unimplemented calls with 500)."""
    return AwsSettings(
        regions=regions or ["us-east-1"],
        accounts=list(accounts) or [AccountSettings(name="main")],
        max_attempts=1,
        connect_timeout=2,
        read_timeout=10,
    )
