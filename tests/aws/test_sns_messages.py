"""The string an SNS signature covers, field by field as AWS documents it, and bodies that are not SNS messages."""

from __future__ import annotations

import json

import pytest

from bot.aws.sns_messages import MalformedMessage, MessageType, parse_sns_message

NOTIFICATION = {
    "Type": "Notification",
    "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
    "Subject": "My First Message",
    "Message": "Hello world!\nSecond line",
    "Timestamp": "2012-05-02T00:54:06.655Z",
    "SignatureVersion": "1",
    "Signature": "EXAMPLEw6JRN=",
    "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
    "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:x",
}
CONFIRMATION = {
    "Type": "SubscriptionConfirmation",
    "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    "Token": "2336412f37",
    "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
    "Message": "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.",
    "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37",
    "Timestamp": "2012-04-26T20:45:04.751Z",
    "SignatureVersion": "1",
    "Signature": "EXAMPLEpH+=",
    "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
}


def test_a_notification_signs_message_id_subject_timestamp_topic_and_type_in_that_order() -> None:
    message = parse_sns_message(json.dumps(NOTIFICATION).encode())
    assert message.string_to_sign() == (
        b"Message\nHello world!\nSecond line\n"
        b"MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        b"Subject\nMy First Message\n"
        b"Timestamp\n2012-05-02T00:54:06.655Z\n"
        b"TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n"
        b"Type\nNotification\n"
    )


@pytest.mark.parametrize("subject", ["absent", None])
def test_a_notification_without_a_subject_signs_no_subject_line(subject: str | None) -> None:
    body = {k: v for k, v in NOTIFICATION.items() if k != "Subject"}
    if subject is None:
        body["Subject"] = None
    assert b"Subject" not in parse_sns_message(json.dumps(body).encode()).string_to_sign()


@pytest.mark.parametrize("kind", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
def test_a_confirmation_signs_its_subscribe_url_and_token(kind: str) -> None:
    message = parse_sns_message(json.dumps(CONFIRMATION | {"Type": kind}).encode())
    assert message.type is MessageType(kind)
    assert message.string_to_sign() == (
        b"Message\nYou have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\n"
        b"MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
        b"SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37\n"
        b"Timestamp\n2012-04-26T20:45:04.751Z\n"
        b"Token\n2336412f37\n"
        b"TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\n" + f"Type\n{kind}\n".encode()
    )


def test_unicode_in_the_message_is_signed_as_utf8() -> None:
    message = parse_sns_message(json.dumps(NOTIFICATION | {"Message": "café ☕"}).encode())
    assert "Message\ncafé ☕\n".encode() in message.string_to_sign()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{", "not JSON"),
        (b"[1]", "not a JSON object"),
        (json.dumps({**NOTIFICATION, "Type": "Other"}).encode(), "not an SNS message type"),
        (json.dumps({k: v for k, v in NOTIFICATION.items() if k != "TopicArn"}).encode(), "no string field TopicArn"),
        (json.dumps({**NOTIFICATION, "Subject": 3}).encode(), "Subject is not a string"),
        (json.dumps({**NOTIFICATION, "Timestamp": "yesterday"}).encode(), "not an ISO 8601 time"),
        (json.dumps({**NOTIFICATION, "Timestamp": "2012-05-02T00:54:06"}).encode(), "no time zone"),
        (json.dumps({k: v for k, v in CONFIRMATION.items() if k != "Token"}).encode(), "without Token"),
    ],
)
def test_a_body_that_is_not_an_sns_message_says_what_is_wrong(body: bytes, problem: str) -> None:
    with pytest.raises(MalformedMessage, match=problem):
        parse_sns_message(body)
