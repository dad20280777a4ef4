"""The HTTP client that reaches SNS from a delivery: allowed hosts over HTTPS only, no redirects, bounded answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.aws.sns_hosts import SnsHosts, UrlNotAllowed
from bot.aws.sns_http import FetchFailed, SnsHttp
from sandbox.aws.fake_sns import CERT_PATH, UNAVAILABLE_CERT_PATH, FakeSns


@pytest.fixture
async def http(sns: FakeSns, tmp_path: Path):  # type: ignore[no-untyped-def]
    client = SnsHttp(SnsHosts(["127.0.0.1"]), ca_bundle=str(tmp_path / "ca.pem"), timeout=5)
    yield client
    await client.close()


async def test_it_fetches_from_an_allowed_host_it_trusts(http: SnsHttp, sns: FakeSns) -> None:
    assert await http.get(sns.cert_url) == sns.keys.cert_pem


async def test_a_host_not_allowed_is_refused_before_any_connection(http: SnsHttp, sns: FakeSns) -> None:
    with pytest.raises(UrlNotAllowed, match="localhost is not an allowed SNS host"):
        await http.get(f"https://localhost:{sns.port}{CERT_PATH}")
    assert sns.certificate_fetches == 0


async def test_a_redirect_is_not_followed(http: SnsHttp, sns: FakeSns) -> None:
    with pytest.raises(FetchFailed, match="HTTP 302") as failed:
        await http.get(f"{sns.base_url}/redirect")
    assert not failed.value.transient


async def test_a_large_answer_is_refused(http: SnsHttp, sns: FakeSns) -> None:
    with pytest.raises(FetchFailed, match="larger than") as failed:
        await http.get(f"{sns.base_url}/large")
    assert not failed.value.transient


async def test_a_5xx_may_work_on_a_retry_and_a_404_will_not(http: SnsHttp, sns: FakeSns) -> None:
    with pytest.raises(FetchFailed, match="HTTP 503") as unavailable:
        await http.get(sns.base_url + UNAVAILABLE_CERT_PATH)
    with pytest.raises(FetchFailed, match="HTTP 404") as missing:
        await http.get(f"{sns.base_url}/SimpleNotificationService-gone.pem")
    assert (unavailable.value.transient, missing.value.transient) == (True, False)


async def test_a_server_it_does_not_trust_fails_without_repeating_the_urls_query(sns: FakeSns) -> None:
    untrusting = SnsHttp(SnsHosts(["127.0.0.1"]))  # the system's CAs: the fake SNS's certificate is not theirs
    try:
        with pytest.raises(FetchFailed) as failed:
            await untrusting.get(f"{sns.base_url}/?Action=ConfirmSubscription&Token=s3cr3t-t0ken")
    finally:
        await untrusting.close()
    assert "s3cr3t-t0ken" not in str(failed.value)
    assert "Certificate" in str(failed.value) or "SSL" in str(failed.value)
