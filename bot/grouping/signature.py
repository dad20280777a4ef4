"""The error signature of one log event: Sentry-style for exceptions, by kind for platform errors."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from bot.grouping.frames import in_app_labels
from bot.grouping.lambda_payloads import error_payload, parse_payload
from bot.grouping.platform_errors import PlatformError, PlatformMatch, match_platform_error
from bot.grouping.stacktraces import ParsedException, parse_stack_trace
from bot.grouping.tokens import WILDCARD, parameterize, tokenize

Kind = Literal["exception", "platform", "template"]
TITLE_LIMIT = 200

# What Lambda runtimes put before a logged message: timestamp, request id, level.
_LINE_PREFIX = re.compile(
    r"^(?:\[[A-Z]+\]\s+)?(?:\d{4}-\d\d-\d\dT[\d:.]+Z?\s+)?(?:[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\s+)"
    r"(?:(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s+)?"
)


@dataclass(frozen=True)
class ErrorSignature:
    """What identifies an error group: a stable key, and what to show people about it."""

    key: str
    kind: Kind
    title: str
    template: str
    culprit: str | None = None


def signature_key(*parts: str) -> str:
    """A short hash of the parts, the same in every process and on every machine."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:16]


def structured_signature(message: str) -> ErrorSignature | None:
    """The signature of an exception or a platform error, None for a free-text line."""
    payload = error_payload(message)
    parsed = parse_payload(payload) if payload is not None else parse_stack_trace(message)
    platform = match_platform_error(message, parsed.type if parsed else "")
    if platform is not None:
        return _platform_signature(platform, parsed)
    if parsed is not None:
        return _exception_signature(parsed)
    return None


def template_signature(template: tuple[str, ...], title: str) -> ErrorSignature:
    """The signature of a free-text line; the key is derived from the template text alone."""
    text = " ".join(template)
    return ErrorSignature(signature_key("template", text), "template", _short(title), text)


def fingerprint(message: str) -> ErrorSignature:
    """The error signature of one log event, with no memory of other events."""
    signature = structured_signature(message)
    if signature is not None:
        return signature
    text = strip_line_prefix(message)
    return template_signature(tokenize(text), readable_title(text))


def readable_title(text: str) -> str:
    """The first line of a message with its parameters masked."""
    return parameterize(text.strip().split("\n", 1)[0])


def strip_line_prefix(message: str) -> str:
    """The message without the timestamp, request id and level a Lambda runtime writes before it."""
    return _LINE_PREFIX.sub("", message, count=1)


def _exception_signature(parsed: ParsedException) -> ErrorSignature:
    frames = in_app_labels(parsed.frames)
    message = parsed.message.split("\n", 1)[0]
    template = f"{parsed.type}: {parameterize(message)}" if message else parsed.type
    # Sentry's order: the in-app stack identifies the bug; without one, the type and the message do.
    identity = frames if frames else (parameterize(message),)
    key = signature_key("exception", parsed.type, *parsed.causes, *identity)
    title = f"{parsed.type}: {message}" if message else parsed.type
    return ErrorSignature(key, "exception", _short(title), template, frames[0] if frames else None)


def _platform_signature(platform: PlatformMatch, parsed: ParsedException | None) -> ErrorSignature:
    detail = ""
    if platform.error is PlatformError.INIT_FAILURE and parsed is not None and parsed.message:
        # Which module failed to import is the bug; the numbers in the message are not.
        detail = parameterize(parsed.message.split("\n", 1)[0])
    template = f"{platform.title}: {detail}" if detail else platform.title
    # Timeouts and crashes are one group each, however reported; an init failure's type tells causes apart.
    error_type = platform.error_type if platform.error is PlatformError.INIT_FAILURE else ""
    key = signature_key("platform", platform.error.value, error_type, detail)
    culprit = next(iter(in_app_labels(parsed.frames)), None) if parsed else None
    return ErrorSignature(key, "platform", _short(template), template, culprit)


def _short(text: str) -> str:
    text = text.strip() or WILDCARD
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…"
