"""Where a delivery's certificate and confirmation URLs may point: SNS's hosts in every partition, over HTTPS."""

from __future__ import annotations

import pytest

from bot.aws.sns_hosts import SnsHosts


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        "https://sns.us-iso-east-1.c2s.ic.gov/SimpleNotificationService-abc.pem",
        "https://SNS.US-EAST-1.AMAZONAWS.COM/x.pem",
    ],
)
def test_sns_hosts_of_every_partition_are_allowed_by_default(url: str) -> None:
    assert SnsHosts().problem(url) is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://sns.us-east-1.amazonaws.com/x.pem", "not https but http"),
        ("//sns.us-east-1.amazonaws.com/x.pem", "not https but relative"),
        ("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", "not an allowed SNS host"),
        ("https://evil.example/sns.us-east-1.amazonaws.com/x.pem", "not an allowed SNS host"),
        ("https://sns.amazonaws.com/x.pem", "not an allowed SNS host"),
        ("https://sqs.us-east-1.amazonaws.com/x.pem", "not an allowed SNS host"),
        ("https://sns.a.b.amazonaws.com/x.pem", "not an allowed SNS host"),
        ("https://me:pw@sns.us-east-1.amazonaws.com/x.pem", "carries credentials"),
        ("https://sns.us-east-1.amazonaws.com:x/x.pem", "cannot be parsed"),
        ("https://127.0.0.1/x.pem", "127.0.0.1 is not an allowed SNS host"),
    ],
)
def test_anything_else_is_not(url: str, problem: str) -> None:
    assert problem in (SnsHosts().problem(url) or "")


def test_configured_hosts_replace_the_defaults() -> None:
    hosts = SnsHosts(["127.0.0.1"])
    assert hosts.problem("https://127.0.0.1:8443/cert.pem") is None
    assert hosts.problem("https://sns.us-east-1.amazonaws.com/cert.pem") is not None
