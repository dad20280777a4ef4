"""Where a delivery's certificate and confirmation URLs may point: SNS's hosts in every partition, over HTTPS; a
signing certificate only at the path SNS serves them at."""

from __future__ import annotations

import pytest

from bot.aws.sns_hosts import SnsHosts

PEM = "/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"


@pytest.mark.parametrize(
    "host",
    [
        "sns.us-east-1.amazonaws.com",
        "sns.eu-west-1.amazonaws.com",
        "sns.ap-southeast-7.amazonaws.com",
        "sns.us-gov-west-1.amazonaws.com",
        "sns.cn-north-1.amazonaws.com.cn",
        "sns.eusc-de-east-1.amazonaws.eu",
        "sns.us-iso-east-1.c2s.ic.gov",
        "sns.us-isob-east-1.sc2s.sgov.gov",
        "sns.eu-isoe-west-1.cloud.adc-e.uk",
        "sns.us-isof-south-1.csp.hci.ic.gov",
        "SNS.US-EAST-1.AMAZONAWS.COM",
    ],
)
def test_sns_hosts_of_every_partition_are_allowed_by_default(host: str) -> None:
    assert SnsHosts().problem(f"https://{host}/?Action=ConfirmSubscription&Token=t") is None
    assert SnsHosts().certificate_problem(f"https://{host}{PEM}") is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"http://sns.us-east-1.amazonaws.com{PEM}", "not https but http"),
        (f"//sns.us-east-1.amazonaws.com{PEM}", "not https but relative"),
        (f"https://sns.us-east-1.amazonaws.com.evil.example{PEM}", "not an allowed SNS host"),
        (f"https://evil.example/sns.us-east-1.amazonaws.com{PEM}", "not an allowed SNS host"),
        (f"https://sns.amazonaws.com{PEM}", "not an allowed SNS host"),
        (f"https://sqs.us-east-1.amazonaws.com{PEM}", "not an allowed SNS host"),
        (f"https://sns.a.b.amazonaws.com{PEM}", "not an allowed SNS host"),
        # S3 buckets named `sns`: anyone can put a certificate there
        (f"https://sns.s3.amazonaws.com{PEM}", "sns.s3.amazonaws.com is not an allowed SNS host"),
        (f"https://sns.s3-accelerate.amazonaws.com{PEM}", "not an allowed SNS host"),
        (f"https://sns.s3-external-1.amazonaws.com{PEM}", "not an allowed SNS host"),
        (f"https://sns.s3-us-west-2.amazonaws.com{PEM}", "not an allowed SNS host"),
        (f"https://sns.s3.amazonaws.com.cn{PEM}", "not an allowed SNS host"),
        (f"https://sns.compute-1.amazonaws.com{PEM}", "not an allowed SNS host"),
        (f"https://me:pw@sns.us-east-1.amazonaws.com{PEM}", "carries credentials"),
        (f"https://sns.us-east-1.amazonaws.com:x{PEM}", "cannot be parsed"),
        (f"https://127.0.0.1{PEM}", "127.0.0.1 is not an allowed SNS host"),
        ("https://sns.us-east-1.amazonaws.com/x.pem", "not that of an SNS signing certificate"),
        ("https://sns.us-east-1.amazonaws.com/uploads/SimpleNotificationService-abc.pem", "not that of an SNS"),
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-../x.pem", "not that of an SNS"),
        ("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription", "not that of an SNS"),
        (f"https://sns.us-east-1.amazonaws.com{PEM}?x=1", "not that of an SNS"),
    ],
)
def test_anything_else_is_not_a_signing_certificate(url: str, problem: str) -> None:
    assert problem in (SnsHosts().certificate_problem(url) or "")


def test_configured_hosts_replace_the_defaults() -> None:
    hosts = SnsHosts(["127.0.0.1"])
    assert hosts.certificate_problem(f"https://127.0.0.1:8443{PEM}") is None
    assert hosts.certificate_problem("https://127.0.0.1:8443/cert.pem") is not None
    assert hosts.certificate_problem(f"https://sns.us-east-1.amazonaws.com{PEM}") is not None


def test_a_configured_wildcard_stands_for_a_region_only() -> None:
    hosts = SnsHosts(["sns.*.example.internal"])
    assert hosts.problem("https://sns.eu-central-2.example.internal/") is None
    assert hosts.problem("https://sns.anything.example.internal/") is not None


TOPIC = "arn:aws:sns:us-west-2:123456789012:MyTopic"
CONFIRM = f"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37fb"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (CONFIRM, None),  # as SNS sends it
        (CONFIRM.replace("&Token=", "&Token=1"), "its Token is not the message's"),
        (CONFIRM.replace("MyTopic", "Other"), "its TopicArn is not the message's"),
        (CONFIRM.replace("ConfirmSubscription", "Unsubscribe"), "the action is not ConfirmSubscription"),
        (CONFIRM.replace(".com/?", ".com/confirm?"), "the path is not that of SNS's API (/)"),
        (CONFIRM + "&Token=2336412f37fb", "the query is not Action, TopicArn and Token, once each"),
        (CONFIRM.replace("https:", "http:"), "the URL is not https but http"),
        (CONFIRM.replace("sns.us-west-2.amazonaws.com", "sns.s3.amazonaws.com"), "is not an allowed SNS host"),
    ],
)
def test_a_subscribe_url_is_only_snss_confirm_subscription_for_its_own_message(url: str, problem: str | None) -> None:
    found = SnsHosts().confirmation_problem(url, topic_arn=TOPIC, token="2336412f37fb")
    assert found == problem if problem is None else problem in (found or "")
    assert "2336412f37fb" not in (found or "")
