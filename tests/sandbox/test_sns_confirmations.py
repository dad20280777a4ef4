"""moto taught SNS's confirmation of http(s) subscriptions (sandbox/aws/sns_confirmations.py), through boto3 over
HTTP: Subscribe POSTs a SubscriptionConfirmation shaped as SNS documents it, the subscription stays pending (and gets
nothing published) until its SubscribeURL is visited, and ConfirmSubscription refuses a token it never sent."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from sandbox.aws.server import MotoHandle, sandbox_client
from tests.sandbox.test_message_moves import until


class Endpoint:
    """An HTTP endpoint on 127.0.0.1 that takes every POST: (headers, JSON body)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    running = Endpoint()
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture
def sns(moto: MotoHandle) -> BaseClient:
    return sandbox_client(moto.endpoint, "sns")


def test_subscribing_an_http_endpoint_sends_it_a_confirmation_as_sns_does(
    moto: MotoHandle, sns: BaseClient, endpoint: Endpoint
) -> None:
    topic = sns.create_topic(Name="alarms")["TopicArn"]

    answer = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)["SubscriptionArn"]

    headers, body = until(lambda: endpoint.received)[0]
    [listed] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert answer == "pending confirmation"
    assert listed["SubscriptionArn"] == "PendingConfirmation"
    assert set(body) == {
        "Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp", "SignatureVersion",
        "Signature", "SigningCertURL",
    }  # fmt: skip
    assert body["Type"] == "SubscriptionConfirmation"
    assert body["TopicArn"] == topic
    assert body["Message"] == (
        f"You have chosen to subscribe to the topic {topic}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )
    url = urlsplit(body["SubscribeURL"])
    assert f"{url.scheme}://{url.netloc}" == moto.endpoint
    assert parse_qs(url.query) == {"Action": ["ConfirmSubscription"], "TopicArn": [topic], "Token": [body["Token"]]}
    assert body["SignatureVersion"] == "1"
    assert body["SigningCertURL"].startswith("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-")
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-message-id"] == body["MessageId"]
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["x-amz-sns-subscription-arn"].startswith(topic + ":")
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"


def test_a_subscription_gets_nothing_until_its_subscribe_url_is_visited(sns: BaseClient, endpoint: Endpoint) -> None:
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    arn = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url, ReturnSubscriptionArn=True)[
        "SubscriptionArn"
    ]
    [(_, confirmation)] = until(lambda: endpoint.received)
    sns.publish(TopicArn=topic, Message="while pending")
    pending = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]

    with pytest.raises(ClientError) as refused:
        sns.confirm_subscription(TopicArn=topic, Token="0" * 256)
    with urllib.request.urlopen(confirmation["SubscribeURL"], timeout=30) as visited:  # unsigned, as SNS's is
        confirmed_arn = visited.read().decode()
    sns.publish(TopicArn=topic, Message="once confirmed")

    assert pending["PendingConfirmation"] == "true"
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    assert f"<SubscriptionArn>{arn}</SubscriptionArn>" in confirmed_arn
    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert (attributes["PendingConfirmation"], attributes["ConfirmationWasAuthenticated"]) == ("false", "false")
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]] == [arn]
    assert [(h["x-amz-sns-message-type"], b["Message"]) for h, b in endpoint.received[1:]] == [
        ("Notification", "once confirmed")
    ]


def test_confirming_with_a_signed_call_records_it_as_authenticated(sns: BaseClient, endpoint: Endpoint) -> None:
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
    [(_, confirmation)] = until(lambda: endpoint.received)

    arn = sns.confirm_subscription(TopicArn=topic, Token=confirmation["Token"])["SubscriptionArn"]

    attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert (attributes["PendingConfirmation"], attributes["ConfirmationWasAuthenticated"]) == ("false", "true")
