"""Whether an SNS delivery really comes from Amazon SNS, for a topic we take, and recently: its signature checked
with the signing certificate SNS names (fetched from an SNS host over HTTPS, cached by URL, valid now),
SignatureVersion 1 (SHA1withRSA) or 2 (SHA256withRSA).

`cryptography` is imported when the first certificate is read, in a worker thread: ~10 MB of RSS (its Rust library
and X.509 modules) that a bot taking no SNS deliveries never needs."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.aws.sns_http import FetchFailed, SnsHttp
from bot.aws.sns_messages import SnsMessage

if TYPE_CHECKING:
    from cryptography import x509

MAX_AGE = timedelta(hours=1)
"""SNS retries a delivery for at most an hour (the longest delivery policy): an older message is a replay."""
MAX_AHEAD = timedelta(minutes=5)
"""Clock skew allowed for a message dated in the future."""
CERTIFICATES_KEPT = 32
SIGNATURE_VERSIONS = ("1", "2")
"""SHA1withRSA and SHA256withRSA."""


class Refused(Exception):
    """A delivery that is not verified; the message says why and is safe to log (it quotes no secret)."""


class SigningCertificates:
    """SNS signing certificates by URL: fetched once (concurrent deliveries share one fetch), the newest few kept."""

    def __init__(self, http: SnsHttp, *, capacity: int = CERTIFICATES_KEPT) -> None:
        self._http = http
        self._capacity = capacity
        self._kept: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._fetching: dict[str, asyncio.Future[x509.Certificate]] = {}

    async def certificate(self, url: str, now: datetime) -> x509.Certificate:
        """The certificate at `url`, valid at `now`; Refused if it is not (or its host answered that it has none),
        FetchFailed if it cannot be had now (no answer, or a 5xx: SNS retries)."""
        certificate = self._kept.get(url)
        if certificate is None:
            certificate = await self._fetch(url)
        else:
            self._kept.move_to_end(url)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise Refused(
                f"the signing certificate is valid from {certificate.not_valid_before_utc:%Y-%m-%d %H:%M} "
                f"to {certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC, not now"
            )
        return certificate

    async def _fetch(self, url: str) -> x509.Certificate:
        fetching = self._fetching.get(url)
        if fetching is None:
            fetching = asyncio.ensure_future(self._download(url))
            self._fetching[url] = fetching
            fetching.add_done_callback(lambda _: self._fetching.pop(url, None))
        return await asyncio.shield(fetching)

    async def _download(self, url: str) -> x509.Certificate:
        try:
            body = await self._http.get(url)
        except FetchFailed as exc:
            if exc.transient:
                raise
            raise Refused(f"the signing certificate could not be fetched: {exc}") from None
        certificate = await asyncio.to_thread(_load_certificate, body)  # the first one imports `cryptography`
        self._kept[url] = certificate
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)
        return certificate


def _load_certificate(body: bytes) -> x509.Certificate:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(body)
    except ValueError:
        raise Refused("the signing certificate is not a PEM X.509 certificate") from None


def signature_problem(message: SnsMessage, certificate: x509.Certificate) -> str | None:
    """Why the message's signature does not verify with `certificate`'s key, or None when it does."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return "the signing certificate's key is not an RSA key"
    hashes_by_version: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
    hash_type = hashes_by_version.get(message.signature_version or "")
    if hash_type is None or message.signature is None:
        return "the message is not signed with SignatureVersion 1 or 2"
    try:
        signature = base64.b64decode(message.signature, validate=True)
    except (binascii.Error, ValueError):
        return "the signature is not base64"
    try:
        key.verify(signature, message.string_to_sign(), padding.PKCS1v15(), hash_type())
    except InvalidSignature:
        return "the signature does not match the message"
    return None


class SnsVerifier:
    """Refuses (Refused) every delivery that is unsigned, badly signed, signed with a certificate from a host that
    is not SNS's, for a topic not taken, or too old or too far ahead, or whose certificate its host says it has not;
    FetchFailed when the certificate cannot be fetched now (no answer, or a 5xx: SNS retries)."""

    def __init__(self, *, topics: Iterable[str], certificates: SigningCertificates, http: SnsHttp) -> None:
        self._topics = frozenset(topics)
        self._certificates = certificates
        self._http = http

    async def verify(self, message: SnsMessage, now: datetime) -> None:
        if message.signature is None or message.signing_cert_url is None:
            raise Refused("the message is unsigned (no Signature or SigningCertURL)")
        if message.signature_version not in SIGNATURE_VERSIONS:
            raise Refused(f"SignatureVersion {str(message.signature_version)[:10]!r} is not 1 or 2")
        if not self._topics:
            raise Refused("push.sns.topics is empty: no topic is taken")
        if message.topic_arn not in self._topics:
            raise Refused(f"topic {message.topic_arn[:256]} is not in push.sns.topics")
        if message.timestamp < now - MAX_AGE:
            raise Refused(f"the message was sent at {message.timestamp:%Y-%m-%d %H:%M:%S} UTC, over an hour ago")
        if message.timestamp > now + MAX_AHEAD:
            raise Refused(f"the message is dated {message.timestamp:%Y-%m-%d %H:%M:%S} UTC, in the future")
        if problem := self._http.hosts.certificate_problem(message.signing_cert_url):
            raise Refused(f"SigningCertURL: {problem}")
        certificate = await self._certificates.certificate(message.signing_cert_url, now)
        if problem := signature_problem(message, certificate):
            raise Refused(problem)
