"""Amazon SNS's side of an HTTP(S) subscription, for tests and the detection bench: a locally generated CA and RSA
signing key, an HTTPS server on 127.0.0.1 that serves the signing certificate and answers subscription
confirmations (or passes them on to an SNS API over plain HTTP, such as moto's: `upstream`), and messages signed as
SNS signs them (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA).

The string to sign is written out here from AWS's documentation on its own, not taken from the bot, so that a bot
that builds it wrongly fails these tests.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import ssl
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TOPIC = "arn:aws:sns:us-east-1:123456789012:boltwatch-alarms"
CERT_PATH = "/SimpleNotificationService-0123456789abcdef.pem"
UNAVAILABLE_CERT_PATH = "/SimpleNotificationService-unavailable.pem"
"""Answered 503, as a certificate host that is down for a while."""
SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


@dataclass(frozen=True)
class Keys:
    """A CA, and a key with a certificate it issued for 127.0.0.1: the HTTPS server's and the signing one."""

    ca_pem: bytes
    key: rsa.RSAPrivateKey
    cert_pem: bytes

    def write(self, directory: Path) -> tuple[Path, Path, Path]:
        """(CA bundle, certificate, key) as PEM files, for the bot's `ca_bundle` and the HTTPS server."""
        ca, cert, key = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
        ca.write_bytes(self.ca_pem)
        cert.write_bytes(self.cert_pem)
        key.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return ca, cert, key


def make_keys(*, valid_from: datetime | None = None, valid_for: timedelta = timedelta(days=30)) -> Keys:
    """Generate the keys (RSA 2048: tens of ms each; call it from a synchronous fixture, not on a loop)."""
    start = valid_from or datetime.now(UTC) - timedelta(days=1)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake SNS test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + valid_for)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + valid_for)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Keys(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        key=key,
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
    )


def sns_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def string_to_sign(message: dict[str, str]) -> bytes:
    names = SIGNED[message["Type"]]
    return "".join(f"{name}\n{message[name]}\n" for name in names if name in message).encode()


def sign(message: dict[str, str], key: rsa.RSAPrivateKey, version: str = "1") -> dict[str, str]:
    """`message` with SignatureVersion and Signature set as SNS sets them."""
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
    return message | {"SignatureVersion": version, "Signature": base64.b64encode(signature).decode()}


@dataclass
class FakeSns:
    """The running HTTPS side: where the certificate is, and the confirmation requests it got."""

    keys: Keys
    port: int
    confirmations: list[str] = field(default_factory=list)
    certificate_fetches: int = 0
    upstream: str | None = None
    """An SNS API (moto's endpoint) that `GET /?Action=ConfirmSubscription...` is passed on to, as HTTPS SNS hosts
    take a SubscribeURL; None: the fake SNS answers it itself, with `confirmation_status`."""
    confirmation_status: int = 200
    """What the fake SNS answers a ConfirmSubscription it answers itself (404: a subscription it does not know)."""

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def cert_url(self) -> str:
        return self.base_url + CERT_PATH

    def notification(
        self,
        message: str | dict[str, Any],
        *,
        at: datetime | None = None,
        version: str = "1",
        topic: str = TOPIC,
        message_id: str | None = None,
        subject: str | None = None,
        cert_url: str | None = None,
    ) -> dict[str, str]:
        """A signed Notification of `message` (a dict is sent as its JSON, as CloudWatch and EventBridge do), sent
        `at` (default: now)."""
        body = {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": topic,
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": sns_time(at or datetime.now(UTC)),
            "SigningCertURL": cert_url or self.cert_url,
            "UnsubscribeURL": f"{self.base_url}/?Action=Unsubscribe&SubscriptionArn={topic}:sub",
        }
        if subject is not None:
            body["Subject"] = subject
        return sign(body, self.keys.key, version)

    def confirmation(
        self,
        *,
        at: datetime | None = None,
        kind: str = "SubscriptionConfirmation",
        subscribe_url: str | None = None,
        token: str | None = None,
        version: str = "1",
    ) -> dict[str, str]:
        token = token or uuid.uuid4().hex
        # As SNS writes it: the topic's ARN as it is, its colons not percent-encoded.
        confirm_url = f"{self.base_url}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={token}"
        body = {
            "Type": kind,
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": TOPIC,
            "Message": f"You have chosen to subscribe to the topic {TOPIC}.\nTo confirm, visit the SubscribeURL.",
            "SubscribeURL": subscribe_url or confirm_url,
            "Timestamp": sns_time(at or datetime.now(UTC)),
            "SigningCertURL": self.cert_url,
        }
        return sign(body, self.keys.key, version)


@asynccontextmanager
async def fake_sns(keys: Keys, directory: Path) -> AsyncIterator[FakeSns]:
    """Serve the signing certificate and the confirmation URL over HTTPS on 127.0.0.1."""
    _ca, cert_file, key_file = keys.write(directory)
    sns = FakeSns(keys=keys, port=0)

    async def certificate(_request: web.Request) -> web.Response:
        sns.certificate_fetches += 1
        return web.Response(body=keys.cert_pem, content_type="application/x-pem-file")

    async def api(request: web.Request) -> web.Response:
        if request.query.get("Action") != "ConfirmSubscription":
            raise web.HTTPNotFound()
        sns.confirmations.append(request.query.get("Token", ""))
        if sns.upstream is None:
            return web.Response(
                status=sns.confirmation_status, text="<ConfirmSubscriptionResponse/>", content_type="text/xml"
            )
        async with aiohttp.ClientSession() as http, http.get(f"{sns.upstream}/?{request.query_string}") as answer:
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type="text/xml")

    def server_context() -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        return context

    async def elsewhere(_request: web.Request) -> web.Response:
        raise web.HTTPFound("https://sns.us-east-1.amazonaws.com.evil.example/cert.pem")

    async def unavailable(_request: web.Request) -> web.Response:
        return web.Response(status=503, text="Service Unavailable")

    async def large(_request: web.Request) -> web.Response:
        return web.Response(body=b"-" * 100_000)

    app = web.Application()
    app.router.add_get(CERT_PATH, certificate)
    app.router.add_get("/", api)
    app.router.add_get("/redirect", elsewhere)
    app.router.add_get("/large", large)
    app.router.add_get(UNAVAILABLE_CERT_PATH, unavailable)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=await asyncio.to_thread(server_context))
    await site.start()
    sns.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield sns
    finally:
        await runner.cleanup()
