"""Amazon SNS HTTP(S) deliveries as SNS sends them: the JSON body read into a typed message, and the exact string
its signature covers (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class MessageType(StrEnum):
    NOTIFICATION = "Notification"
    SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
    UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"


class MalformedMessage(ValueError):
    """A body that is not an SNS message: not JSON, an unknown type, a field missing or of the wrong type."""


_SIGNED_FIELDS = {
    MessageType.NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    MessageType.SUBSCRIPTION_CONFIRMATION: (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
    MessageType.UNSUBSCRIBE_CONFIRMATION: (
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ),
}  # fmt: skip
"""What each type's signature covers, in the order SNS writes them; `Subject` only when the message has one."""
_REQUIRED = ("Type", "MessageId", "TopicArn", "Message", "Timestamp")
_OPTIONAL = ("Subject", "SubscribeURL", "Token", "Signature", "SignatureVersion", "SigningCertURL")


@dataclass(frozen=True)
class SnsMessage:
    type: MessageType
    fields: dict[str, str]
    """Every string field the body had that SNS defines (the unsigned `UnsubscribeURL` left out)."""
    timestamp: datetime

    @property
    def message_id(self) -> str:
        return self.fields["MessageId"]

    @property
    def topic_arn(self) -> str:
        return self.fields["TopicArn"]

    @property
    def message(self) -> str:
        return self.fields["Message"]

    @property
    def signature(self) -> str | None:
        return self.fields.get("Signature")

    @property
    def signature_version(self) -> str | None:
        return self.fields.get("SignatureVersion")

    @property
    def signing_cert_url(self) -> str | None:
        return self.fields.get("SigningCertURL")

    @property
    def subscribe_url(self) -> str | None:
        return self.fields.get("SubscribeURL")

    @property
    def token(self) -> str | None:
        return self.fields.get("Token")

    def string_to_sign(self) -> bytes:
        """`name\\nvalue\\n` for each signed field of the message's type, in SNS's order."""
        lines = []
        for name in _SIGNED_FIELDS[self.type]:
            if name in self.fields:
                lines.append(f"{name}\n{self.fields[name]}\n")
        return "".join(lines).encode("utf-8")


def parse_sns_message(body: bytes) -> SnsMessage:
    """The SNS message in `body`; MalformedMessage says what is wrong (never quoting the body)."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise MalformedMessage("the body is not JSON") from None
    if not isinstance(document, dict):
        raise MalformedMessage("the body is not a JSON object")
    missing = [name for name in _REQUIRED if not isinstance(document.get(name), str)]
    if missing:
        raise MalformedMessage(f"no string field {', '.join(missing)}")
    try:
        kind = MessageType(document["Type"])
    except ValueError:
        raise MalformedMessage(f"Type {document['Type'][:40]!r} is not an SNS message type") from None
    if kind is not MessageType.NOTIFICATION:
        absent = [name for name in ("SubscribeURL", "Token") if not isinstance(document.get(name), str)]
        if absent:
            raise MalformedMessage(f"a {kind.value} without {', '.join(absent)}")
    fields = {name: document[name] for name in _REQUIRED}
    for name in _OPTIONAL:
        value = document.get(name)
        if value is None:
            continue  # SNS leaves Subject out, or sends it as null, when the publisher gave none
        if not isinstance(value, str):
            raise MalformedMessage(f"{name} is not a string")
        fields[name] = value
    return SnsMessage(type=kind, fields=fields, timestamp=_timestamp(fields["Timestamp"]))


def _timestamp(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedMessage(f"Timestamp {text[:40]!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise MalformedMessage(f"Timestamp {text[:40]!r} has no time zone")
    return parsed.astimezone(UTC)
