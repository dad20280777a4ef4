"""SNS HTTP(S) subscriptions that wait for their confirmation, for moto's server.

moto (5.2.6, the newest on PyPI) confirms an http(s) subscription the moment it is made and never sends the
endpoint a SubscriptionConfirmation. `install()` teaches it what SNS does (developer guide, "HTTP/HTTPS subscription
confirmation JSON format" and "HTTP/HTTPS headers"; API reference, Subscribe and ConfirmSubscription):
- Subscribe with protocol http or https POSTs a signed SubscriptionConfirmation to the endpoint (`Type`,
  `MessageId`, `Token`, `TopicArn`, `Message`, `SubscribeURL`, `Timestamp`, `SignatureVersion`, `Signature`,
  `SigningCertURL`; headers `x-amz-sns-message-type`, `-message-id`, `-topic-arn`, `-subscription-arn`,
  `Content-Type: text/plain; charset=UTF-8`, SNS's User-Agent), from a thread of its own, after answering;
  Subscribe answers "pending confirmation" (the ARN with ReturnSubscriptionArn=true). Subscribing again while
  pending sends another confirmation with a new token; each token sent stays good.
- The subscription stays pending until ConfirmSubscription is called with a token sent to it: GetSubscriptionAttributes
  says PendingConfirmation true, ListSubscriptions(ByTopic) show its SubscriptionArn as "PendingConfirmation", and
  nothing published reaches it. A token of no subscription of the topic is `InvalidParameter`.
- The SubscribeURL is moto's own ConfirmSubscription action, `<moto endpoint>/?Action=ConfirmSubscription&TopicArn=
  ...&Token=...`, answered without a signature (the dispatcher is taught to send such a GET to SNS);
  ConfirmationWasAuthenticated says whether the confirming call was signed.
- Notifications to http(s) endpoints carry the same headers.

The confirmation is signed as moto signs its notifications: with the subscription's own key, whose certificate moto
serves at `https://sns.<region>.amazonaws.com/SimpleNotificationService-<id>.pem` (a host only moto's clients reach),
with the topic's SignatureVersion (SNS's default, 1, unless set).
Not as SNS does: a confirmation goes only to an endpoint on loopback (the sandbox never calls out of the machine;
others stay pending), is sent once (SNS retries), and its token does not expire (SNS's last three days).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import NameOID
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sns.exceptions import SNSInvalidParameter, TopicNotFound
from moto.sns.models import SNSBackend, Subscription, sns_backends
from moto.sns.responses import SNSResponse
from moto.utilities.arns import parse_arn

log = logging.getLogger(__name__)
HTTP_PROTOCOLS = ("http", "https")
PENDING_ARN = "PendingConfirmation"
"""A pending subscription's SubscriptionArn in ListSubscriptions and ListSubscriptionsByTopic."""
PENDING_ANSWER = "pending confirmation"
"""Subscribe's SubscriptionArn for a subscription that waits for its confirmation."""
USER_AGENT = "Amazon Simple Notification Service Agent"
DELIVERY_TIMEOUT_SECONDS = 15.0
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_SIGNED_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_installed = False


def install() -> None:
    """Teach moto's SNS confirmations (before its server starts); installing twice changes nothing."""
    global _installed
    if _installed:
        return
    _installed = True
    subscribe = SNSResponse.subscribe
    publish = Subscription.publish
    infer = DomainDispatcherApplication.infer_service_region_host

    def subscribe_pending(response: SNSResponse) -> ActionResult:
        return _subscribe(response, subscribe)

    def publish_confirmed(subscription: Subscription, message: str, message_id: str, **kwargs: Any) -> None:
        if subscription.protocol not in HTTP_PROTOCOLS:
            publish(subscription, message, message_id, **kwargs)
        elif not pending(subscription):
            _notify(subscription, message, message_id, **kwargs)

    def unsigned_confirmation(app: DomainDispatcherApplication, environ: dict[str, Any], path: str) -> str | None:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if not environ.get("HTTP_AUTHORIZATION") and query.get("Action") == ["ConfirmSubscription"]:
            try:
                return f"sns.{parse_arn(query.get('TopicArn', [''])[0]).region}.amazonaws.com"
            except (ValueError, IndexError):
                pass
        return infer(app, environ, path)

    SNSResponse.subscribe = subscribe_pending  # type: ignore[method-assign]
    SNSResponse.confirm_subscription = _confirm_subscription  # type: ignore[method-assign]
    Subscription.publish = publish_confirmed  # type: ignore[assignment]
    Subscription.listed_arn = property(lambda s: PENDING_ARN if pending(s) else s.arn)  # type: ignore[attr-defined]
    Subscription.Meta = type("Meta", (), {"serialization_aliases": {"SubscriptionArn": "listed_arn"}})  # type: ignore[attr-defined]
    DomainDispatcherApplication.infer_service_region_host = unsigned_confirmation  # type: ignore[method-assign]


def pending(subscription: Subscription) -> bool:
    return bool(subscription.attributes.get("PendingConfirmation"))


def _tokens(subscription: Subscription) -> set[str]:
    """The tokens sent to the subscription; kept on it, so that moto's reset forgets them."""
    tokens: set[str] = subscription.__dict__.setdefault("confirmation_tokens", set())
    return tokens


def _subscribe(response: SNSResponse, subscribe: Callable[[SNSResponse], ActionResult]) -> ActionResult:
    protocol, topic_arn = response._get_param("Protocol"), response._get_param("TopicArn")
    if protocol not in HTTP_PROTOCOLS:
        return subscribe(response)
    backend = response.backend
    before = backend._find_subscription(topic_arn, response._get_param("Endpoint"), protocol)
    subscribe(response)
    subscription = backend._find_subscription(topic_arn, response._get_param("Endpoint"), protocol)
    assert subscription is not None
    if before is None or pending(before):
        subscription.attributes |= {"PendingConfirmation": True, "ConfirmationWasAuthenticated": False}
        token = secrets.token_hex(128)
        _tokens(subscription).add(token)
        parts = urlsplit(response.uri)
        query = urlencode({"Action": "ConfirmSubscription", "TopicArn": topic_arn, "Token": token})
        confirmation = _confirmation(subscription, token, f"{parts.scheme}://{parts.netloc}/?{query}")
        threading.Thread(target=_post, args=(subscription, confirmation), name="sns-confirmation", daemon=True).start()
    shown = pending(subscription) and not response._get_param("ReturnSubscriptionArn", False)
    return ActionResult({"SubscriptionArn": PENDING_ANSWER if shown else subscription.arn})


def _confirm_subscription(response: SNSResponse) -> ActionResult:
    topic_arn, token = response._get_param("TopicArn") or "", response._get_param("Token") or ""
    try:
        arn = parse_arn(topic_arn)
        topic = sns_backends[arn.account][arn.region].topics[topic_arn]
    except (ValueError, KeyError):
        raise TopicNotFound from None
    backend: SNSBackend = topic.sns_backend
    for subscription in list(backend.subscriptions.values()):
        if subscription.topic is topic and token in _tokens(subscription):
            if pending(subscription):
                signed = "Authorization" in response.headers
                subscription.attributes |= {"PendingConfirmation": False, "ConfirmationWasAuthenticated": signed}
            return ActionResult({"SubscriptionArn": subscription.arn})
    raise SNSInvalidParameter("Invalid parameter: Token")


def _confirmation(subscription: Subscription, token: str, subscribe_url: str) -> dict[str, str]:
    topic = subscription.topic
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": token,
        "TopicArn": topic.arn,
        "Message": f"You have chosen to subscribe to the topic {topic.arn}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message.",
        "SubscribeURL": subscribe_url,
        "Timestamp": iso_8601_datetime_with_milliseconds(),
    }
    version = str(getattr(topic, "signature_version", "") or "1")
    algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
    key = subscription.private_key()
    string_to_sign = "".join(f"{name}\n{message[name]}\n" for name in _SIGNED_FIELDS)
    signature = key.sign(string_to_sign.encode(), padding.PKCS1v15(), algorithm)
    return message | {
        "SignatureVersion": version,
        "Signature": base64.b64encode(signature).decode(),
        "SigningCertURL": _certificate_url(subscription),
    }


def _certificate_url(subscription: Subscription) -> str:
    """Where moto serves the certificate of the subscription's key, registered as moto registers its own."""
    key = subscription.private_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(utcnow())
        .not_valid_after(utcnow() + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    region = subscription.topic.sns_backend.region_name
    key_name = f"SimpleNotificationService-{uuid.uuid4().hex}.pem"
    sns_backends[DEFAULT_ACCOUNT_ID][region]._message_public_keys[key_name] = certificate.public_bytes(
        serialization.Encoding.PEM
    )
    return f"https://sns.{region}.amazonaws.com/{key_name}"


def _notify(
    subscription: Subscription, message: str, message_id: str, *, subject: str | None = None,
    message_attributes: dict[str, Any] | None = None, message_structure: str | None = None, **_: Any,
) -> None:  # fmt: skip
    """moto's own delivery to an http(s) endpoint, with SNS's headers."""
    matcher = subscription._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return
    if message_structure == "json":
        message = subscription._parse_message_structure(message, subscription.protocol)
    _post(subscription, subscription.get_post_data(message, message_id, subject), synchronously=True)


def _post(subscription: Subscription, body: dict[str, Any], *, synchronously: bool = False) -> None:
    """POST a message to the subscription's endpoint as SNS does. A confirmation to an endpoint off the machine is
    not sent; one that fails is logged (the subscription stays pending). A notification is posted as moto posts it."""
    headers = {
        "x-amz-sns-message-type": body["Type"],
        "x-amz-sns-message-id": body["MessageId"],
        "x-amz-sns-topic-arn": body["TopicArn"],
        "x-amz-sns-subscription-arn": subscription.arn,
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": USER_AGENT,
    }
    if synchronously:
        requests.post(subscription.endpoint, data=json.dumps(body), headers=headers)
        return
    if urlsplit(subscription.endpoint).hostname not in LOOPBACK_HOSTS:
        log.info("not sending the confirmation of %s off this machine", subscription.endpoint)
        return
    try:
        requests.post(subscription.endpoint, data=json.dumps(body), headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        log.warning("could not send the confirmation of %s: %s", subscription.arn, exc)
