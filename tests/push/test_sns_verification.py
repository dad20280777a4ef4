"""Verify first: a delivery that is unsigned, badly signed, signed with a certificate from a host that is not SNS's,
for a topic not configured, or too old, or that is not an SNS message at all, is refused with 403 and changes nothing,
for SignatureVersion 1 and 2 alike; only a certificate that its allowed host cannot serve now (no answer, or a 5xx)
is a 503, which SNS retries."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws.fake_sns import CERT_PATH, UNAVAILABLE_CERT_PATH, FakeSns
from sandbox.aws.server import MotoHandle
from scheduler.push.sns_receiver import IGNORED
from tests.harness import RunningBot, running_bot
from tests.push.alarm_messages import alarm_notification
from tests.push.sns_bot import Stored, deliver, metrics, push_config, stored

Forgery = Callable[[FakeSns, RunningBot, str], dict[str, Any]]
VERSIONS = pytest.mark.parametrize("version", ["1", "2"])
"""Every refusal, for SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA)."""
NOTHING = Stored(alerts=[], incidents=[], outbox=0, deliveries=[])


def alarm(bot: RunningBot) -> dict[str, Any]:
    return alarm_notification("orders-api-errors", "ALARM", at=bot.clock.now)


def tampered(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    signed = sns.notification(alarm(bot), version=version)
    return signed | {"Message": signed["Message"].replace("orders-api-errors", "payments-errors")}


def unsigned(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    signed = sns.notification(alarm(bot), version=version)
    return {k: v for k, v in signed.items() if k not in ("Signature", "SignatureVersion", "SigningCertURL")}


def signed_with_the_other_hash(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    """SHA1withRSA called version 2, or SHA256withRSA called version 1."""
    other = "2" if version == "1" else "1"
    return sns.notification(alarm(bot), version=other) | {"SignatureVersion": version}


def version_3(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    return sns.notification(alarm(bot), version=version) | {"SignatureVersion": "3"}


def signature_not_base64(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    return sns.notification(alarm(bot), version=version) | {"Signature": "not base64!"}


def other_topic(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    return sns.notification(alarm(bot), version=version, topic="arn:aws:sns:us-east-1:123456789012:someone-elses")


def two_hours_old(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    return sns.notification(alarm(bot), version=version, at=bot.clock.now - timedelta(hours=2))


def from_the_future(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    return sns.notification(alarm(bot), version=version, at=bot.clock.now + timedelta(hours=1))


def certificate_from_another_host(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    return sns.notification(alarm(bot), version=version, cert_url=f"https://localhost:{sns.port}{CERT_PATH}")


def certificate_over_http(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    return sns.notification(alarm(bot), version=version, cert_url=f"http://127.0.0.1:{sns.port}{CERT_PATH}")


def certificate_at_another_path(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    """An allowed host, but not where SNS keeps certificates (on a real SNS host: whatever else it serves)."""
    return sns.notification(alarm(bot), version=version, cert_url=f"{sns.base_url}/large")


def certificate_url_swapped_after_signing(sns: FakeSns, bot: RunningBot, version: str) -> dict[str, Any]:
    """SigningCertURL is not signed: the host check is what guards it."""
    return sns.notification(alarm(bot), version=version) | {
        "SigningCertURL": f"https://sns.us-east-1.amazonaws.com.evil.example{CERT_PATH}"
    }


@pytest.mark.parametrize(
    "forgery",
    [
        tampered, unsigned, signed_with_the_other_hash, version_3, signature_not_base64, other_topic, two_hours_old,
        from_the_future, certificate_from_another_host, certificate_over_http, certificate_at_another_path,
        certificate_url_swapped_after_signing,
    ],
)  # fmt: skip
@VERSIONS
async def test_an_unverified_delivery_is_refused_and_changes_nothing(
    bot: RunningBot, sns: FakeSns, forgery: Forgery, version: str, caplog: pytest.LogCaptureFixture
) -> None:
    forged = forgery(sns, bot, version)
    with caplog.at_level(logging.INFO, logger="scheduler.push"):
        assert await deliver(bot, forged) == 403
    await bot.drain()

    assert await stored(bot) == NOTHING
    assert bot.slack.channel_messages("#alerts") == []
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("scheduler.push")]
    assert line.startswith(f"refused SNS message {forged['MessageId']!r}")
    assert forged["Message"] not in line
    assert "Signature" not in forged or forged["Signature"] not in line


@pytest.mark.parametrize(
    "forgery",
    [certificate_from_another_host, certificate_over_http, certificate_at_another_path, other_topic, unsigned],
)
@VERSIONS
async def test_a_refused_delivery_fetches_nothing(
    bot: RunningBot, sns: FakeSns, forgery: Forgery, version: str
) -> None:
    assert await deliver(bot, forgery(sns, bot, version)) == 403
    assert sns.certificate_fetches == 0


@VERSIONS
async def test_a_certificate_expired_by_now_is_refused(bot: RunningBot, sns: FakeSns, version: str) -> None:
    bot.clock.advance(days=60)  # the fake SNS's certificate is good for 30 days
    assert await deliver(bot, sns.notification(alarm(bot), version=version, at=bot.clock.now)) == 403
    assert await stored(bot) == NOTHING


async def test_the_signing_certificate_is_fetched_once(bot: RunningBot, sns: FakeSns) -> None:
    for state in ("ALARM", "OK", "ALARM"):
        pushed = alarm_notification("orders-api-errors", state, at=bot.clock.now)
        assert await deliver(bot, sns.notification(pushed)) == 200
        bot.clock.advance(seconds=10)
    assert sns.certificate_fetches == 1


@VERSIONS
async def test_a_certificate_its_host_says_it_has_not_is_refused(bot: RunningBot, sns: FakeSns, version: str) -> None:
    gone = f"https://127.0.0.1:{sns.port}/SimpleNotificationService-gone.pem"  # 404
    assert await deliver(bot, sns.notification(alarm(bot), version=version, cert_url=gone)) == 403
    assert await stored(bot) == NOTHING


@VERSIONS
async def test_a_certificate_host_that_is_down_asks_sns_to_retry(bot: RunningBot, sns: FakeSns, version: str) -> None:
    down = sns.notification(alarm(bot), version=version, cert_url=sns.base_url + UNAVAILABLE_CERT_PATH)
    assert await deliver(bot, down) == 503
    assert await stored(bot) == NOTHING


def _fields_without(*names: str) -> bytes:
    message = {"Type": "Notification", "MessageId": "m-1", "TopicArn": "t", "Message": "{}", "Timestamp": "x"}
    return json.dumps({k: v for k, v in message.items() if k not in names}).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"", b"not json", b"\xff\xfe", b"[]", b'"Notification"', _fields_without("MessageId"),
        _fields_without("Type"), _fields_without("Message"),
        json.dumps({"Type": "Bogus", "MessageId": "m", "TopicArn": "t", "Message": "", "Timestamp": "x"}).encode(),
        json.dumps({"Type": "Notification", "MessageId": 5, "TopicArn": "t", "Message": "", "Timestamp": "x"}).encode(),
        _fields_without(),  # a Timestamp that is not a time
        json.dumps({
            "Type": "SubscriptionConfirmation", "MessageId": "m", "TopicArn": "t", "Message": "",
            "Timestamp": "2026-01-01T00:00:00Z",
        }).encode(),  # no SubscribeURL, no Token
    ],
)  # fmt: skip
async def test_a_body_that_is_not_an_sns_message_is_refused_with_one_line(
    bot: RunningBot, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="scheduler.push"):
        assert await deliver(bot, body) == 403
    assert await stored(bot) == NOTHING
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("scheduler.push")]
    assert line.startswith("refused a delivery to /aws/sns that is not an SNS message: ")


@VERSIONS
async def test_a_bot_without_push_topics_takes_nothing(
    moto: MotoHandle, database_url: str, sns: FakeSns, tmp_path: Path, version: str
) -> None:
    config = push_config(tmp_path)
    config["push"]["sns"]["topics"] = []
    async with running_bot(moto=moto, database_url=database_url, config=config) as bot:
        assert await deliver(bot, sns.notification(alarm(bot), version=version)) == 403
        assert 'boltwatch_sns_deliveries_total{outcome="refused"} 1.0' in await metrics(bot)
        assert await stored(bot) == NOTHING


@VERSIONS
async def test_the_subject_is_signed_when_there_is_one(bot: RunningBot, sns: FakeSns, version: str) -> None:
    message = sns.notification("hello from a person", subject="A subject\nover two lines", version=version)
    assert await deliver(bot, message | {"Subject": "Another subject", "MessageId": "m-2"}) == 403
    assert await deliver(bot, message) == 200
    assert (await stored(bot)).deliveries == [("unknown", IGNORED)]
